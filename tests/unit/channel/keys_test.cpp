// BOLT 3 key derivation (Appendix E) and the obscured commitment number (Appendix C),
// plus the algebra that ties the private and public derivations together.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "channel/keys.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::channel;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {
SecretKey secret_key(std::string_view hex) {
  auto key = SecretKey::from_bytes(unhex(hex));
  EXPECT_TRUE(key.ok()) << hex;
  return key.ok() ? std::move(key).value() : SecretKey::random();
}
PublicKey point(std::string_view hex) {
  auto key = PublicKey::parse(unhex(hex));
  EXPECT_TRUE(key.ok()) << hex;
  return key.ok() ? *key : SecretKey::random().public_key();
}
crypto::Secret32 secret32(std::string_view hex) {
  Bytes raw = unhex(hex);
  EXPECT_EQ(raw.size(), 32u);
  raw.resize(32);
  return crypto::Secret32(std::span<const uint8_t, 32>(raw.data(), 32));
}
std::string hex_of(const PublicKey& key) { return to_hex(key.serialize()); }
std::string hex_of(const SecretKey& key) { return to_hex(key.expose()); }
}  // namespace

TEST(KeyDerivation, Bolt3AppendixE) {
  auto v = load_vectors("bolt03/key-derivation.json");
  const auto& c = v["common"];
  SecretKey base_secret = secret_key(c["base_secret"].get<std::string>());
  crypto::Secret32 commitment_secret = secret32(c["per_commitment_secret"].get<std::string>());
  PublicKey base_point = point(c["base_point"].get<std::string>());
  auto commitment_point = per_commitment_point(commitment_secret);
  ASSERT_TRUE(commitment_point.ok());
  EXPECT_EQ(hex_of(*commitment_point), c["per_commitment_point"].get<std::string>());
  EXPECT_EQ(hex_of(base_secret.public_key()), hex_of(base_point));

  size_t checked = 0;
  for (const auto& t : v["vectors"]) {
    std::string name = t["output_name"].get<std::string>();
    std::string expected = t["output"].get<std::string>();
    if (name == "localpubkey") {
      auto out = derive_pubkey(base_point, *commitment_point);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(hex_of(*out), expected);
    } else if (name == "localprivkey") {
      auto out = derive_privkey(base_secret, *commitment_point);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(hex_of(*out), expected);
    } else if (name == "revocationpubkey") {
      auto out = derive_revocation_pubkey(base_point, *commitment_point);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(hex_of(*out), expected);
    } else if (name == "revocationprivkey") {
      auto out = derive_revocation_privkey(base_secret, commitment_secret);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(hex_of(*out), expected);
    } else {
      ADD_FAILURE() << "unknown vector " << name;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4u);
}

TEST(KeyDerivation, PerCommitmentPointRejectsInvalidSecret) {
  EXPECT_FALSE(per_commitment_point(crypto::Secret32()).ok());
}

RC_GTEST_PROP(KeyDerivation, PrivateAndPublicDerivationsAgree, ()) {
  SecretKey basepoint_secret = SecretKey::random();
  SecretKey commitment_key = SecretKey::random();
  crypto::Secret32 commitment_secret(commitment_key.expose());
  PublicKey commitment_point = commitment_key.public_key();

  auto pub = derive_pubkey(basepoint_secret.public_key(), commitment_point);
  auto priv = derive_privkey(basepoint_secret, commitment_point);
  RC_ASSERT(pub.ok() && priv.ok());
  RC_ASSERT(priv->public_key() == *pub);

  auto rev_pub = derive_revocation_pubkey(basepoint_secret.public_key(), commitment_point);
  auto rev_priv = derive_revocation_privkey(basepoint_secret, commitment_secret);
  RC_ASSERT(rev_pub.ok() && rev_priv.ok());
  RC_ASSERT(rev_priv->public_key() == *rev_pub);
}

TEST(ObscuredCommitmentNumber, Bolt3AppendixC) {
  auto v = load_vectors("bolt03/obscured-commitment-number.json")["vector"];
  PublicKey local = point(v["local_payment_basepoint"].get<std::string>());
  PublicKey remote = point(v["remote_payment_basepoint"].get<std::string>());
  uint64_t factor = obscuring_factor(local, remote);
  EXPECT_EQ(factor, std::stoull(v["obscuring_factor"].get<std::string>(), nullptr, 16));
  uint64_t number = v["commitment_number"].get<uint64_t>();
  EXPECT_EQ(number ^ factor,
            std::stoull(v["obscured_commitment_number"].get<std::string>(), nullptr, 16));
  auto fields = commitment_lock_fields(number, factor);
  EXPECT_EQ(fields.locktime, v["expected_commit_tx_locktime"].get<uint32_t>());
  EXPECT_EQ(fields.sequence, v["expected_commit_tx_input_sequence"].get<uint32_t>());
  EXPECT_EQ(commitment_number_from_lock_fields(fields.locktime, fields.sequence, factor), number);
  // Opener order matters: swapping the basepoints gives another factor.
  EXPECT_NE(obscuring_factor(remote, local), factor);
}

TEST(ObscuredCommitmentNumber, RejectsFieldsWithoutMarkers) {
  EXPECT_FALSE(commitment_number_from_lock_fields(0, 0xffffffff, 0).has_value());
  EXPECT_FALSE(commitment_number_from_lock_fields(0x20000000, 0xfffffffd, 0).has_value());
}

RC_GTEST_PROP(ObscuredCommitmentNumber, RoundTrips, (uint64_t number, uint64_t factor)) {
  number &= MAX_COMMITMENT_NUMBER;
  factor &= MAX_COMMITMENT_NUMBER;
  auto fields = commitment_lock_fields(number, factor);
  RC_ASSERT(commitment_number_from_lock_fields(fields.locktime, fields.sequence, factor) ==
            std::optional<uint64_t>(number));
}
