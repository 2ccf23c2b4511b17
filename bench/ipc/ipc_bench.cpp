// Cap'n Proto RPC over the libuv glue between two processes: round-trip latency of one
// call at a time, and calls per second with many calls in flight. The server is a forked
// child serving daemon.capnp's `status` on a Unix socket in a temporary directory.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "ipc/daemon.capnp.h"
#include "ipc/rpc.h"

namespace {

namespace schema = ::fulgur::ipc::schema;
using fulgur::ipc::EventLoop;

class StatusServer final : public schema::Daemon::Server {
 public:
  kj::Promise<void> status(StatusContext context) override {
    auto status = context.getResults().initStatus();
    status.setName("benchd");
    status.setVersion("0.1.0");
    status.setPid(static_cast<uint32_t>(::getpid()));
    status.setUptimeMs(++m_calls);
    status.setHealth(schema::Health::OK);
    return kj::READY_NOW;
  }

 private:
  uint64_t m_calls = 0;
};

struct Harness {
  std::filesystem::path dir;
  pid_t server = 0;
  kj::Own<EventLoop> loop;
  kj::Own<fulgur::ipc::RpcConnection> conn;
  kj::Maybe<schema::Daemon::Client> client;

  Harness() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fulgur-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    auto sock = dir / "bench.sock";
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    server = ::fork();
    if (server == 0) {
      ::close(fds[0]);
      {
        EventLoop child_loop;
        auto listening = fulgur::ipc::RpcServer::listen(child_loop.uv(), sock,
                                                        kj::heap<StatusServer>());
        if (!listening) _exit(2);
        char ready = 'r';
        if (::write(fds[1], &ready, 1) != 1) _exit(3);
        child_loop.run();
      }
      _exit(0);
    }
    ::close(fds[1]);
    char ready = 0;
    if (::read(fds[0], &ready, 1) != 1) std::abort();
    ::close(fds[0]);
    loop = kj::heap<EventLoop>();
    conn = fulgur::ipc::connect_rpc(loop->uv(), sock.string()).wait(loop->wait_scope());
    client = conn->bootstrap<schema::Daemon>();
  }
  ~Harness() {
    client = nullptr;
    conn = nullptr;
    loop = nullptr;
    ::kill(server, SIGKILL);
    ::waitpid(server, nullptr, 0);
    std::filesystem::remove_all(dir);
  }
  schema::Daemon::Client& daemon() { return KJ_ASSERT_NONNULL(client); }
};

Harness& harness() {
  static Harness h;
  return h;
}

// One call at a time: the time per iteration is the round-trip latency.
void BM_StatusRoundTrip(benchmark::State& state) {
  auto& h = harness();
  auto& ws = h.loop->wait_scope();
  for (auto _ : state) {
    auto response = h.daemon().statusRequest().send().wait(ws);
    benchmark::DoNotOptimize(response.getStatus().getUptimeMs());
  }
  state.SetItemsProcessed(state.iterations());
}
// Wall-clock time: the server works in another process, invisible to this CPU timer.
BENCHMARK(BM_StatusRoundTrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

// `window` calls in flight per batch: throughput in calls per second.
void BM_StatusPipelined(benchmark::State& state) {
  auto& h = harness();
  auto& ws = h.loop->wait_scope();
  const auto window = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    auto calls = kj::heapArrayBuilder<kj::Promise<void>>(window);
    for (size_t i = 0; i < window; ++i) {
      calls.add(h.daemon().statusRequest().send().ignoreResult());
    }
    kj::joinPromises(calls.finish()).wait(ws);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * window));
}
BENCHMARK(BM_StatusPipelined)->Arg(16)->Arg(128)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
