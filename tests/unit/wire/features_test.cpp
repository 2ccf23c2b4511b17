// BOLT 9 features: bit numbering on the wire, the table, "it's OK to be odd" and unknown
// even bits on init, every dependency rule, our own vectors' checks, negotiation, and
// BOLT 2's defined channel types.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "support/vectors.h"
#include "wire/features.h"

using namespace fulgur;
using namespace fulgur::wire;
using fulgur::test::unhex;

TEST(FeatureBits, WireBitNumbering) {
  // Bit 0 is the least significant bit of the last byte.
  FeatureBits f = FeatureBits::from_wire(unhex("0200"));
  EXPECT_EQ(f.set_bits(), std::vector<size_t>{9});
  EXPECT_TRUE(f.offers(Feature::var_onion_optin));
  EXPECT_FALSE(f.is_required(Feature::var_onion_optin));
  EXPECT_EQ(to_hex(f.to_wire()), "0200");
  FeatureBits g = FeatureBits::from_bits({0, 15, 17});
  EXPECT_EQ(to_hex(g.to_wire()), "028001");
  EXPECT_EQ(FeatureBits::from_wire(g.to_wire()), g);
}

TEST(FeatureBits, SerializesMinimally) {
  FeatureBits f = FeatureBits::from_wire(unhex("00000100"));
  EXPECT_EQ(to_hex(f.to_wire()), "0100");
  EXPECT_TRUE(FeatureBits::from_wire(unhex("0000")).empty());
  EXPECT_TRUE(FeatureBits::from_wire(unhex("0000")).to_wire().empty());
  f.clear_bit(8);
  EXPECT_TRUE(f.to_wire().empty());
}

TEST(FeatureBits, CombinesGlobalAndLocalFeatures) {
  FeatureBits global = FeatureBits::from_bits({1, 5});
  FeatureBits local = FeatureBits::from_bits({5, 100});
  EXPECT_EQ((global | local).set_bits(), (std::vector<size_t>{1, 5, 100}));
}

TEST(FeatureBits, MandatoryWinsWhenBothBitsSet) {
  FeatureBits f = FeatureBits::from_bits({16, 17});
  EXPECT_TRUE(f.is_required(Feature::basic_mpp));
  f.set_optional(Feature::basic_mpp);
  EXPECT_EQ(f.set_bits(), std::vector<size_t>{17});
  f.set_required(Feature::basic_mpp);
  EXPECT_EQ(f.set_bits(), std::vector<size_t>{16});
}

RC_GTEST_PROP(FeatureBits, WireRoundTrip, (std::set<uint16_t> raw)) {
  FeatureBits f;
  std::vector<size_t> bits;
  for (uint16_t b : raw) {
    f.set_bit(b % 2048);
    bits.push_back(b % 2048);
  }
  std::sort(bits.begin(), bits.end());
  bits.erase(std::unique(bits.begin(), bits.end()), bits.end());
  RC_ASSERT(f.set_bits() == bits);
  Bytes wire = f.to_wire();
  RC_ASSERT((wire.empty() || wire[0] != 0));  // parenthesized: no overloaded ||
  RC_ASSERT(FeatureBits::from_wire(wire) == f);
}

TEST(FeatureTable, EveryNamedBitOfBolt9) {
  const std::vector<std::pair<size_t, std::string_view>> expected = {
      {0, "option_data_loss_protect"},  {4, "option_upfront_shutdown_script"},
      {6, "gossip_queries"},            {8, "var_onion_optin"},
      {10, "gossip_queries_ex"},        {12, "option_static_remotekey"},
      {14, "payment_secret"},           {16, "basic_mpp"},
      {18, "option_support_large_channel"}, {22, "option_anchors"},
      {24, "option_route_blinding"},    {26, "option_shutdown_anysegwit"},
      {28, "option_dual_fund"},         {34, "option_quiesce"},
      {36, "option_attribution_data"},  {38, "option_onion_messages"},
      {42, "option_provide_storage"},   {44, "option_channel_type"},
      {46, "option_scid_alias"},        {48, "option_payment_metadata"},
      {50, "option_zeroconf"},          {60, "option_simple_close"},
      {62, "option_splice"}};
  ASSERT_EQ(all_features().size(), expected.size());
  for (const auto& [bit, name] : expected) {
    ASSERT_NE(feature_info(bit), nullptr) << bit;
    EXPECT_EQ(feature_info(bit)->name, name);
    EXPECT_EQ(feature_info(bit + 1), feature_info(bit));  // the odd bit is the same feature
  }
  EXPECT_EQ(feature_info(size_t{2}), nullptr);  // unassigned
  EXPECT_EQ(feature_info(size_t{20}), nullptr);
  EXPECT_EQ(feature_name(Feature::option_zeroconf), "option_zeroconf");
}

TEST(PeerInitFeatures, UnknownOddIgnoredUnknownEvenDisconnects) {
  EXPECT_TRUE(check_peer_init_features(FeatureBits::from_bits({101})).ok());
  EXPECT_TRUE(check_peer_init_features(FeatureBits::from_bits({3})).ok());
  auto even = check_peer_init_features(FeatureBits::from_bits({100}));
  ASSERT_FALSE(even.ok());
  EXPECT_EQ(even.error().action, PeerAction::Disconnect);
  auto even_low = check_peer_init_features(FeatureBits::from_bits({2}));
  ASSERT_FALSE(even_low.ok());
  EXPECT_EQ(even_low.error().action, PeerAction::Disconnect);
}

TEST(PeerInitFeatures, AFeatureOutsideItsContextIsUnknown) {
  // option_payment_metadata is an invoice-only feature: in init it is an unknown bit.
  EXPECT_FALSE(check_peer_init_features(FeatureBits::from_bits({48})).ok());
  EXPECT_TRUE(check_peer_init_features(FeatureBits::from_bits({49})).ok());
  EXPECT_EQ(unknown_bits(FeatureBits::from_bits({48, 16}), FeatureContext::Init),
            std::vector<size_t>{48});
  EXPECT_TRUE(unknown_bits(FeatureBits::from_bits({48}), FeatureContext::Invoice).empty());
}

TEST(PeerInitFeatures, AssumedFeaturesAreKnownEvenAsCompulsory) {
  // What deployed nodes send today: data_loss_protect, var_onion_optin, static_remotekey,
  // payment_secret and channel_type compulsory, gossip_queries optional.
  FeatureBits typical = FeatureBits::from_bits({0, 7, 8, 12, 14, 17, 23, 27, 44, 47});
  EXPECT_TRUE(check_peer_init_features(typical).ok()) << typical.to_string();
}

TEST(PeerInitFeatures, EveryDependencyRuleIsChecked) {
  struct Rule {
    Feature feature;
    Feature dependency;
  };
  // BOLT 9's Dependencies column.
  const std::vector<Rule> rules = {{Feature::basic_mpp, Feature::payment_secret},
                                   {Feature::option_zeroconf, Feature::option_scid_alias},
                                   {Feature::option_simple_close,
                                    Feature::option_shutdown_anysegwit}};
  size_t with_dependency = 0;
  for (const auto& info : all_features()) with_dependency += info.dependency.has_value();
  EXPECT_EQ(with_dependency, rules.size());
  for (const auto& rule : rules) {
    SCOPED_TRACE(std::string(feature_name(rule.feature)));
    for (bool required : {false, true}) {
      FeatureBits alone;
      if (required) {
        alone.set_required(rule.feature);
      } else {
        alone.set_optional(rule.feature);
      }
      auto status = check_peer_init_features(alone);
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(status.error().action, PeerAction::Disconnect);
      auto missing = missing_dependency(alone);
      ASSERT_TRUE(missing.has_value());
      EXPECT_EQ(missing->dependency, rule.dependency);
      // Either bit of the dependency satisfies it.
      FeatureBits opt = alone;
      opt.set_optional(rule.dependency);
      EXPECT_TRUE(check_peer_init_features(opt).ok());
      FeatureBits req = alone;
      req.set_required(rule.dependency);
      EXPECT_TRUE(check_peer_init_features(req).ok());
    }
  }
}

TEST(OwnFeatures, Bolt9OriginRules) {
  FeatureBits good = FeatureBits::from_bits({8, 12, 14, 17, 23, 47});
  EXPECT_TRUE(check_own_features(good, FeatureContext::Init).ok());
  // "MUST NOT set both the optional and mandatory bits".
  EXPECT_FALSE(check_own_features(FeatureBits::from_bits({22, 23}), FeatureContext::Init).ok());
  // "MUST NOT set feature bits in fields not specified by the table".
  EXPECT_FALSE(check_own_features(FeatureBits::from_bits({49}), FeatureContext::Init).ok());
  EXPECT_TRUE(check_own_features(FeatureBits::from_bits({49}), FeatureContext::Invoice).ok());
  EXPECT_FALSE(check_own_features(FeatureBits::from_bits({23}), FeatureContext::Invoice).ok());
  // "MUST NOT set feature bits it does not support" (no unassigned bits).
  EXPECT_FALSE(check_own_features(FeatureBits::from_bits({101}), FeatureContext::Init).ok());
  // "MUST set all transitive feature dependencies".
  EXPECT_FALSE(check_own_features(FeatureBits::from_bits({17}), FeatureContext::Invoice).ok());
  EXPECT_TRUE(check_own_features(FeatureBits::from_bits({15, 17}), FeatureContext::Invoice).ok());
}

TEST(Negotiation, BothOfferedOrLocalCompulsory) {
  FeatureBits local_opt = FeatureBits::from_bits({23});
  FeatureBits local_req = FeatureBits::from_bits({22});
  FeatureBits remote_opt = FeatureBits::from_bits({23});
  FeatureBits none;
  EXPECT_TRUE(negotiated(local_opt, remote_opt, Feature::option_anchors));
  EXPECT_TRUE(negotiated(local_req, none, Feature::option_anchors));
  EXPECT_FALSE(negotiated(local_opt, none, Feature::option_anchors));
  EXPECT_FALSE(negotiated(none, FeatureBits::from_bits({22}), Feature::option_anchors));
}

TEST(ChannelTypes, DefinedTypesRoundTrip) {
  for (bool anchors : {false, true}) {
    for (bool alias : {false, true}) {
      for (bool zeroconf : {false, true}) {
        ChannelType type{anchors, alias, zeroconf};
        Bytes wire = encode_channel_type(type);
        auto back = parse_channel_type(wire);
        ASSERT_TRUE(back.ok()) << to_hex(wire);
        EXPECT_EQ(*back, type);
      }
    }
  }
  // option_anchors + option_static_remotekey: bits 22 and 12.
  EXPECT_EQ(to_hex(encode_channel_type({true, false, false})), "401000");
}

TEST(ChannelTypes, UndefinedTypesFailTheChannel) {
  for (const char* hex : {"", "400000", "2000", "401001", "441000", "00401000", "0200001000"}) {
    auto parsed = parse_channel_type(unhex(hex));
    ASSERT_FALSE(parsed.ok()) << hex;
    EXPECT_EQ(parsed.error().action, PeerAction::FailChannel);
  }
}
