// Identifiers: short channel id text and packing, txid byte order, fixed-size parsing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "common/ids.h"

using namespace fulgur;

TEST(ShortChannelId, ParsePrintPack) {
  auto scid = ShortChannelId::parse("539268x845x1");
  ASSERT_TRUE(scid.ok()) << scid.error().message;
  EXPECT_EQ(scid->block(), 539268u);
  EXPECT_EQ(scid->tx_index(), 845u);
  EXPECT_EQ(scid->output_index(), 1u);
  EXPECT_EQ(scid->to_string(), "539268x845x1");
  // 539268 << 40 | 845 << 16 | 1
  EXPECT_EQ(scid->to_u64(), 0x083a8400034d0001ull);
  EXPECT_EQ(ShortChannelId(scid->to_u64()), *scid);
}

TEST(ShortChannelId, RejectsMalformedText) {
  for (const char* bad : {"", "1x2", "1x2x3x4", "ax2x3", "1x2x", "x2x3", "16777216x0x0",
                          "0x16777216x0", "0x0x65536", "-1x2x3", "1 x2x3", "1x2x3 ",
                          "99999999999999999999x0x0"}) {
    auto parsed = ShortChannelId::parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_FALSE(parsed.error().message.empty());
    }
  }
  EXPECT_EQ(ShortChannelId::from_parts(1u << 24, 0, 0), std::nullopt);
}

RC_GTEST_PROP(ShortChannelIdProperty, RoundTrips, (uint64_t packed)) {
  ShortChannelId scid(packed);
  auto parsed = ShortChannelId::parse(scid.to_string());
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed->to_u64() == packed);
  auto rebuilt = ShortChannelId::from_parts(scid.block(), scid.tx_index(), scid.output_index());
  RC_ASSERT(rebuilt == scid);
}

TEST(Txid, DisplaysReversed) {
  // The genesis coinbase txid as Bitcoin displays it; internally the bytes are reversed.
  const char* shown = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";
  auto txid = Txid::from_hex(shown);
  ASSERT_TRUE(txid.ok());
  EXPECT_EQ(txid->data()[0], 0x3b);
  EXPECT_EQ(txid->data()[31], 0x4a);
  EXPECT_EQ(txid->to_hex(), shown);
  // A ChannelId is shown in wire order.
  auto cid = ChannelId::from_hex(shown);
  ASSERT_TRUE(cid.ok());
  EXPECT_EQ(cid->data()[0], 0x4a);
}

TEST(FixedBytes, RejectsWrongLength) {
  EXPECT_FALSE(PaymentHash::from_hex("00").ok());
  EXPECT_FALSE(NodeId::from_hex(std::string(64, '0')).ok());
  EXPECT_FALSE(Preimage::from_hex(std::string(63, '0')).ok());
  uint8_t raw[3] = {1, 2, 3};
  EXPECT_EQ(Hash256::from_span(raw), std::nullopt);
  EXPECT_TRUE(Hash256().is_zero());
}
