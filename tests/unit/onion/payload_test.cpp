// BOLT 4 hop payload TLV: the vector's payloads decode, encoding round-trips, and the
// TLV stream rules and reader requirements refuse with the offending type and offset.
#include <gtest/gtest.h>

#include "onion/payload.h"
#include "support/vectors.h"
#include "wire/codec.h"

using namespace fulgur;
using namespace fulgur::onion;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

TEST(HopPayload, VectorPayloadsDecode) {
  auto v = load_vectors("bolt04/onion-test.json");
  const auto& hops = v["generate"]["hops"];
  Bytes first = unhex(hops[0]["payload"].get<std::string>());
  wire::Reader in(first);
  ASSERT_TRUE(in.bigsize().ok());
  auto p = decode_hop_payload(in.rest());
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->amt_to_forward, Msat(15000));
  EXPECT_EQ(p->outgoing_cltv_value, BlockHeight(1500));
  EXPECT_EQ(p->short_channel_id, ShortChannelId(1));
  EXPECT_TRUE(check_forward_payload(*p).ok());

  // Hop 1 carries an unknown odd record (type 513, 60 bytes): kept, round-trips.
  Bytes second = unhex(hops[1]["payload"].get<std::string>());
  wire::Reader in2(second);
  ASSERT_TRUE(in2.bigsize().ok());
  ByteSpan body = in2.rest();
  auto p2 = decode_hop_payload(body);
  ASSERT_TRUE(p2.ok()) << p2.error().message;
  ASSERT_EQ(p2->unknown_odd.size(), 1u);
  EXPECT_EQ(p2->unknown_odd[0].type, 513u);
  EXPECT_EQ(encode_hop_payload(*p2), Bytes(body.begin(), body.end()));

  // The final hop: payment_data and a 224-byte unknown odd record (type 301).
  Bytes last = unhex(hops[4]["payload"].get<std::string>());
  wire::Reader in5(last);
  ASSERT_TRUE(in5.bigsize().ok());
  ByteSpan body5 = in5.rest();
  auto p5 = decode_hop_payload(body5);
  ASSERT_TRUE(p5.ok()) << p5.error().message;
  ASSERT_TRUE(p5->payment_data.has_value());
  EXPECT_EQ(p5->payment_data->total_msat, Msat(10000));
  ASSERT_EQ(p5->unknown_odd.size(), 1u);
  EXPECT_EQ(p5->unknown_odd[0].type, 301u);
  EXPECT_EQ(p5->unknown_odd[0].value, Bytes(224, 0x2a));
  EXPECT_TRUE(check_final_payload(*p5).ok());
  EXPECT_EQ(encode_hop_payload(*p5), Bytes(body5.begin(), body5.end()));
}

TEST(HopPayload, KeysendAndAllFieldsRoundTrip) {
  HopPayload p;
  p.amt_to_forward = Msat(0);
  p.outgoing_cltv_value = BlockHeight(800000);
  p.payment_data = PaymentData{PaymentSecret(std::array<uint8_t, 32>{9}), Msat(1ull << 40)};
  p.payment_metadata = Bytes{1, 2, 3};
  p.total_amount_msat = Msat(5);
  p.keysend_preimage = Preimage(std::array<uint8_t, 32>{0xaa});
  p.unknown_odd = {{1, {}}, {17, {4}}, {5482373485, {5, 5}}};
  Bytes encoded = encode_hop_payload(p);
  auto back = decode_hop_payload(encoded);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, p);
  // amt_to_forward 0 is a zero-length tu64.
  EXPECT_EQ(to_hex(ByteSpan(encoded).subspan(0, 6)), "010002000403");
}

TEST(HopPayload, TlvRulesRefuseWithTypeAndOffset) {
  // Types out of order (4 then 2).
  auto r = decode_hop_payload(unhex("040101020101"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, 2u);
  EXPECT_EQ(r.error().offset, 3u);
  // Duplicate type.
  EXPECT_FALSE(decode_hop_payload(unhex("020101020101")).ok());
  // Unknown even type.
  r = decode_hop_payload(unhex("0201010e0100"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type, 14u);
  // Length past the end.
  EXPECT_FALSE(decode_hop_payload(unhex("0205aabb")).ok());
  // Non-minimal tu64 and non-minimal bigsize type.
  EXPECT_FALSE(decode_hop_payload(unhex("02020001")).ok());
  EXPECT_FALSE(decode_hop_payload(unhex("fd0002020101")).ok());
  // tu32 longer than 4 bytes; short_channel_id not 8 bytes; preimage not 32 bytes.
  EXPECT_FALSE(decode_hop_payload(unhex("04050102030405")).ok());
  EXPECT_FALSE(decode_hop_payload(unhex("060401020304")).ok());
  EXPECT_FALSE(decode_hop_payload(unhex("ff00000001467d2e4c0101")).ok());
  // Bad blinding point.
  EXPECT_FALSE(decode_hop_payload(unhex("0c21" + std::string(66, '0'))).ok());
}

TEST(HopPayload, ReaderRequirements) {
  HopPayload forward;
  forward.amt_to_forward = Msat(1000);
  forward.outgoing_cltv_value = BlockHeight(100);
  EXPECT_FALSE(check_forward_payload(forward).ok());  // no short_channel_id
  forward.short_channel_id = ShortChannelId(42);
  EXPECT_TRUE(check_forward_payload(forward).ok());
  EXPECT_FALSE(check_final_payload(forward).ok());

  HopPayload final_hop;
  final_hop.outgoing_cltv_value = BlockHeight(100);
  auto missing = check_final_payload(final_hop);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().type, payload_type::amt_to_forward);
  FailureMessage failure = invalid_payload_failure(missing.error());
  EXPECT_EQ(failure.known_code(), FailureCode::invalid_onion_payload);
  EXPECT_EQ(failure.type, payload_type::amt_to_forward);
  final_hop.amt_to_forward = Msat(1);
  EXPECT_TRUE(check_final_payload(final_hop).ok());
  final_hop.current_blinding_point = NodeId();
  EXPECT_FALSE(check_final_payload(final_hop).ok());
}
