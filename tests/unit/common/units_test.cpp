// Strong unit types: checked arithmetic never wraps, conversions are exact or say how
// they round.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

#include "common/units.h"

using namespace fulgur;
using namespace fulgur::literals;

__extension__ using Wide = unsigned __int128;

TEST(Units, LiteralsAndComparison) {
  EXPECT_EQ(1000_msat, Msat(1000));
  EXPECT_LT(1_sat, 2_sat);
  EXPECT_EQ((253_perkw).value(), 253u);
  EXPECT_EQ(to_string(1234_msat), "1234msat");
  EXPECT_EQ(to_string(12_sat), "12sat");
}

TEST(Units, CheckedArithmeticDetectsOverflow) {
  EXPECT_EQ(Msat::max().checked_add(1_msat), std::nullopt);
  EXPECT_EQ((0_msat).checked_sub(1_msat), std::nullopt);
  EXPECT_EQ(Msat::max().checked_mul(2), std::nullopt);
  EXPECT_EQ((5_sat).checked_div(0), std::nullopt);
  EXPECT_EQ((7_sat).checked_div(2), 3_sat);
  EXPECT_EQ((3_msat).saturating_sub(5_msat), 0_msat);
}

TEST(Units, NamedConversions) {
  EXPECT_EQ(to_msat(21_sat), 21000_msat);
  EXPECT_EQ(to_msat(Sat(std::numeric_limits<uint64_t>::max() / 999)), std::nullopt);
  EXPECT_EQ(to_sat_floor(1999_msat), 1_sat);
  EXPECT_EQ(to_sat_ceil(1001_msat), 2_sat);
  EXPECT_EQ(to_sat_ceil(1000_msat), 1_sat);
  // BOLT 3 Appendix: 253 sat/kw at 724 weight = 183 sat (rounded down).
  EXPECT_EQ(fee_for_weight(253_perkw, 724), 183_sat);
}

TEST(Units, HeightsAndDeltas) {
  BlockHeight h(800000);
  EXPECT_EQ(h.checked_add(144_blocks), BlockHeight(800144));
  EXPECT_EQ(BlockHeight(10).checked_sub(11_blocks), std::nullopt);
  EXPECT_EQ(BlockHeight(0xffffffff).checked_add(1_blocks), std::nullopt);
  EXPECT_EQ(BlockHeight(100).blocks_since(BlockHeight(40)), 60_blocks);
  EXPECT_EQ(BlockHeight(40).blocks_since(BlockHeight(100)), std::nullopt);
}

RC_GTEST_PROP(UnitsProperty, CheckedAddMatchesWideArithmetic, (uint64_t a, uint64_t b)) {
  auto sum = Msat(a).checked_add(Msat(b));
  Wide wide = static_cast<Wide>(a) + b;
  if (wide > std::numeric_limits<uint64_t>::max()) {
    RC_ASSERT(!sum.has_value());
  } else {
    RC_ASSERT(sum.has_value());
    RC_ASSERT(sum->value() == static_cast<uint64_t>(wide));
    RC_ASSERT(sum->checked_sub(Msat(b)) == Msat(a));
  }
}

RC_GTEST_PROP(UnitsProperty, CheckedMulMatchesWideArithmetic, (uint64_t a, uint64_t b)) {
  auto product = Sat(a).checked_mul(b);
  Wide wide = static_cast<Wide>(a) * b;
  RC_ASSERT(product.has_value() == (wide <= std::numeric_limits<uint64_t>::max()));
  if (product) RC_ASSERT(product->value() == static_cast<uint64_t>(wide));
}

RC_GTEST_PROP(UnitsProperty, CheckedSubNeverWraps, (uint64_t a, uint64_t b)) {
  auto diff = Msat(a).checked_sub(Msat(b));
  RC_ASSERT(diff.has_value() == (a >= b));
  if (diff) RC_ASSERT(diff->checked_add(Msat(b)) == Msat(a));
}

RC_GTEST_PROP(UnitsProperty, SatMsatRoundTrip, (uint64_t sats)) {
  auto msat = to_msat(Sat(sats));
  RC_ASSERT(msat.has_value() == (sats <= std::numeric_limits<uint64_t>::max() / 1000));
  if (msat) {
    RC_ASSERT(to_sat_floor(*msat) == Sat(sats));
    RC_ASSERT(to_sat_ceil(*msat) == Sat(sats));
  }
}
