// A Fulgur node as real processes for the integration tests: fulgurd (which starts channeld
// and the other daemons) on its own data directory, with a fulgur.conf pointing channeld at
// a kernel-chosen peer port and at the test's l1sim, in a wallet of its own (l1sim's
// multiwallet, named after the directory); fulgur-cli to drive it (JSON in, JSON out).
// Stopped (SIGTERM, then SIGKILL) and reaped at the end; no process is left behind.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "l1sim_process.h"

extern char** environ;

namespace fulgur::test {

namespace fs = std::filesystem;
using nlohmann::json;

inline const fs::path BIN = fs::path(FULGUR_BINARY_DIR) / "bin";
inline const fs::path CLI = fs::path(FULGUR_BINARY_DIR) / "cli" / "fulgur-cli";
// Bounds every wait on a condition: a guard against hangs, not a speed requirement.
inline constexpr auto GENEROUS = std::chrono::seconds(90);

struct Output {
  int exit_code = -1;
  std::string out;
  json parsed;  // null when stdout is not JSON
};

// Starts `args` with stdout to a pipe; the caller reads and reaps it (see finish()).
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};

inline Child spawn(std::vector<std::string> args, const fs::path& err_file = "/dev/null") {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
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
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return {};
  }
  return {pid, pipe_fds[0]};
}

inline Output finish(Child c) {
  Output o;
  if (c.pid <= 0) return o;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(c.out_fd, buf, sizeof(buf))) > 0) o.out.append(buf, static_cast<size_t>(n));
  ::close(c.out_fd);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.parsed = json::parse(o.out, nullptr, false);
  if (o.parsed.is_discarded()) o.parsed = nullptr;
  return o;
}

inline Output run(std::vector<std::string> args) { return finish(spawn(std::move(args))); }

// A port the kernel considers free right now (bound, read back, released).
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Polls `pred` until it holds (bounded by GENEROUS).
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + GENEROUS;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

class NodeProcess {
 public:
  NodeProcess(const fs::path& dir, const L1simProcess& l1, std::vector<std::string> conf = {})
      : m_dir(dir), m_datadir(dir / "data"), m_port(free_port()) {
    fs::create_directories(m_datadir);
    std::string wallet = dir.filename().string();
    auto created = l1.client().call("createwallet", json::array({wallet}));
    EXPECT_TRUE(created.ok()) << created.error().describe();
    std::ofstream out(m_datadir / "fulgur.conf");
    out << "bind-addr=127.0.0.1:" << m_port << "\n"
        << "bitcoind-rpcport=" << l1.port() << "\n"
        << "bitcoind-rpccookie=" << (l1.datadir() / "regtest" / ".cookie").string() << "\n"
        << "bitcoind-wallet=" << wallet << "\n"
        << "block-poll-ms=100\n"
        << "reconnect-min-ms=100\n"
        << "reconnect-max-ms=1000\n"
        << "log-level=debug\n";
    for (const auto& line : conf) out << line << "\n";
    out.close();
    start();
  }
  ~NodeProcess() { stop(); }
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  void start() {
    std::vector<std::string> args = {(BIN / "fulgurd").string(), "--datadir", m_datadir.string(),
                                     "--restart-backoff-ms", "50"};
    Child c = spawn(args, m_dir / "fulgurd.stderr");
    ::close(c.out_fd);
    m_fulgurd = c.pid;
    json info;
    ASSERT_TRUE(eventually([&] {
      info = cli({"getinfo"}).parsed;
      return info.is_object() && info["node_id"].is_string() && info["channeld"].is_object() &&
             info["channeld"]["listen_address"].is_string();
    })) << info.dump();
    m_id = info["node_id"];
  }

  void stop() {
    if (m_fulgurd <= 0) return;
    ::kill(m_fulgurd, SIGTERM);
    if (!reap(std::chrono::seconds(30))) {
      ::kill(m_fulgurd, SIGKILL);  // its daemons follow (they run --supervised)
      reap(std::chrono::seconds(30));
    }
    m_fulgurd = 0;
  }

  Output cli(std::vector<std::string> args) const {
    std::vector<std::string> full = {CLI.string(), "--datadir", m_datadir.string()};
    full.insert(full.end(), args.begin(), args.end());
    return run(full);
  }
  Child cli_async(std::vector<std::string> args) const {
    std::vector<std::string> full = {CLI.string(), "--datadir", m_datadir.string()};
    full.insert(full.end(), args.begin(), args.end());
    return spawn(full);
  }
  // The JSON answer of a command that must succeed.
  json ok(std::vector<std::string> args) const {
    auto o = cli(args);
    EXPECT_EQ(o.exit_code, 0) << args[0] << ": " << o.out;
    return o.parsed;
  }

  pid_t channeld_pid() const {
    auto info = cli({"getinfo"}).parsed;
    if (!info.is_object()) return 0;
    for (const auto& d : info["daemons"]) {
      if (d["name"] == "channeld" && d.contains("status")) return d["pid"].get<pid_t>();
    }
    return 0;
  }

  json channel(const std::string& channel_id) const {
    auto list = cli({"listchannels"}).parsed;
    if (!list.is_object()) return nullptr;
    for (const auto& c : list["channels"]) {
      if (c["channel_id"] == channel_id) return c;
    }
    return nullptr;
  }

  const std::string& id() const { return m_id; }
  std::string uri() const { return m_id + "@127.0.0.1:" + std::to_string(m_port); }
  uint16_t port() const { return m_port; }
  const fs::path& datadir() const { return m_datadir; }

 private:
  bool reap(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      int status = 0;
      if (::waitpid(m_fulgurd, &status, WNOHANG) == m_fulgurd) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  fs::path m_dir;
  fs::path m_datadir;
  uint16_t m_port;
  pid_t m_fulgurd = 0;
  std::string m_id;
};

}  // namespace fulgur::test
