# What every Fulgur daemon answers, whatever its job: who it is, how it is, stop, and a
# subscription to its status. Each daemon's own interface (channeld.capnp, ...) extends
# `Daemon`. Ordinals are never reused; a method is declared only once it works.
@0xf38da77e9a4fe4be;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

enum Health {
  ok @0;        # doing its job
  degraded @1;  # working, but something needs attention (see `detail`)
  failing @2;   # cannot do its job (see `detail`); the supervisor may restart it
}

struct DaemonStatus {
  name @0 :Text;        # the program: "channeld", "gossipd", "routerd", "towerd", "fulgurd"
  version @1 :Text;     # Fulgur's version, e.g. "0.1.0"
  pid @2 :UInt32;       # the process id
  uptimeMs @3 :UInt64;  # milliseconds since the daemon started serving
  health @4 :Health;
  detail @5 :Text;      # why, when health is not ok; empty otherwise
}

# Handed to a daemon by a subscriber; the daemon calls it back.
interface StatusListener {
  # Called once right after subscribing, then whenever the status changes.
  statusChanged @0 (status :DaemonStatus) -> ();
  # The daemon is about to stop (a `stop` call or SIGTERM); no more calls follow.
  stopping @1 () -> ();
}

# Returned by `subscribe`: dropping it (or disconnecting) ends the subscription.
interface Subscription {}

interface Daemon {
  # The daemon's current status. Never fails while the daemon is up.
  status @0 () -> (status :DaemonStatus);

  # Stops the daemon cleanly: it answers, tells its subscribers, closes its socket and
  # exits with status 0. A supervised daemon stopped this way is not restarted.
  stop @1 () -> ();

  # Calls `listener.statusChanged` now and on every change, until `subscription` is
  # dropped or the connection ends.
  subscribe @2 (listener :StatusListener) -> (subscription :Subscription);
}
