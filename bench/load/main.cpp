// fulgur-load: payments per second through one channel between two real nodes, each in its
// own process with durable storage, on a fresh l1sim. Reading order: driver.h (the run),
// node_role.h (a node process), control.h (how they talk), crypto_ops.h (the limit).
// The same binary is started again with --role node for each node.
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <climits>

#include "driver.h"
#include "node_role.h"

#ifndef FULGUR_L1SIM_PATH
#define FULGUR_L1SIM_PATH ""
#endif

namespace {
std::filesystem::path self_path(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return std::filesystem::absolute(argv0);
}
}  // namespace

int main(int argc, char** argv) {
  using namespace fulgur::load;
  CLI::App app{
      "fulgur-load: drives keysend payments from node A to node B through one channel, or to C "
      "through B with --hops 2 (each node in its own process, LMDB with fsync, on a fresh "
      "l1sim) and reports payments/s, "
      "latency, commits and signatures per payment, and the ratio to the crypto-bound limit"};
  LoadOptions load;
  load.l1sim = FULGUR_L1SIM_PATH;
  std::string role = "driver";
  NodeRoleOptions node;
  std::string dir;
  std::string l1sim = load.l1sim.string();
  app.add_option("--hops", load.hops,
                 "1: A pays B over one channel; 2: A pays C through B, which forwards")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  app.add_option("--payments", load.payments, "payments to make (0: as many as fit in --seconds)")
      ->capture_default_str();
  app.add_option("--seconds", load.seconds,
                 "how long to send (default: 10 without --payments, no limit with it)");
  // A payment's HTLC keeps its slot (BOLT 2: at most 483 a side) for a round or two after
  // the payer hears the preimage, so the window stays well below 483.
  app.add_option("--inflight", load.inflight, "payments in flight at once (1..300)")
      ->capture_default_str()
      ->check(CLI::Range(1, 300));
  app.add_option("--amount-msat", load.amount_msat,
                 "amount of each payment (the default is below the dust limit: no HTLC output)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--capacity-sat", load.capacity_sat, "channel size")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{20000}, uint64_t{16'777'215}));
  app.add_option("--channel-type", load.channel_type, "anchors or static_remotekey")
      ->capture_default_str()
      ->check(CLI::IsMember({"anchors", "static_remotekey"}));
  app.add_flag("--json", load.json, "print the report as JSON");
  app.add_option("--l1sim", l1sim, "the l1sim binary")->capture_default_str();
  app.add_option("--dir", dir, "run directory (default: a new temporary one, removed at the end)");
  app.add_flag("--keep", load.keep, "keep the run directory (node logs and databases)");
  app.add_option("--log-level", load.log_level, "the nodes' log level (logs in the run directory)")
      ->capture_default_str();
  // The node processes (started by the driver).
  app.add_option("--role", role, "driver, or node (internal)")->group("");
  app.add_option("--name", node.name)->group("");
  app.add_option("--datadir", node.datadir)->group("");
  app.add_option("--l1-port", node.l1_port)->group("");
  app.add_option("--l1-cookie", node.l1_cookie)->group("");
  CLI11_PARSE(app, argc, argv);

  if (role == "node") {
    node.log_level = load.log_level;
    return run_node_role(node);
  }
  if (app.count("--seconds") == 0 && load.payments == 0) load.seconds = 10;
  if (load.payments == 0 && load.seconds <= 0) {
    std::fprintf(stderr, "fulgur-load: give --payments or --seconds\n");
    return 2;
  }
  load.l1sim = l1sim;
  load.dir = dir;
  load.self = self_path(argv[0]);
  if (load.l1sim.empty() || !std::filesystem::exists(load.l1sim)) {
    std::fprintf(stderr, "fulgur-load: no l1sim binary at '%s' (use --l1sim)\n", l1sim.c_str());
    return 2;
  }
  return run_load(load);
}
