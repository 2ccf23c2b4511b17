# The contract of channeld, the channel daemon: peers, channels, the HTLC switch, invoices.
# Today it answers what every daemon answers (daemon.capnp); methods are added here as the
# daemon's capabilities land, with fresh ordinals. Served on <datadir>/rpc/channeld.sock.
@0xc298a66f3f741550;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

using Daemon = import "daemon.capnp";

interface Channeld extends(Daemon.Daemon) {}
