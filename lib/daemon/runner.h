// The life of a simple Fulgur daemon, shared by channeld, gossipd, routerd and towerd:
// options and fulgur.conf, the data directory, the log file, its LMDB store, its capnp
// server on <datadir>/rpc/<name>.sock, and a clean stop on SIGTERM or the `stop` call.
#pragma once

#include <capnp/capability.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "common/log.h"
#include "common/result.h"
#include "daemon/options.h"
#include "daemon/status.h"
#include "store/env.h"

namespace fulgur::daemon {

struct DaemonSpec {
  std::string name;         // program and socket name: "channeld"
  std::string description;  // one line for --help
  std::string store;        // LMDB environment <datadir>/<store>, "" for none
  // Adds the daemon's own options (read from fulgur.conf and the command line like the
  // common ones); may be empty.
  std::function<void(CLI::App&)> add_options;
};

// What a daemon's bootstrap capability may use while it runs.
struct DaemonContext {
  DaemonState& state;
  Logger log;
  store::Environment* store;  // null when the spec has none
  uv_loop_t* loop;
  const CommonOptions& options;
  // Set by the factory when the daemon has work to wind down on stop (close sockets, wait
  // for calls in flight): called once when a stop is requested; the loop stops after
  // `done` is called.
  std::function<void(std::function<void()> done)> on_stop;
  // Set by the factory: an object that must live while the loop runs and go before it
  // (destroyed after the capnp server, before the loop).
  std::shared_ptr<void> owned;
};

// Makes the bootstrap capability; an error (bad configuration) ends the daemon with exit 1.
using BootstrapFactory = std::function<Result<capnp::Capability::Client>(DaemonContext&)>;

// Runs the daemon until it is stopped; returns the process exit code.
int run_daemon(const DaemonSpec& spec, int argc, char** argv, const BootstrapFactory& make);

// The time a stop waits so that the answer to `stop` reaches its caller.
inline constexpr uint64_t STOP_GRACE_MS = 20;

}  // namespace fulgur::daemon
