// Runs the channel simulator over many seeds, in shards that ctest runs in parallel. Every
// run prints its seed; FULGUR_SIM_SEED=<n> replays one seed, FULGUR_SIM_RUNS=<n> sets the
// runs per shard.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/sim.h"

namespace {

constexpr int SHARDS = 8;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

void run_seed(uint64_t seed) {
  fulgur::sim::SimOptions options;
  options.nodes = 2 + static_cast<int>(seed % 3);
  auto r = fulgur::sim::run_simulation(seed, options);
  std::printf(
      "sim seed=%llu %s messages=%llu fulfilled=%llu crashes=%llu disconnects=%llu reorgs=%llu "
      "(%llu below minimum_depth before channel_ready)\n",
      static_cast<unsigned long long>(seed), r.ok ? "ok" : "FAILED",
      static_cast<unsigned long long>(r.messages),
      static_cast<unsigned long long>(r.payments_fulfilled),
      static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.disconnects),
      static_cast<unsigned long long>(r.reorgs),
      static_cast<unsigned long long>(r.reorgs_below_minimum_depth));
  ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.failure
                    << "\nreplay: FULGUR_SIM_SEED=" << seed << " build/tests/sim/sim_test";
}

class SimShard : public ::testing::TestWithParam<int> {};

TEST_P(SimShard, SeededRunsKeepInvariants) {
  if (const char* one = std::getenv("FULGUR_SIM_SEED")) {
    if (GetParam() == 0) run_seed(std::strtoull(one, nullptr, 10));
    return;
  }
  uint64_t runs = env_u64("FULGUR_SIM_RUNS", 250);
  for (uint64_t k = 0; k < runs; ++k) {
    run_seed(static_cast<uint64_t>(GetParam()) + k * SHARDS);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Sim, SimShard, ::testing::Range(0, SHARDS));

// The simulator must catch what it claims to: a run with faults really exercises crashes
// and disconnects, and different seeds give different schedules.
TEST(Sim, FaultsHappenAndSeedsDiffer) {
  fulgur::sim::SimOptions options;
  options.crash_rate = 0.05;
  options.disconnect_rate = 0.05;
  uint64_t crashes = 0, disconnects = 0, fulfilled = 0, reorgs = 0, below = 0;
  for (uint64_t seed = 1000; seed < 1030; ++seed) {
    auto r = fulgur::sim::run_simulation(seed, options);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.failure;
    crashes += r.crashes;
    disconnects += r.disconnects;
    fulfilled += r.payments_fulfilled;
    reorgs += r.reorgs;
    below += r.reorgs_below_minimum_depth;
  }
  EXPECT_GT(crashes, 0u);
  EXPECT_GT(disconnects, 0u);
  EXPECT_GT(fulfilled, 0u);
  EXPECT_GT(reorgs, 0u);
  // Some reorg took a funding tx that had reached minimum_depth back below it while a
  // channel_ready was still owed: the case where sending it would break BOLT 2.
  EXPECT_GT(below, 0u);
  auto a = fulgur::sim::run_simulation(7, options);
  auto b = fulgur::sim::run_simulation(7, options);
  auto c = fulgur::sim::run_simulation(8, options);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.payments_fulfilled, b.payments_fulfilled);
  EXPECT_NE(a.messages, c.messages);
}

}  // namespace
