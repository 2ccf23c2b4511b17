// The life of a simple Fulgur daemon, shared by channeld, gossipd, routerd and towerd:
// options and fulgur.conf, the data directory, the log file, its LMDB store, its capnp
// server on <datadir>/rpc/<name>.sock, and a clean stop on SIGTERM or the `stop` call.
#pragma once

#include <capnp/capability.h>
#include <uv.h>

#include <functional>
#include <string>

#include "common/log.h"
#include "daemon/status.h"
#include "store/env.h"

namespace fulgur::daemon {

struct DaemonSpec {
  std::string name;         // program and socket name: "channeld"
  std::string description;  // one line for --help
  std::string store;        // LMDB environment <datadir>/<store>, "" for none
};

// What a daemon's bootstrap capability may use while it runs.
struct DaemonContext {
  DaemonState& state;
  Logger log;
  store::Environment* store;  // null when the spec has none
  uv_loop_t* loop;
};

using BootstrapFactory = std::function<capnp::Capability::Client(DaemonContext&)>;

// Runs the daemon until it is stopped; returns the process exit code.
int run_daemon(const DaemonSpec& spec, int argc, char** argv, const BootstrapFactory& make);

// The time a stop waits so that the answer to `stop` reaches its caller.
inline constexpr uint64_t STOP_GRACE_MS = 20;

}  // namespace fulgur::daemon
