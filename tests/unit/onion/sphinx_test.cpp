// BOLT 4 onion-test.json: the packet built byte for byte, and each hop's peel; plus the
// BADONION cases a hop reports with update_fail_malformed_htlc.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "onion/sphinx.h"
#include "support/vectors.h"
#include "wire/codec.h"

using namespace fulgur;
using namespace fulgur::onion;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {

// The vector's payloads carry their BigSize length prefix; the API takes the bare TLV.
Bytes strip_length_prefix(const Bytes& framed) {
  wire::Reader in(framed);
  auto length = in.bigsize();
  EXPECT_TRUE(length.ok());
  ByteSpan rest = in.rest();
  EXPECT_EQ(rest.size(), length.value_or(0));
  return Bytes(rest.begin(), rest.end());
}

crypto::SecretKey key_of(const std::string& hex) {
  auto key = crypto::SecretKey::from_bytes(unhex(hex));
  EXPECT_TRUE(key.ok());
  return key.ok() ? std::move(key).value() : crypto::SecretKey::random();
}

struct Vector {
  crypto::SecretKey session = crypto::SecretKey::random();
  Bytes associated_data;
  std::vector<OnionHop> hops;
  std::vector<crypto::SecretKey> node_keys;
  std::string onion;
};

Vector load_onion_vector() {
  auto v = load_vectors("bolt04/onion-test.json");
  Vector out;
  out.session = key_of(v["generate"]["session_key"]);
  out.associated_data = unhex(v["generate"]["associated_data"].get<std::string>());
  for (const auto& hop : v["generate"]["hops"]) {
    auto pub = crypto::PublicKey::parse(unhex(hop["pubkey"].get<std::string>()));
    EXPECT_TRUE(pub.ok());
    out.hops.push_back({*pub, strip_length_prefix(unhex(hop["payload"].get<std::string>()))});
  }
  for (const auto& key : v["decode"]) out.node_keys.push_back(key_of(key));
  out.onion = v["onion"];
  return out;
}

}  // namespace

TEST(Sphinx, KeyGenerationMatchesErrorVectorKeys) {
  auto v = load_vectors("bolt04/onion-error-test.json");
  for (const auto& hop : v["generate"]["hops"]) {
    Bytes secret = unhex(hop["hop_shared_secret"].get<std::string>());
    std::span<const uint8_t, 32> s(secret.data(), 32);
    EXPECT_EQ(to_hex(generate_key(KeyType::Ammag, s).expose()), hop["ammag_key"]);
    if (hop.contains("um_key")) {
      EXPECT_EQ(to_hex(generate_key(KeyType::Um, s).expose()), hop["um_key"]);
    }
  }
}

TEST(Sphinx, BuildsTheVectorPacketByteForByte) {
  Vector v = load_onion_vector();
  ASSERT_EQ(v.hops.size(), 5u);
  auto created = create_onion(v.session, v.hops, v.associated_data);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(to_hex(created->packet.serialize()), v.onion);
  // The shared secrets are the error vector's (same keys, same session key).
  auto errors = load_vectors("bolt04/onion-error-test.json");
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(to_hex(created->shared_secrets[i].expose()),
              errors["generate"]["hops"][i]["hop_shared_secret"]);
  }
}

TEST(Sphinx, EachHopPeelsItsPayload) {
  Vector v = load_onion_vector();
  auto packet = OnionPacket::parse(unhex(v.onion));
  ASSERT_TRUE(packet.ok());
  OnionPacket current = *packet;
  for (size_t i = 0; i < v.hops.size(); ++i) {
    auto peeled = peel_onion(v.node_keys[i], current, v.associated_data);
    ASSERT_TRUE(peeled.ok()) << "hop " << i << ": " << peeled.error().message;
    EXPECT_EQ(peeled->payload, v.hops[i].payload) << "hop " << i;
    EXPECT_EQ(peeled->is_final(), i + 1 == v.hops.size()) << "hop " << i;
    if (peeled->next) current = *peeled->next;
  }
}

TEST(Sphinx, WrongAssociatedDataFailsTheHmac) {
  Vector v = load_onion_vector();
  auto packet = OnionPacket::parse(unhex(v.onion));
  ASSERT_TRUE(packet.ok());
  Bytes other = v.associated_data;
  other[0] ^= 1;
  auto peeled = peel_onion(v.node_keys[0], *packet, other);
  ASSERT_FALSE(peeled.ok());
  EXPECT_EQ(peeled.error().code, FailureCode::invalid_onion_hmac);
  EXPECT_TRUE(peeled.error().use_malformed());
  EXPECT_EQ(peeled.error().sha256_of_onion, crypto::sha256(unhex(v.onion)));
}

TEST(Sphinx, WrongNodeKeyFailsTheHmac) {
  Vector v = load_onion_vector();
  auto packet = OnionPacket::parse(unhex(v.onion));
  ASSERT_TRUE(packet.ok());
  auto peeled = peel_onion(v.node_keys[1], *packet, v.associated_data);
  ASSERT_FALSE(peeled.ok());
  EXPECT_EQ(peeled.error().code, FailureCode::invalid_onion_hmac);
}

TEST(Sphinx, EveryFlippedBitIsCaught) {
  Vector v = load_onion_vector();
  Bytes raw = unhex(v.onion);
  for (size_t pos = 34; pos < raw.size(); pos += 97) {
    Bytes tampered = raw;
    tampered[pos] ^= 0x10;
    auto peeled = peel_onion(v.node_keys[0], *OnionPacket::parse(tampered), v.associated_data);
    ASSERT_FALSE(peeled.ok()) << "byte " << pos;
    EXPECT_EQ(peeled.error().code, FailureCode::invalid_onion_hmac);
  }
}

TEST(Sphinx, UnknownVersionAndBadKeyAreBadOnion) {
  Vector v = load_onion_vector();
  Bytes raw = unhex(v.onion);
  Bytes versioned = raw;
  versioned[0] = 1;
  auto peeled = peel_onion(v.node_keys[0], *OnionPacket::parse(versioned), v.associated_data);
  ASSERT_FALSE(peeled.ok());
  EXPECT_EQ(peeled.error().code, FailureCode::invalid_onion_version);
  EXPECT_TRUE(peeled.error().use_malformed());

  Bytes bad_key = raw;
  bad_key[1] = 0x05;  // not a compressed point prefix
  peeled = peel_onion(v.node_keys[0], *OnionPacket::parse(bad_key), v.associated_data);
  ASSERT_FALSE(peeled.ok());
  EXPECT_EQ(peeled.error().code, FailureCode::invalid_onion_key);
  EXPECT_EQ(peeled.error().sha256_of_onion, crypto::sha256(bad_key));
}

TEST(Sphinx, PacketParseChecksSize) {
  EXPECT_FALSE(OnionPacket::parse(Bytes(1365, 0)).ok());
  EXPECT_FALSE(OnionPacket::parse(Bytes(1367, 0)).ok());
  EXPECT_TRUE(OnionPacket::parse(Bytes(1366, 0)).ok());
}

TEST(Sphinx, RouteLimitsAreErrors) {
  auto session = crypto::SecretKey::random();
  std::vector<OnionHop> none;
  EXPECT_FALSE(create_onion(session, none, {}).ok());
  auto node = crypto::SecretKey::random().public_key();
  std::vector<OnionHop> too_many(MAX_HOPS + 1, OnionHop{node, Bytes(2, 1)});
  EXPECT_FALSE(create_onion(session, too_many, {}).ok());
  std::vector<OnionHop> max(MAX_HOPS, OnionHop{node, Bytes(2, 1)});
  EXPECT_TRUE(create_onion(session, max, {}).ok());
  std::vector<OnionHop> reserved{OnionHop{node, Bytes(1, 1)}};
  EXPECT_FALSE(create_onion(session, reserved, {}).ok());
  // One payload filling 1300 bytes exactly: 3-byte prefix + 1265 + 32.
  std::vector<OnionHop> full{OnionHop{node, Bytes(1265, 7)}};
  EXPECT_TRUE(create_onion(session, full, {}).ok());
  full[0].payload.push_back(0);
  EXPECT_FALSE(create_onion(session, full, {}).ok());
}
