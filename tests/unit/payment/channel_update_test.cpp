// Our channel_update: every field as BOLT 7 wants it (must_be_one, direction bit from the
// node ids, disable bit, htlc_maximum_msat at most the capacity), and a signature over the
// double-SHA256 of what follows it that verifies with our node id.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "harness.h"
#include "payment/channel_update.h"

namespace fulgur::payment::test {
namespace {

wire::msg::ChannelUpdate decoded(const Bytes& bytes) {
  auto message = wire::decode_message(bytes);
  EXPECT_TRUE(message.ok());
  return std::get<wire::msg::ChannelUpdate>(*message);
}

TEST(ChannelUpdate, FieldsAndSignature) {
  crypto::SecretKey ours = key_from_seed(0xB);
  crypto::SecretKey theirs = key_from_seed(0xC);
  ChannelUpdateParams p;
  p.chain_hash = wire::regtest_chain_hash();
  p.short_channel_id = *ShortChannelId::from_parts(101, 1, 0);
  p.timestamp = 1700000123;
  p.remote_node = theirs.public_key().node_id();
  p.policy = ForwardingPolicy{Msat(1000), 250, CltvDelta(40), Msat(3), Msat::max()};
  p.capacity = Msat(500'000'000);
  Bytes bytes = sign_channel_update(ours, p);
  ASSERT_EQ(wire::message_type(*wire::decode_message(bytes)), 258);
  auto u = decoded(bytes);
  EXPECT_EQ(u.chain_hash, p.chain_hash);
  EXPECT_EQ(u.short_channel_id, p.short_channel_id);
  EXPECT_EQ(u.timestamp, p.timestamp);
  EXPECT_EQ(u.message_flags, 1);
  EXPECT_EQ(u.cltv_expiry_delta, CltvDelta(40));
  EXPECT_EQ(u.htlc_minimum_msat, Msat(3));
  EXPECT_EQ(u.fee_base_msat, Msat(1000));
  EXPECT_EQ(u.fee_proportional_millionths, 250u);
  EXPECT_EQ(u.htlc_maximum_msat, p.capacity);
  auto sig = crypto::Signature::from_compact(u.signature.span());
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::verify(ours.public_key(), crypto::sha256d(ByteSpan(bytes).subspan(66)), *sig));
  EXPECT_FALSE(crypto::verify(theirs.public_key(), crypto::sha256d(ByteSpan(bytes).subspan(66)), *sig));

  // The direction bit: 0 when we are node_1 (the lesser id), 1 otherwise; seen from the
  // peer's side it flips. The disable bit is bit 1.
  const bool we_are_node_1 = ours.public_key().node_id() < theirs.public_key().node_id();
  EXPECT_EQ(u.channel_flags, we_are_node_1 ? 0 : 1);
  ChannelUpdateParams back = p;
  back.remote_node = ours.public_key().node_id();
  back.disabled = true;
  EXPECT_EQ(decoded(sign_channel_update(theirs, back)).channel_flags, (we_are_node_1 ? 1 : 0) | 2);
  // A smaller policy maximum wins over the capacity.
  p.policy.htlc_maximum_msat = Msat(7000);
  EXPECT_EQ(decoded(sign_channel_update(ours, p)).htlc_maximum_msat, Msat(7000));
}

}  // namespace
}  // namespace fulgur::payment::test
