// run_daemon (see runner.h).
#include "daemon/runner.h"

#include <sys/prctl.h>

#include <csignal>
#include <cstdio>

#include "daemon/log_sink.h"
#include "daemon/options.h"
#include "daemon/signals.h"
#include "ipc/rpc.h"
#include "store/schema.h"

namespace fulgur::daemon {
namespace {

// The store's schema: version 1 has no tables yet; the daemon's records add them.
constexpr uint32_t STORE_SCHEMA_VERSION = 1;

int die(const std::string& name, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", name.c_str(), message.c_str());
  return 1;
}

Result<std::unique_ptr<store::Environment>> open_store(const std::filesystem::path& dir) {
  auto env = store::Environment::open(dir);
  if (!env) return fail(env.error().message);
  auto schema = store::ensure_schema(**env, STORE_SCHEMA_VERSION,
                                     [](store::WriteTxn&, uint32_t) {
                                       return store::StoreResult<void>{};
                                     });
  if (!schema) return fail(schema.error().message);
  return std::move(env).value();
}

// Serves until stopped; everything that holds a libuv handle lives inside this scope.
int serve(const DaemonSpec& spec, const CommonOptions& options, Logger log,
          store::Environment* env, const BootstrapFactory& make) {
  ipc::EventLoop loop;
  struct LogErrors : kj::TaskSet::ErrorHandler {
    Logger log;
    void taskFailed(kj::Exception&& e) override {
      log.warn("task failed: {}", e.getDescription().cStr());
    }
  } errors;
  errors.log = log;
  kj::TaskSet tasks(errors);
  bool stopping = false;
  DaemonContext* ctx = nullptr;
  auto stop_loop = [&] {
    tasks.add(ipc::after_ms(loop.uv(), STOP_GRACE_MS).then([&] { loop.stop(); }));
  };
  DaemonState state(spec.name, [&] {
    if (stopping) return;
    stopping = true;
    log.info("stopping");
    if (ctx != nullptr && ctx->on_stop) {
      ctx->on_stop(stop_loop);
    } else {
      stop_loop();
    }
  });
  DaemonContext context{state, log, env, loop.uv(), options, {}, {}};
  ctx = &context;
  auto bootstrap = make(context);
  if (!bootstrap) {
    log.error("{}", bootstrap.error().message);
    return die(spec.name, bootstrap.error().message);
  }
  auto path = options.datadir / "rpc" / (spec.name + ".sock");
  auto server = ipc::RpcServer::listen(loop.uv(), path, kj::mv(*bootstrap));
  if (!server) return die(spec.name, server.error().message);
  SignalWatcher signals(loop.uv(), [&](int signum) {
    log.info("signal {}", signum);
    state.stop();
  });
  log.info("{} {} serving on {} (network {})", spec.name, FULGUR_VERSION, path.string(),
           options.network);
  loop.run();
  server.value() = nullptr;  // closes the socket and every connection
  context.owned.reset();
  log.info("stopped");
  return 0;
}

}  // namespace

int run_daemon(const DaemonSpec& spec, int argc, char** argv, const BootstrapFactory& make) {
  CLI::App app{spec.description, spec.name};
  CommonOptions options;
  add_common_options(app, options);
  if (spec.add_options) spec.add_options(app);
  if (auto code = parse(app, options, argc, argv)) return *code;
  if (options.supervised) {
    // fulgurd started us: if it dies (even by SIGKILL), we stop too.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() == 1) return die(spec.name, "supervisor already gone");
  }
  if (auto ready = prepare_datadir(options.datadir); !ready) {
    return die(spec.name, ready.error().message);
  }
  auto sink = open_file_log(spec.name, options.datadir / "logs" / (spec.name + ".log"),
                            options.log_level);
  if (!sink) return die(spec.name, sink.error().message);
  Logger log(sink->get(), spec.name);
  std::unique_ptr<store::Environment> env;
  if (!spec.store.empty()) {
    auto opened = open_store(options.datadir / spec.store);
    if (!opened) {
      log.error("cannot open store: {}", opened.error().message);
      return die(spec.name, "cannot open store: " + opened.error().message);
    }
    env = std::move(opened).value();
  }
  return serve(spec, options, log, env.get(), make);
}

}  // namespace fulgur::daemon
