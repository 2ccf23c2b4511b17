// BOLT 4 onion-error-test.json (failure built at hop 4, wrapped by hops 3..0, attributed at
// the origin), every failure code's encoding, and update_fail_malformed_htlc.
#include <gtest/gtest.h>

#include "crypto/random.h"
#include "onion/failure.h"
#include "onion/sphinx.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::onion;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {

std::vector<crypto::Secret32> vector_secrets(const nlohmann::json& hops) {
  std::vector<crypto::Secret32> out;
  for (const auto& hop : hops) {
    Bytes s = unhex(hop["hop_shared_secret"].get<std::string>());
    out.emplace_back(std::span<const uint8_t, 32>(s.data(), 32));
  }
  return out;
}

// A failure message with every field its code carries set to something non-zero.
FailureMessage sample_failure(FailureCode code) {
  FailureMessage m(code);
  for (FailureField field : failure_fields(code)) {
    switch (field) {
      case FailureField::sha256_of_onion: m.sha256_of_onion = Hash256(std::array<uint8_t, 32>{7, 7}); break;
      case FailureField::htlc_msat: m.htlc_msat = Msat(123456789); break;
      case FailureField::cltv_expiry: m.cltv_expiry = BlockHeight(800144); break;
      case FailureField::height: m.height = BlockHeight(800000); break;
      case FailureField::incoming_htlc_amt: m.incoming_htlc_amt = Msat(99); break;
      case FailureField::disabled_flags: m.disabled_flags = 0; break;
      case FailureField::channel_update: m.channel_update = Bytes{0x01, 0x02, 0xaa, 0xbb}; break;
      case FailureField::type: m.type = 70000; break;
      case FailureField::offset: m.offset = 17; break;
    }
  }
  return m;
}

}  // namespace

TEST(OnionFailure, VectorPacketIsBuiltWrappedAndAttributed) {
  auto v = load_vectors("bolt04/onion-error-test.json");
  const auto& hops = v["generate"]["hops"];
  auto secrets = vector_secrets(hops);
  ASSERT_EQ(secrets.size(), 5u);
  Bytes message = unhex(v["generate"]["failure_message"].get<std::string>());

  auto packet = create_failure_packet(secrets[4], message);
  ASSERT_TRUE(packet.ok());
  // Before any obfuscation the packet is hmac || the vector's payload.
  Bytes clear = *packet;
  wrap_failure_packet(secrets[4], clear);  // XOR with the same stream undoes it
  EXPECT_EQ(to_hex(ByteSpan(clear).subspan(32)), hops[4]["payload"]);

  for (size_t hop = 4; hop-- > 0;) wrap_failure_packet(secrets[hop], *packet);
  EXPECT_EQ(to_hex(*packet), v["errorpacket"]);

  auto decrypted = decrypt_failure_packet(secrets, *packet);
  ASSERT_TRUE(decrypted.ok()) << decrypted.error().message;
  EXPECT_EQ(decrypted->hop_index, 4u);
  EXPECT_EQ(decrypted->failure_message, message);
  EXPECT_EQ(decrypted->message->known_code(), FailureCode::temporary_node_failure);
}

TEST(OnionFailure, VectorErrorPacketDecryptsAtTheOrigin) {
  auto v = load_vectors("bolt04/onion-error-test.json");
  auto secrets = vector_secrets(v["generate"]["hops"]);
  auto decrypted = decrypt_failure_packet(secrets, unhex(v["errorpacket"].get<std::string>()));
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 4u);
  // Without the failing hop's secret nobody matches.
  secrets.pop_back();
  EXPECT_FALSE(decrypt_failure_packet(secrets, unhex(v["errorpacket"].get<std::string>())).ok());
}

TEST(OnionFailure, EveryCodeRoundTripsAndIsAttributedToTheFailingHop) {
  std::vector<crypto::Secret32> secrets;
  for (int i = 0; i < 4; ++i) secrets.push_back(crypto::random_secret<32>());
  size_t failing = 0;
  for (FailureCode code : ALL_FAILURE_CODES) {
    FailureMessage message = sample_failure(code);
    Bytes encoded = encode_failure_message(message);
    auto decoded = decode_failure_message(encoded);
    ASSERT_TRUE(decoded.ok()) << to_string(code);
    EXPECT_EQ(*decoded, message) << to_string(code);

    failing = (failing + 1) % secrets.size();
    auto packet = create_failure_packet(secrets[failing], encoded);
    ASSERT_TRUE(packet.ok());
    EXPECT_GE(packet->size(), 32u + 4u + FAILURE_PAD_TARGET);
    for (size_t hop = failing; hop-- > 0;) wrap_failure_packet(secrets[hop], *packet);
    auto decrypted = decrypt_failure_packet(secrets, *packet);
    ASSERT_TRUE(decrypted.ok()) << to_string(code);
    EXPECT_EQ(decrypted->hop_index, failing) << to_string(code);
    EXPECT_EQ(decrypted->message, message) << to_string(code);
  }
}

TEST(OnionFailure, FieldLayoutsFollowTheSpec) {
  // fee_insufficient: code, u64 htlc_msat, u16 len, channel_update.
  FailureMessage fee = sample_failure(FailureCode::fee_insufficient);
  EXPECT_EQ(to_hex(encode_failure_message(fee)), "100c" "00000000075bcd15" "0004" "0102aabb");
  // invalid_onion_payload: code, bigsize type, u16 offset.
  FailureMessage payload = sample_failure(FailureCode::invalid_onion_payload);
  EXPECT_EQ(to_hex(encode_failure_message(payload)), "4016fe000111700011");
  EXPECT_EQ(to_hex(encode_failure_message(FailureMessage(FailureCode::mpp_timeout))), "0017");
}

TEST(OnionFailure, ExtraBytesAreIgnoredButKept) {
  // BOLT 4: the origin "MUST ignore any extra bytes in failuremsg" (a TLV extension).
  Bytes encoded = unhex("400f0000000000000064000c3500fd84d1fd012c");
  auto decoded = decode_failure_message(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->known_code(), FailureCode::incorrect_or_unknown_payment_details);
  EXPECT_EQ(decoded->htlc_msat, Msat(100));
  EXPECT_EQ(decoded->height, BlockHeight(800000));
  EXPECT_EQ(to_hex(decoded->extra), "fd84d1fd012c");
  EXPECT_EQ(encode_failure_message(*decoded), encoded);
}

TEST(OnionFailure, TruncatedDataAndUnknownCodes) {
  EXPECT_FALSE(decode_failure_message(unhex("10")).ok());
  EXPECT_FALSE(decode_failure_message(unhex("100c0000")).ok());  // htlc_msat cut short
  EXPECT_FALSE(decode_failure_message(unhex("100c00000000075bcd150004aa")).ok());
  auto unknown = decode_failure_message(unhex("0063abcd"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->known_code().has_value());
  EXPECT_EQ(to_hex(unknown->extra), "abcd");
}

TEST(OnionFailure, LongMessagesAreNotPaddedAndOversizeIsRefused) {
  auto secret = crypto::random_secret<32>();
  Bytes big(300, 0x11);
  auto packet = create_failure_packet(secret, big);
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(packet->size(), 32u + 2u + 300u + 2u);
  std::vector<crypto::Secret32> one;
  one.push_back(secret.clone());
  auto decrypted = decrypt_failure_packet(one, *packet);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->failure_message, big);
  EXPECT_FALSE(create_failure_packet(secret, Bytes(MAX_FAILURE_MESSAGE_SIZE + 1, 0)).ok());
}

TEST(OnionFailure, GarbageIsNotAttributed) {
  std::vector<crypto::Secret32> secrets;
  secrets.push_back(crypto::random_secret<32>());
  EXPECT_FALSE(decrypt_failure_packet(secrets, Bytes(292, 0x55)).ok());
  EXPECT_FALSE(decrypt_failure_packet(secrets, Bytes(10, 0)).ok());
}

TEST(OnionFailure, MalformedHtlcBecomesAFailureOfTheUpstreamNode) {
  Hash256 onion_hash(std::array<uint8_t, 32>{1, 2, 3});
  auto failure = failure_from_malformed(to_u16(FailureCode::invalid_onion_hmac), onion_hash);
  ASSERT_TRUE(failure.ok());
  EXPECT_EQ(failure->known_code(), FailureCode::invalid_onion_hmac);
  EXPECT_EQ(failure->sha256_of_onion, onion_hash);
  Bytes encoded = encode_failure_message(*failure);
  EXPECT_EQ(encoded.size(), 2u + 32u);

  // BOLT 2: without the BADONION bit the peer is at fault: fail the channel.
  auto bad = failure_from_malformed(to_u16(FailureCode::temporary_node_failure), onion_hash);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().action, PeerAction::FailChannel);
}

TEST(OnionFailure, CodeNamesAndFlags) {
  EXPECT_STREQ(to_string(FailureCode::fee_insufficient), "fee_insufficient");
  EXPECT_EQ(failure_code_from_u16(0x400f), FailureCode::incorrect_or_unknown_payment_details);
  EXPECT_FALSE(failure_code_from_u16(0x0063).has_value());
  size_t bad_onion = 0;
  for (FailureCode code : ALL_FAILURE_CODES) bad_onion += is_bad_onion(code) ? 1 : 0;
  EXPECT_EQ(bad_onion, 4u);  // version, hmac, key, blinding
  EXPECT_TRUE(has_update(to_u16(FailureCode::channel_disabled)));
  EXPECT_TRUE(is_node_failure(to_u16(FailureCode::permanent_node_failure)));
  EXPECT_TRUE(is_permanent(to_u16(FailureCode::permanent_node_failure)));
}

TEST(OnionFailure, UndecodableMessageIsStillAttributed) {
  std::vector<crypto::Secret32> secrets;
  for (int i = 0; i < 3; ++i) secrets.push_back(crypto::random_secret<32>());
  auto packet = create_failure_packet(secrets[1], unhex("100c0000"));  // htlc_msat cut short
  ASSERT_TRUE(packet.ok());
  wrap_failure_packet(secrets[0], *packet);
  auto decrypted = decrypt_failure_packet(secrets, *packet);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 1u);
  EXPECT_FALSE(decrypted->message.has_value());
  EXPECT_EQ(to_hex(decrypted->failure_message), "100c0000");
}
