// routerd: the router daemon (routes and payment attempts).
// Today it serves what every daemon serves (status, stop, subscribe) and opens its store;
// its protocol work joins as lib/ lands.
// Reading order: lib/daemon/runner.h (the daemon's life), lib/ipc/routerd.capnp (its contract).
#include "daemon/runner.h"
#include "ipc/routerd.capnp.h"

int main(int argc, char** argv) {
  using fulgur::daemon::DaemonContext;
  const fulgur::daemon::DaemonSpec spec{
      "routerd", "routerd: the router daemon (routes and payment attempts)",
      "router", {}};
  return fulgur::daemon::run_daemon(
      spec, argc, argv, [](DaemonContext& ctx) -> capnp::Capability::Client {
        return kj::heap<fulgur::daemon::DaemonServer<fulgur::ipc::schema::Routerd>>(ctx.state);
      });
}
