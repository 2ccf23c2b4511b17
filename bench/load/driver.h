// The load run from the driver's side: a fresh l1sim on a temporary directory, two node
// processes (this same program with --role node), or three in a line, funding, the
// channels mined to depth, the payments from A to B (or to C through B), the checks (every
// payment succeeded, both sides of each channel agree on the balances, which moved by
// exactly the amounts and B's fees) and the report. Must not: leave a process or a directory behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace fulgur::load {

struct LoadOptions {
  // 1: A pays B over one channel; 2: A pays C through B (A->B->C, B forwards each one).
  int hops = 1;
  uint64_t payments = 0;  // 0: as many as fit in `seconds`
  double seconds = 0;     // 0: until `payments` are done
  size_t inflight = 100;  // payments in flight at once (at most 300, see main.cpp)
  uint64_t amount_msat = 1000;
  uint64_t capacity_sat = 16'000'000;
  std::string channel_type = "anchors";  // or "static_remotekey"
  bool json = false;
  std::filesystem::path l1sim;  // the l1sim binary
  std::filesystem::path self;   // this program (started again as the nodes)
  std::filesystem::path dir;    // where the run lives (empty: a new temporary directory)
  bool keep = false;            // keep the directory (logs, databases)
  std::string log_level = "warn";
};

// The whole run; the process exit code (0: every payment succeeded and balances match).
int run_load(const LoadOptions& options);

}  // namespace fulgur::load
