// gossipd: the gossip daemon (the public channel graph, BOLT 7).
// Today it serves what every daemon serves (status, stop, subscribe) and opens its store;
// its protocol work joins as lib/ lands.
// Reading order: lib/daemon/runner.h (the daemon's life), lib/ipc/gossipd.capnp (its contract).
#include "daemon/runner.h"
#include "ipc/gossipd.capnp.h"

int main(int argc, char** argv) {
  using fulgur::daemon::DaemonContext;
  const fulgur::daemon::DaemonSpec spec{
      "gossipd", "gossipd: the gossip daemon (the public channel graph, BOLT 7)",
      "gossip", {}};
  return fulgur::daemon::run_daemon(
      spec, argc, argv, [](DaemonContext& ctx) -> capnp::Capability::Client {
        return kj::heap<fulgur::daemon::DaemonServer<fulgur::ipc::schema::Gossipd>>(ctx.state);
      });
}
