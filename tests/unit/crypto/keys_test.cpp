// secp256k1 keys: parsing and validation of hostile input, ECDSA (RFC 6979, low-S,
// compact and DER), recovery, EC tweaks checked against BOLT 3's key-derivation vectors,
// and ECDH checked against BOLT 8's handshake vectors.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::crypto;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {
SecretKey secret(std::string_view hex) {
  auto key = SecretKey::from_bytes(unhex(hex));
  EXPECT_TRUE(key.ok());
  return key.ok() ? std::move(key).value() : SecretKey::random();
}
PublicKey point(std::string_view hex) {
  auto key = PublicKey::parse(unhex(hex));
  EXPECT_TRUE(key.ok()) << hex;
  return key.ok() ? *key : SecretKey::random().public_key();
}
std::string hex_of(const PublicKey& key) { return to_hex(key.serialize()); }
const char* ORDER_HEX = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
}  // namespace

TEST(SecretKey, RejectsOutOfRange) {
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(32, 0)).ok());
  EXPECT_FALSE(SecretKey::from_bytes(unhex(ORDER_HEX)).ok());
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(32, 0xff)).ok());
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(31, 1)).ok());
  EXPECT_FALSE(SecretKey::from_bytes(Bytes(33, 1)).ok());
  Bytes below_order = unhex(ORDER_HEX);
  below_order.back() -= 1;
  EXPECT_TRUE(SecretKey::from_bytes(below_order).ok());
}

TEST(PublicKey, ParsesAndRejects) {
  PublicKey g = point("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_EQ(g, secret("0000000000000000000000000000000000000000000000000000000000000001").public_key());
  auto uncompressed = PublicKey::parse(g.serialize_uncompressed());
  ASSERT_TRUE(uncompressed.ok());
  EXPECT_EQ(*uncompressed, g);
  // Not on the curve / bad prefix / wrong length / x beyond the field.
  EXPECT_FALSE(PublicKey::parse(unhex("020000000000000000000000000000000000000000000000000000000000000000")).ok());
  EXPECT_FALSE(PublicKey::parse(unhex("0579be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")).ok());
  EXPECT_FALSE(PublicKey::parse(unhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f817")).ok());
  EXPECT_FALSE(PublicKey::parse(unhex("02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30")).ok());
  EXPECT_FALSE(PublicKey::parse({}).ok());
  auto full = g.serialize_uncompressed();
  Bytes bad_uncompressed(full.begin(), full.end());
  bad_uncompressed[64] ^= 1;
  EXPECT_FALSE(PublicKey::parse(bad_uncompressed).ok());
}

TEST(Ecdsa, Rfc6979DeterministicLowS) {
  // Private key 1 signing SHA-256("Satoshi Nakamoto"): the widely published RFC 6979 vector.
  SecretKey key = secret("0000000000000000000000000000000000000000000000000000000000000001");
  Hash256 digest = sha256(as_bytes("Satoshi Nakamoto"));
  Signature sig = sign(key, digest);
  EXPECT_EQ(to_hex(sig.to_compact()),
            "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
            "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
  EXPECT_TRUE(sig.is_low_s());
  EXPECT_TRUE(verify(key.public_key(), digest, sig));
  EXPECT_FALSE(verify(key.public_key(), sha256(as_bytes("Satoshi Nakamotp")), sig));
  EXPECT_FALSE(verify(SecretKey::random().public_key(), digest, sig));
  EXPECT_EQ(to_hex(sig.to_der()),
            "3045022100934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
            "02202442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
}

TEST(Ecdsa, HighSIsRejectedUntilNormalized) {
  SecretKey key = SecretKey::random();
  Hash256 digest = sha256(as_bytes("message"));
  auto compact = sign(key, digest).to_compact();
  // s' = n - s
  Bytes order = unhex(ORDER_HEX);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = order[i] - compact[32 + i] - borrow;
    borrow = d < 0;
    compact[32 + i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  auto high = Signature::from_compact(compact);
  ASSERT_TRUE(high.ok());
  EXPECT_FALSE(high->is_low_s());
  EXPECT_FALSE(verify(key.public_key(), digest, *high));
  EXPECT_TRUE(verify(key.public_key(), digest, high->normalized()));
}

TEST(Ecdsa, MalformedEncodingsAreErrors) {
  EXPECT_FALSE(Signature::from_compact(Bytes(63, 1)).ok());
  EXPECT_FALSE(Signature::from_compact(Bytes(64, 0xff)).ok());  // r, s >= n
  EXPECT_FALSE(Signature::from_der({}).ok());
  EXPECT_FALSE(Signature::from_der(unhex("3006020101020101ff")).ok());  // trailing garbage
  EXPECT_FALSE(Signature::from_der(unhex("3045022100")).ok());          // truncated
  EXPECT_FALSE(Signature::from_der(unhex("300602010102")).ok());
  Bytes der = sign(SecretKey::random(), Hash256()).to_der();
  der[1] += 1;  // wrong total length
  EXPECT_FALSE(Signature::from_der(der).ok());
}

RC_GTEST_PROP(EcdsaProperty, SignVerifyAndEncodingsRoundTrip, (const std::vector<uint8_t>& message)) {
  SecretKey key = SecretKey::random();
  Hash256 digest = sha256(message);
  Signature sig = sign(key, digest);
  RC_ASSERT(verify(key.public_key(), digest, sig));
  auto from_der = Signature::from_der(sig.to_der());
  RC_ASSERT(from_der.ok());
  RC_ASSERT(*from_der == sig);
  auto from_compact = Signature::from_compact(sig.to_compact());
  RC_ASSERT(from_compact.ok());
  RC_ASSERT(*from_compact == sig);
  RecoverableSignature rsig = sign_recoverable(key, digest);
  auto recovered = recover(digest, rsig.compact, rsig.recovery_id);
  RC_ASSERT(recovered.ok());
  RC_ASSERT(*recovered == key.public_key());
}

TEST(Recovery, RejectsBadInput) {
  Hash256 digest = sha256(as_bytes("x"));
  RecoverableSignature rsig = sign_recoverable(SecretKey::random(), digest);
  EXPECT_FALSE(recover(digest, rsig.compact, 4).ok());
  EXPECT_FALSE(recover(digest, rsig.compact, -1).ok());
  EXPECT_FALSE(recover(digest, ByteSpan(rsig.compact.data(), 63), rsig.recovery_id).ok());
  EXPECT_FALSE(recover(digest, Bytes(64, 0xff), 0).ok());
}

// BOLT 3 Appendix E exercises tweak-add, tweak-mul and combine on published values.
TEST(Tweaks, Bolt3KeyDerivationVectors) {
  auto v = load_vectors("bolt03/key-derivation.json");
  const auto& c = v["common"];
  SecretKey base_secret = secret(c["base_secret"].get<std::string>());
  SecretKey per_commitment_secret = secret(c["per_commitment_secret"].get<std::string>());
  PublicKey base_point = point(c["base_point"].get<std::string>());
  PublicKey per_commitment_point = point(c["per_commitment_point"].get<std::string>());
  ASSERT_EQ(base_secret.public_key(), base_point);
  ASSERT_EQ(per_commitment_secret.public_key(), per_commitment_point);

  auto concat_hash = [](const PublicKey& a, const PublicKey& b) {
    Bytes data;
    append(data, a.serialize());
    append(data, b.serialize());
    return sha256(data);
  };
  std::map<std::string, std::string> expected;
  for (const auto& vec : v["vectors"]) expected[vec["output_name"]] = vec["output"];

  Hash256 tweak = concat_hash(per_commitment_point, base_point);
  EXPECT_EQ(hex_of(*base_point.tweak_add(tweak.span())), expected["localpubkey"]);
  EXPECT_EQ(to_hex(base_secret.tweak_add(tweak.span())->expose()), expected["localprivkey"]);

  Hash256 base_factor = concat_hash(base_point, per_commitment_point);
  Hash256 commit_factor = concat_hash(per_commitment_point, base_point);
  PublicKey parts[] = {*base_point.tweak_mul(base_factor.span()),
                       *per_commitment_point.tweak_mul(commit_factor.span())};
  EXPECT_EQ(hex_of(*PublicKey::combine(parts)), expected["revocationpubkey"]);

  SecretKey a = *base_secret.tweak_mul(base_factor.span());
  SecretKey b = *per_commitment_secret.tweak_mul(commit_factor.span());
  SecretKey revocation = *a.tweak_add(b.expose());
  EXPECT_EQ(to_hex(revocation.expose()), expected["revocationprivkey"]);
  EXPECT_EQ(hex_of(revocation.public_key()), expected["revocationpubkey"]);
}

TEST(Tweaks, EdgeCasesAreErrors) {
  SecretKey key = SecretKey::random();
  Bytes order = unhex(ORDER_HEX);
  EXPECT_FALSE(key.tweak_add(std::span<const uint8_t, 32>(order.data(), 32)).ok());
  std::array<uint8_t, 32> zero{};
  EXPECT_FALSE(key.tweak_mul(zero).ok());
  EXPECT_FALSE(key.public_key().tweak_mul(zero).ok());
  // k + (-k) = 0 and P + (-P) = infinity.
  EXPECT_FALSE(key.tweak_add(key.negate().expose()).ok());
  PublicKey both[] = {key.public_key(), key.public_key().negate()};
  EXPECT_FALSE(PublicKey::combine(both).ok());
  EXPECT_FALSE(PublicKey::combine({}).ok());
}

// BOLT 8 Appendix A: ss = ECDH(e.priv, rs.pub) in act one, seen from both sides.
TEST(Ecdh, Bolt8TransportVectors) {
  auto v = load_vectors("bolt08/transport-test.json");
  const auto& init = v["initiator"][0];
  SecretKey e = secret(init["e_priv"].get<std::string>());
  ASSERT_EQ(hex_of(e.public_key()), init["e_pub"]);
  PublicKey rs = point(init["rs_pub"].get<std::string>());
  std::string expected_ss;
  for (const auto& t : init["trace"]) {
    std::string text = t["text"];
    if (t["act"] == 1 && text.rfind("ss=0x", 0) == 0) expected_ss = text.substr(5);
  }
  ASSERT_EQ(expected_ss.size(), 64u);
  EXPECT_EQ(to_hex(ecdh(e, rs).expose()), expected_ss);
  // The responder computes the same secret from its static key and the initiator's e.
  const auto& resp = v["responder"][0];
  SecretKey responder_static = secret(resp["ls_priv"].get<std::string>());
  ASSERT_EQ(responder_static.public_key(), rs);
  EXPECT_EQ(to_hex(ecdh(responder_static, e.public_key()).expose()), expected_ss);
}

TEST(Secret, ConstantTimeEqualityAndMoveWipes) {
  Secret32 a;
  Secret32 b;
  EXPECT_TRUE(a == b);
  b.expose_mut()[31] = 1;
  EXPECT_FALSE(a == b);
  Secret32 moved = std::move(b);
  EXPECT_EQ(moved.expose()[31], 1);
  EXPECT_EQ(b.expose()[31], 0);  // NOLINT(bugprone-use-after-move): wiped on move
  static_assert(!std::is_copy_constructible_v<Secret32>);
  static_assert(!std::is_copy_constructible_v<SecretKey>);
}
