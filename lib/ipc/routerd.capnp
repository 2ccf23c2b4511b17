# The contract of routerd, the router daemon: route finding and payment attempts.
# Today it answers what every daemon answers (daemon.capnp); methods are added here as the
# daemon's capabilities land, with fresh ordinals. Served on <datadir>/rpc/routerd.sock.
@0xe1148c754d2a5d3c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

using Daemon = import "daemon.capnp";

interface Routerd extends(Daemon.Daemon) {}
