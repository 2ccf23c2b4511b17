# The contract of gossipd, the gossip daemon: the public channel graph (BOLT 7).
# Today it answers what every daemon answers (daemon.capnp); methods are added here as the
# daemon's capabilities land, with fresh ordinals. Served on <datadir>/rpc/gossipd.sock.
@0xb7c84184637b89a4;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

using Daemon = import "daemon.capnp";

interface Gossipd extends(Daemon.Daemon) {}
