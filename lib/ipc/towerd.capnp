# The contract of towerd, the watchtower and dispute monitor.
# Today it answers what every daemon answers (daemon.capnp); methods are added here as the
# daemon's capabilities land, with fresh ordinals. Served on <datadir>/rpc/towerd.sock.
@0xe9adddfe65734b27;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

using Daemon = import "daemon.capnp";

interface Towerd extends(Daemon.Daemon) {}
