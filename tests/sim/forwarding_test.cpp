// Runs the three-node forwarding simulator over many seeds, in shards that ctest runs in
// parallel (their names end in "Forwarding"). Every run prints its seed;
// FULGUR_SIM_SEED=<n> replays one seed, FULGUR_SIM_RUNS=<n> sets the runs per shard.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "sim/forwarding.h"

namespace {

constexpr int SHARDS = 8;
constexpr uint64_t RUNS_PER_SHARD = 250;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

fulgur::sim::ForwardingResult run_seed(uint64_t seed) {
  auto r = fulgur::sim::run_forwarding_simulation(seed, fulgur::sim::ForwardingOptions{});
  std::printf(
      "forwarding seed=%llu %s steps=%llu messages=%llu payments=%llu succeeded=%llu "
      "failed=%llu (at B %llu, at C %llu) fees=%llu msat crashes=%llu disconnects=%llu "
      "reoffered=%llu force_closes=%llu breaches=%llu penalties=%llu claims=%llu "
      "settled_from_chain=%llu\n",
      static_cast<unsigned long long>(seed), r.ok ? "ok" : "FAILED",
      static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.messages),
      static_cast<unsigned long long>(r.payments), static_cast<unsigned long long>(r.succeeded),
      static_cast<unsigned long long>(r.failed), static_cast<unsigned long long>(r.failed_at_b),
      static_cast<unsigned long long>(r.failed_at_c),
      static_cast<unsigned long long>(r.fees_earned_msat),
      static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.disconnects),
      static_cast<unsigned long long>(r.reoffered),
      static_cast<unsigned long long>(r.force_closes),
      static_cast<unsigned long long>(r.breaches), static_cast<unsigned long long>(r.penalties),
      static_cast<unsigned long long>(r.onchain_claims),
      static_cast<unsigned long long>(r.onchain_settled));
  EXPECT_TRUE(r.ok) << "seed " << seed << ": " << r.failure
                    << "\nreplay: FULGUR_SIM_SEED=" << seed
                    << " build/tests/sim/sim_forwarding_test (FULGUR_SIM_TRACE=1 for the trace)";
  return r;
}

class SimShard : public ::testing::TestWithParam<int> {};

TEST_P(SimShard, SeededRunsKeepInvariants) {
  if (const char* one = std::getenv("FULGUR_SIM_SEED")) {
    if (GetParam() == 0) run_seed(std::strtoull(one, nullptr, 10));
    return;
  }
  uint64_t runs = env_u64("FULGUR_SIM_RUNS", RUNS_PER_SHARD);
  for (uint64_t k = 0; k < runs; ++k) {
    run_seed(static_cast<uint64_t>(GetParam()) + k * SHARDS);
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Sim, SimShard, ::testing::Range(0, SHARDS),
                         [](const auto& param_info) {
                           return std::to_string(param_info.param) + "_Forwarding";
                         });

}  // namespace

namespace {

// The simulator must exercise what it claims: payments that succeed and fail at each hop,
// crashes, re-offered HTLCs, force closes, breaches punished, claims confirmed, preimages
// learnt on chain; and a seed replays to the same run.
TEST(SimForwarding, FaultsAndEndingsHappenAndSeedsReplay) {
  fulgur::sim::ForwardingOptions options;
  options.force_close_rate = 0.02;
  options.breach_rate = 0.02;
  fulgur::sim::ForwardingResult sum;
  for (uint64_t seed = 5000; seed < 5040; ++seed) {
    auto r = fulgur::sim::run_forwarding_simulation(seed, options);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.failure;
    sum.succeeded += r.succeeded;
    sum.failed_at_b += r.failed_at_b;
    sum.failed_at_c += r.failed_at_c;
    sum.crashes += r.crashes;
    sum.reoffered += r.reoffered;
    sum.force_closes += r.force_closes;
    sum.breaches += r.breaches;
    sum.penalties += r.penalties;
    sum.onchain_claims += r.onchain_claims;
    sum.onchain_settled += r.onchain_settled;
    sum.fees_earned_msat += r.fees_earned_msat;
  }
  std::printf("succeeded=%llu failed_at_b=%llu failed_at_c=%llu crashes=%llu reoffered=%llu "
              "force_closes=%llu breaches=%llu penalties=%llu claims=%llu "
              "settled_from_chain=%llu\n",
              static_cast<unsigned long long>(sum.succeeded),
              static_cast<unsigned long long>(sum.failed_at_b),
              static_cast<unsigned long long>(sum.failed_at_c),
              static_cast<unsigned long long>(sum.crashes),
              static_cast<unsigned long long>(sum.reoffered),
              static_cast<unsigned long long>(sum.force_closes),
              static_cast<unsigned long long>(sum.breaches),
              static_cast<unsigned long long>(sum.penalties),
              static_cast<unsigned long long>(sum.onchain_claims),
              static_cast<unsigned long long>(sum.onchain_settled));
  EXPECT_GT(sum.succeeded, 0u);
  EXPECT_GT(sum.failed_at_b, 0u);
  EXPECT_GT(sum.failed_at_c, 0u);
  EXPECT_GT(sum.crashes, 0u);
  EXPECT_GT(sum.reoffered, 0u);
  EXPECT_GT(sum.force_closes, 0u);
  EXPECT_GT(sum.breaches, 0u);
  EXPECT_GT(sum.penalties, 0u);
  EXPECT_GT(sum.onchain_claims, 0u);
  EXPECT_GT(sum.fees_earned_msat, 0u);
  auto a = fulgur::sim::run_forwarding_simulation(7, options);
  auto b = fulgur::sim::run_forwarding_simulation(7, options);
  auto c = fulgur::sim::run_forwarding_simulation(8, options);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.succeeded, b.succeeded);
  EXPECT_EQ(a.onchain_claims, b.onchain_claims);
  EXPECT_NE(a.messages, c.messages);
}

}  // namespace
