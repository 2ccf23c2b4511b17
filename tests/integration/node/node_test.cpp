// The node as real processes: fulgurd starts the four daemons, fulgur-cli sees them, a
// daemon killed with SIGKILL comes back, a second fulgurd is refused, `stop` ends all, and
// a daemon that keeps crashing stops the node. Binaries come from FULGUR_BINARY_DIR.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path BIN = fs::path(FULGUR_BINARY_DIR) / "bin";
const fs::path CLI = fs::path(FULGUR_BINARY_DIR) / "cli" / "fulgur-cli";
const std::vector<std::string> DAEMONS = {"channeld", "gossipd", "routerd", "towerd"};
constexpr auto GENEROUS = std::chrono::seconds(60);

struct Output {
  int exit_code;
  std::string out;
};

// Runs a program to completion, capturing stdout (stderr goes to `err_file` if given).
Output run(std::vector<std::string> args, const fs::path& err_file = "/dev/null") {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {-1, ""};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while (rc == 0 && (n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  ::close(pipe_fds[0]);
  if (rc != 0) return {-1, ""};
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Node : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "fulgur-node-XXXXXX").string();
    m_dir = ::mkdtemp(tmpl.data());
    m_datadir = m_dir / "data";
  }
  void TearDown() override {
    if (m_fulgurd > 0 && reap(m_fulgurd, std::chrono::seconds(0)) < 0) {
      ::kill(m_fulgurd, SIGTERM);
      if (reap(m_fulgurd, std::chrono::seconds(20)) < 0) {
        ::kill(m_fulgurd, SIGKILL);  // its daemons follow (they run --supervised)
        reap(m_fulgurd, std::chrono::seconds(20));
      }
    }
    fs::remove_all(m_dir);
  }

  pid_t start_fulgurd(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {(BIN / "fulgurd").string(), "--datadir",
                                     m_datadir.string(), "--restart-backoff-ms", "50"};
    args.insert(args.end(), extra.begin(), extra.end());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    auto err = (m_dir / "fulgurd.stderr").string();
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  // The exit code of `pid` once it exits within `limit`, or -1.
  int reap(pid_t pid, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        if (pid == m_fulgurd) m_fulgurd = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return -1;
  }

  Output cli(const std::string& command) {
    return run({CLI.string(), "--datadir", m_datadir.string(), command});
  }

  // Polls getinfo until `pred` holds (bounded by GENEROUS); returns the last answer.
  template <typename Pred>
  json getinfo_until(Pred pred) {
    json last;
    auto deadline = std::chrono::steady_clock::now() + GENEROUS;
    while (std::chrono::steady_clock::now() < deadline) {
      auto out = cli("getinfo");
      if (out.exit_code == 0) {
        last = json::parse(out.out, nullptr, false);
        if (!last.is_discarded() && pred(last)) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "getinfo never satisfied the condition; last: " << last.dump();
    return last;
  }

  static bool all_answer(const json& info) {
    if (!info.contains("daemons") || info["daemons"].size() != DAEMONS.size()) return false;
    for (const auto& d : info["daemons"]) {
      if (!d.contains("status") || d["status"]["health"] != "ok") return false;
    }
    return true;
  }

  static json daemon(const json& info, const std::string& name) {
    for (const auto& d : info["daemons"]) {
      if (d["name"] == name) return d;
    }
    return {};
  }

  fs::path m_dir;
  fs::path m_datadir;
  pid_t m_fulgurd = 0;
};

TEST_F(Node, NoNodeRunningIsAPlainErrorWithNonZeroExit) {
  auto out = cli("getinfo");
  EXPECT_EQ(out.exit_code, 2);
  auto error = json::parse(out.out, nullptr, false);
  ASSERT_FALSE(error.is_discarded()) << out.out;
  EXPECT_EQ(error["error"]["code"], "no_node");
}

TEST_F(Node, StartsAnswersSurvivesAKilledDaemonAndStopsCleanly) {
  m_fulgurd = start_fulgurd();
  auto info = getinfo_until(all_answer);
  ASSERT_TRUE(all_answer(info)) << info.dump();
  EXPECT_EQ(info["network"], "regtest");
  // channeld's node key: a 33-byte compressed public key.
  ASSERT_TRUE(info["node_id"].is_string()) << info.dump();
  EXPECT_EQ(info["node_id"].get<std::string>().size(), 66u);
  EXPECT_EQ(info["fulgurd"]["pid"], m_fulgurd);
  std::vector<pid_t> pids;
  for (const auto& name : DAEMONS) {
    auto d = daemon(info, name);
    EXPECT_EQ(d["status"]["name"], name);
    EXPECT_EQ(d["status"]["pid"], d["pid"]);
    pids.push_back(d["pid"].get<pid_t>());
  }

  // Sockets: 0600 in a 0700 directory.
  struct stat st{};
  ASSERT_EQ(::stat((m_datadir / "rpc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto& name : {"fulgurd", "channeld", "gossipd", "routerd", "towerd"}) {
    auto sock = m_datadir / "rpc" / (std::string(name) + ".sock");
    ASSERT_EQ(::stat(sock.c_str(), &st), 0) << sock;
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << sock;
  }

  // kill -9 gossipd: fulgurd restarts it and getinfo recovers.
  pid_t old_gossipd = daemon(info, "gossipd")["pid"].get<pid_t>();
  ASSERT_EQ(::kill(old_gossipd, SIGKILL), 0);
  info = getinfo_until([&](const json& i) {
    auto d = daemon(i, "gossipd");
    return all_answer(i) && d["pid"] != old_gossipd && d["restarts"] == 1;
  });
  EXPECT_EQ(daemon(info, "gossipd")["last_exit"], "signal 9");
  pids[1] = daemon(info, "gossipd")["pid"].get<pid_t>();

  // A second fulgurd on the same data directory is refused, and leaves the first alone.
  auto second = run({(BIN / "fulgurd").string(), "--datadir", m_datadir.string()},
                    m_dir / "second.stderr");
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(slurp(m_dir / "second.stderr").find("another fulgurd"), std::string::npos);
  EXPECT_TRUE(all_answer(getinfo_until(all_answer)));

  // stop ends every process.
  auto stopped = cli("stop");
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out;
  EXPECT_EQ(json::parse(stopped.out, nullptr, false)["stopped"], true) << stopped.out;
  EXPECT_EQ(reap(m_fulgurd, std::chrono::seconds(60)), 0);
  for (pid_t pid : pids) EXPECT_FALSE(alive(pid)) << "daemon " << pid << " outlived stop";
  EXPECT_EQ(cli("getinfo").exit_code, 2);
  EXPECT_NE(slurp(m_datadir / "logs" / "channeld.log").find("stopped"), std::string::npos);
}

TEST_F(Node, DaemonThatKeepsCrashingStopsTheNodeAndSaysWhy) {
  m_fulgurd = start_fulgurd({"--max-crashes", "2"});
  auto deadline = std::chrono::steady_clock::now() + GENEROUS;
  int exit_code = -1;
  while (exit_code < 0 && std::chrono::steady_clock::now() < deadline) {
    auto out = cli("getinfo");
    auto info = json::parse(out.out, nullptr, false);
    if (out.exit_code == 0 && !info.is_discarded()) {
      auto pid = daemon(info, "routerd")["pid"];
      if (pid.is_number() && pid.get<pid_t>() > 0) ::kill(pid.get<pid_t>(), SIGKILL);
    }
    exit_code = reap(m_fulgurd, std::chrono::seconds(0));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(exit_code, 1);
  EXPECT_NE(slurp(m_dir / "fulgurd.stderr").find("routerd crashed 3 times in a row"),
            std::string::npos)
      << slurp(m_dir / "fulgurd.stderr");
}

}  // namespace
