// One node of the load run, in its own process: a channeld Node on its own libuv loop, data
// directory and LMDB environment (durable: every commit is fsynced), on the run's l1sim,
// driven by the tool's driver through the control channel (control.h). It sends the
// payments itself (keysend, a window of K in flight) and measures each one's latency from
// the call to the durable result. Must not: change how the Node works (it is the thing
// measured).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace fulgur::load {

struct NodeRoleOptions {
  std::string name;
  std::filesystem::path datadir;
  uint16_t l1_port = 0;
  std::string l1_cookie;
  std::string log_level = "warn";
  uint32_t minimum_depth = 3;
};

// Runs until the driver says "stop" or closes the control channel; the exit code.
int run_node_role(const NodeRoleOptions& options);

}  // namespace fulgur::load
