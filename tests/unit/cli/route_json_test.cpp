// fulgur-cli's --route JSON: both forms (a list of hops; a list of parts with amounts),
// defaults, and the errors for what a user gets wrong (each names the place).
#include <gtest/gtest.h>

#include "route_json.h"

using namespace fulgur::cli;

TEST(RouteJson, AListOfHopsIsOnePart) {
  auto parts = parse_route_json(
      R"([{"node_id":"02aa","short_channel_id":"103x1x0"},
          {"node_id":"03bb","short_channel_id":"105x2x1","fee_base_msat":1000,
           "fee_proportional_millionths":10,"cltv_expiry_delta":34,"htlc_minimum_msat":5,
           "htlc_maximum_msat":9000}])");
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 1u);
  const auto& p = (*parts)[0];
  EXPECT_EQ(p.amount_msat, 0u);
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_EQ(p.hops[0].node_id, "02aa");
  EXPECT_EQ(p.hops[0].short_channel_id, "103x1x0");
  EXPECT_EQ(p.hops[0].fee_base_msat, 0u);
  EXPECT_EQ(p.hops[1].fee_base_msat, 1000u);
  EXPECT_EQ(p.hops[1].fee_proportional_millionths, 10u);
  EXPECT_EQ(p.hops[1].cltv_expiry_delta, 34u);
  EXPECT_EQ(p.hops[1].htlc_minimum_msat, 5u);
  EXPECT_EQ(p.hops[1].htlc_maximum_msat, 9000u);
}

TEST(RouteJson, PartsCarryTheirAmounts) {
  auto parts = parse_route_json(
      R"([{"amount_msat":60000,"route":[{"node_id":"02aa","short_channel_id":"1x1x0"}]},
          {"amount_msat":40000,"route":[{"node_id":"02aa","short_channel_id":"2x1x0"}]}])");
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].amount_msat, 60000u);
  EXPECT_EQ((*parts)[1].hops[0].short_channel_id, "2x1x0");
}

TEST(RouteJson, MistakesAreNamed) {
  struct Case {
    const char* json;
    const char* says;
  };
  for (const Case& c : {
           Case{"", "not valid JSON"},
           Case{"{}", "non-empty array"},
           Case{"[]", "non-empty array"},
           Case{R"([{"short_channel_id":"1x1x0"}])", "node_id missing"},
           Case{R"([{"node_id":"02"}])", "short_channel_id missing"},
           Case{R"([{"node_id":2,"short_channel_id":"1x1x0"}])", "route[0].node_id must be a string"},
           Case{R"([{"node_id":"02","short_channel_id":"1x1x0","fee_base_msat":-1}])",
                "fee_base_msat must be an unsigned integer"},
           Case{R"([{"node_id":"02","short_channel_id":"1x1x0","cltv_expiry_delta":4294967296}])",
                "cltv_expiry_delta must be an unsigned integer that fits in 32 bits"},
           Case{R"([{"node_id":"02","short_channel_id":"1x1x0","fee":1}])", "unknown field route[0].fee"},
           Case{R"([{"route":[]}])", "part 0.route must be a non-empty array"},
           Case{R"([{"route":[{"node_id":"02","short_channel_id":"1x1x0"}]},5])", "part 1 needs a route"},
       }) {
    auto parts = parse_route_json(c.json);
    ASSERT_FALSE(parts.ok()) << c.json;
    EXPECT_EQ(parts.error().code, "bad_argument");
    EXPECT_NE(parts.error().message.find(c.says), std::string::npos)
        << c.json << " -> " << parts.error().message;
  }
}
