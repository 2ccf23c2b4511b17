// Result: values, errors with the peer action, and FULGUR_TRY propagation.
#include <gtest/gtest.h>

#include "common/result.h"

using namespace fulgur;

namespace {
Result<int> parse_positive(int v) {
  if (v <= 0) return fail("not positive", PeerAction::Warn);
  return v;
}
Result<int> doubled(int v) {
  FULGUR_TRY(int x, parse_positive(v));
  return 2 * x;
}
Status check(int v) {
  FULGUR_TRY_STATUS(parse_positive(v));
  return {};
}
}  // namespace

TEST(Result, CarriesValueOrError) {
  auto ok = doubled(21);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().action, PeerAction::Warn);
  EXPECT_EQ(bad.error().message, "not positive");
  EXPECT_EQ(bad.value_or(7), 7);
  EXPECT_TRUE(check(1).ok());
  EXPECT_FALSE(check(0).ok());
  EXPECT_STREQ(to_string(PeerAction::FailChannel), "fail_channel");
}

TEST(ResultDeathTest, ValueOfAnErrorIsAContractViolation) {
  auto bad = parse_positive(0);
  EXPECT_DEATH((void)bad.value(), "REQUIRE failed");
}
