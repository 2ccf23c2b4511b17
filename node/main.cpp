// fulgurd, the supervisor: one config, one data directory, the node's daemons as child
// processes. Reading order: this file (lock, options, wiring), supervisor.h (spawning,
// restarts, stopping), lib/ipc/fulgurd.capnp (what it answers).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "daemon/log_sink.h"
#include "daemon/options.h"
#include "daemon/runner.h"
#include "daemon/signals.h"
#include "daemon/status.h"
#include "ipc/channeld.capnp.h"
#include "ipc/rpc.h"
#include "node/supervisor.h"

namespace fulgur::node {
namespace {

const char* const DAEMONS[] = {"channeld", "gossipd", "routerd", "towerd"};

int die(const std::string& message) {
  std::fprintf(stderr, "fulgurd: %s\n", message.c_str());
  return 1;
}

// Holds <datadir>/fulgurd.lock for the life of the process (closed on exec: children
// do not inherit it). Fails when another fulgurd holds it.
Result<int> take_lock(const std::filesystem::path& datadir) {
  auto path = datadir / "fulgurd.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot open " + path.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return fail("another fulgurd is running on " + datadir.string() + " (it holds " +
                path.string() + ")");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::write(fd, pid.data(), pid.size()) < 0) {
    return fail("cannot write " + path.string());
  }
  return fd;
}

class FulgurdServer final : public daemon::DaemonServer<schema::Fulgurd> {
 public:
  FulgurdServer(daemon::DaemonState& state, Supervisor& supervisor, uv_loop_t* loop,
                std::string network, std::string datadir)
      : DaemonServer(state),
        m_loop(loop),
        m_supervisor(supervisor),
        m_network(std::move(network)),
        m_datadir(std::move(datadir)) {}

  kj::Promise<void> nodeStatus(NodeStatusContext context) override {
    auto node = context.getResults().initNode();
    node.setNetwork(m_network);
    node.setNodeId("");  // until channeld answers with the node key's public key
    node.setDatadir(m_datadir);
    m_state.fill(node.initSupervisor());
    auto daemons = node.initDaemons(static_cast<unsigned>(m_supervisor.child_count()));
    return kj::joinPromises(kj::arr(m_supervisor.report(daemons), node_id(node)))
        .attach(kj::mv(context));
  }

 private:
  // channeld holds the node key: ask it (bounded like the status queries).
  kj::Promise<void> node_id(schema::NodeStatus::Builder node) {
    auto path = std::filesystem::path(m_datadir) / "rpc" / "channeld.sock";
    if (!ipc::unix_socket_answers(path)) return kj::READY_NOW;
    auto ask = ipc::connect_rpc(m_loop, path.string()).then([node](kj::Own<ipc::RpcConnection> conn) {
      auto request = conn->bootstrap<schema::Channeld>().getInfoRequest();
      return request.send().then([node](auto response) mutable {
        node.setNodeId(response.getInfo().getNodeId());
      }).attach(kj::mv(conn));
    });
    return ask.catch_([](kj::Exception&&) {}).exclusiveJoin(ipc::after_ms(m_loop, 1000));
  }

 public:

 private:
  uv_loop_t* m_loop;
  Supervisor& m_supervisor;
  std::string m_network;
  std::string m_datadir;
};

struct Settings {
  daemon::CommonOptions common;
  SupervisorOptions supervisor;
  std::filesystem::path daemon_dir;  // empty: beside fulgurd's own executable
};

Result<std::vector<ChildSpec>> find_daemons(const std::filesystem::path& dir) {
  std::vector<ChildSpec> specs;
  for (const char* name : DAEMONS) {
    auto program = dir / name;
    if (::access(program.c_str(), X_OK) != 0) {
      return fail("cannot find " + std::string(name) + " in " + dir.string());
    }
    specs.push_back({name, program});
  }
  return specs;
}

std::filesystem::path own_directory() {
  char buf[4096];
  size_t size = sizeof(buf);
  if (uv_exepath(buf, &size) != 0) return ".";
  return std::filesystem::path(std::string(buf, size)).parent_path();
}

int run(const Settings& settings, Logger log, std::vector<ChildSpec> specs) {
  const auto& datadir = settings.common.datadir;
  ipc::EventLoop loop;
  int exit_code = 0;
  std::unique_ptr<Supervisor> supervisor;
  daemon::DaemonState state("fulgurd", [&] { supervisor->stop_all(0, "stop requested"); });
  struct Ignore : kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&&) override {}
  } ignore;
  kj::TaskSet tasks(ignore);
  supervisor = std::make_unique<Supervisor>(
      loop.uv(), log.child("supervisor"), settings.supervisor, std::move(specs),
      [&](int code, const std::string& reason) {
        exit_code = code;
        if (code != 0) std::fprintf(stderr, "fulgurd: %s\n", reason.c_str());
        tasks.add(ipc::after_ms(loop.uv(), daemon::STOP_GRACE_MS).then([&] { loop.stop(); }));
      });
  auto server = ipc::RpcServer::listen(
      loop.uv(), datadir / "rpc" / "fulgurd.sock",
      kj::heap<FulgurdServer>(state, *supervisor, loop.uv(), settings.common.network,
                              datadir.string()));
  if (!server) return die(server.error().message);
  daemon::SignalWatcher signals(loop.uv(), [&](int signum) {
    log.info("signal {}", signum);
    state.stop();
  });
  log.info("fulgurd {} on {} (network {})", FULGUR_VERSION, datadir.string(),
           settings.common.network);
  supervisor->start_all();
  loop.run();
  server.value() = nullptr;
  supervisor = nullptr;
  log.info("stopped (exit code {})", exit_code);
  return exit_code;
}

}  // namespace
}  // namespace fulgur::node

int main(int argc, char** argv) {
  using namespace fulgur;
  CLI::App app{"fulgurd: starts, watches and restarts the node's daemons", "fulgurd"};
  node::Settings settings;
  daemon::add_common_options(app, settings.common);
  app.add_option("--max-crashes", settings.supervisor.max_crashes,
                 "crashes in a row of one daemon before the node stops")->capture_default_str();
  app.add_option("--restart-backoff-ms", settings.supervisor.backoff_ms,
                 "first restart delay (doubles per crash in a row)")->capture_default_str();
  app.add_option("--daemon-dir", settings.daemon_dir,
                 "where channeld, gossipd, routerd and towerd are (default: beside fulgurd)");
  if (auto code = daemon::parse(app, settings.common, argc, argv)) return *code;
  const auto& datadir = settings.common.datadir;
  if (auto ready = daemon::prepare_datadir(datadir); !ready) {
    return node::die(ready.error().message);
  }
  auto lock = node::take_lock(datadir);
  if (!lock) return node::die(lock.error().message);
  auto dir = settings.daemon_dir.empty() ? node::own_directory() : settings.daemon_dir;
  auto specs = node::find_daemons(std::filesystem::absolute(dir));
  if (!specs) return node::die(specs.error().message);
  auto sink = daemon::open_file_log("fulgurd", datadir / "logs" / "fulgurd.log",
                                    settings.common.log_level);
  if (!sink) return node::die(sink.error().message);
  // Every daemon gets the same data directory and the supervisor's resolved settings.
  settings.supervisor.datadir = datadir;
  settings.supervisor.child_args = {"--datadir", datadir.string(), "--network",
                                    settings.common.network, "--log-level",
                                    settings.common.log_level, "--supervised"};
  if (std::filesystem::exists(settings.common.conf)) {
    settings.supervisor.child_args.push_back("--conf");
    settings.supervisor.child_args.push_back(settings.common.conf.string());
  }
  return node::run(settings, Logger(sink->get(), "fulgurd"), std::move(specs).value());
}
