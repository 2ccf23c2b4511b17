// The deterministic channel simulator: several nodes, each with channels to others, run the
// real lib/channel state machines over an in-memory network (one FIFO queue per direction of
// each connection; connections interleave freely) and an in-memory chain, driven by a seeded
// schedule of payments both ways, fee updates, commits, disconnects, crashes with restart
// from the last persisted record, blocks and reorgs (the funding transaction's depth goes
// up, and back down, or out of the chain, before channel_ready). Invariants are checked
// after every step.
#pragma once

#include <cstdint>
#include <string>

namespace fulgur::sim {

struct SimOptions {
  int nodes = 3;
  int steps = 250;
  double crash_rate = 0.01;       // per step: a node crashes (restarts from its records)
  double disconnect_rate = 0.02;  // per step: a connection drops
  double mid_batch_crash = 0.01;  // per executed action batch: crash part-way through it
  double reorg_rate = 0.1;          // per block mined: the last 1-3 blocks are replaced instead
  double funding_reorg_rate = 0.5;  // while the channels wait for funding depth
  bool finish_with_close = true;  // mutual close (or, for some seeds, force close) at the end
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the first broken invariant, with the step
  uint64_t messages = 0;
  uint64_t payments_fulfilled = 0;
  uint64_t crashes = 0;
  uint64_t disconnects = 0;
  uint64_t reorgs = 0;
  // Reorgs that took a funding tx that had reached minimum_depth back below it while a
  // channel_ready was still to be sent.
  uint64_t reorgs_below_minimum_depth = 0;
};

SimResult run_simulation(uint64_t seed, const SimOptions& options);

}  // namespace fulgur::sim
