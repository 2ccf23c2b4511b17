# The contract of fulgurd, the supervisor: it starts, watches and restarts the node's
# daemons and reports on all of them. Served on <datadir>/rpc/fulgurd.sock; fulgur-cli's
# `getinfo` and `stop` talk to it. `stop` (from Daemon) stops every daemon, then fulgurd.
@0xe9fab4eb37f91239;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

using Daemon = import "daemon.capnp";

enum ChildState {
  starting @0;    # spawned; its socket does not answer yet
  running @1;     # its status call answers
  restarting @2;  # it exited unexpectedly; waiting out the backoff before the next start
  stopped @3;     # stopped on purpose
  failed @4;      # crashed too often; fulgurd gave up on it (and stops the node)
}

struct ChildEntry {
  name @0 :Text;               # "channeld", ...
  state @1 :ChildState;
  pid @2 :UInt32;              # 0 when not running
  restarts @3 :UInt32;         # unexpected exits so far
  lastExit @4 :Text;           # how it last ended ("signal 9", "exit 1"), empty if never
  status @5 :Daemon.DaemonStatus;  # its own answer to `status`; set when `answered`
  answered @6 :Bool;
  error @7 :Text;              # why there is no status, when not `answered`
}

struct NodeStatus {
  network @0 :Text;            # from fulgur.conf: "regtest", "signet", "testnet", "mainnet"
  nodeId @1 :Text;             # hex public key once channeld knows it; empty until then
  datadir @2 :Text;
  supervisor @3 :Daemon.DaemonStatus;
  daemons @4 :List(ChildEntry);
}

interface Fulgurd extends(Daemon.Daemon) {
  # The node at a glance: the supervisor's status and every daemon's, each asked live
  # (a daemon that does not answer within a second is reported with `error`).
  nodeStatus @0 () -> (node :NodeStatus);
}
