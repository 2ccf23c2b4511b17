// Published vectors for SHA-256 (NIST), HMAC-SHA256 (RFC 4231), HKDF (RFC 5869) and
// RIPEMD-160, from tests/vectors/crypto/primitives.json.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::crypto;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {
std::string repeated(const nlohmann::json& v) {
  std::string out;
  for (int i = 0; i < v["repeat"].get<int>(); ++i) out += v["ascii"].get<std::string>();
  return out;
}
}  // namespace

TEST(Sha256, NistVectors) {
  auto vectors = load_vectors("crypto/primitives.json")["sha256"];
  ASSERT_GE(vectors.size(), 5u);
  for (const auto& v : vectors) {
    std::string message = repeated(v);
    EXPECT_EQ(sha256(as_bytes(message)).to_hex(), v["digest"]) << message.substr(0, 20);
    // The incremental interface agrees, whatever the split.
    Sha256 h;
    h.update(as_bytes(std::string_view(message).substr(0, message.size() / 3)));
    h.update(as_bytes(std::string_view(message).substr(message.size() / 3)));
    EXPECT_EQ(h.finalize().to_hex(), v["digest"]);
  }
}

TEST(Sha256, DoubleSha256) {
  // sha256d("hello") as used by Bitcoin's checksums.
  EXPECT_EQ(sha256d(as_bytes("hello")).to_hex(),
            "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
}

TEST(HmacSha256, Rfc4231) {
  auto vectors = load_vectors("crypto/primitives.json")["hmac_sha256"];
  ASSERT_EQ(vectors.size(), 7u);
  for (const auto& v : vectors) {
    std::string mac = hmac_sha256(unhex(v["key"].get<std::string>()), unhex(v["data"].get<std::string>())).to_hex();
    std::string expected = v["mac_prefix"];
    EXPECT_EQ(mac.substr(0, expected.size()), expected) << "case " << v["case"];
  }
}

TEST(HkdfSha256, Rfc5869) {
  auto vectors = load_vectors("crypto/primitives.json")["hkdf_sha256"];
  ASSERT_EQ(vectors.size(), 3u);
  for (const auto& v : vectors) {
    Bytes salt = unhex(v["salt"].get<std::string>());
    Bytes ikm = unhex(v["ikm"].get<std::string>());
    Bytes info = unhex(v["info"].get<std::string>());
    Hash256 prk = hkdf_sha256_extract(salt, ikm);
    EXPECT_EQ(prk.to_hex(), v["prk"]) << "case " << v["case"];
    auto okm = hkdf_sha256(salt, ikm, info, v["length"].get<size_t>());
    ASSERT_TRUE(okm.ok());
    EXPECT_EQ(to_hex(*okm), v["okm"]) << "case " << v["case"];
  }
}

TEST(HkdfSha256, RejectsTooLongOutput) {
  Hash256 prk;
  EXPECT_TRUE(hkdf_sha256_expand(prk.span(), {}, 255 * 32).ok());
  EXPECT_FALSE(hkdf_sha256_expand(prk.span(), {}, 255 * 32 + 1).ok());
}

TEST(Ripemd160, PublishedVectors) {
  auto vectors = load_vectors("crypto/primitives.json")["ripemd160"];
  ASSERT_GE(vectors.size(), 8u);
  for (const auto& v : vectors) {
    EXPECT_EQ(ripemd160(as_bytes(repeated(v))).to_hex(), v["digest"]) << v["ascii"];
  }
}

TEST(Hash160, OfCompressedGenerator) {
  // HASH160 of the compressed generator point G (private key 1): the well-known
  // P2WPKH program 751e76e8199196d454941c45d1b3a323f1433bd6.
  Bytes g = unhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_EQ(hash160(g).to_hex(), "751e76e8199196d454941c45d1b3a323f1433bd6");
}
