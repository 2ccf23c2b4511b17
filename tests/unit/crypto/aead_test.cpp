// ChaCha20-Poly1305 and ChaCha20 against RFC 8439, and tamper detection.
#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::crypto;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {
Nonce12 nonce_of(const std::string& hex) {
  Nonce12 n{};
  Bytes b = unhex(hex);
  EXPECT_EQ(b.size(), 12u);
  std::copy_n(b.begin(), std::min<size_t>(12, b.size()), n.begin());
  return n;
}
}  // namespace

TEST(ChaCha20Poly1305, Rfc8439Section2_8_2) {
  auto v = load_vectors("crypto/primitives.json")["chacha20poly1305"][0];
  Bytes key = unhex(v["key"].get<std::string>());
  Bytes aad = unhex(v["aad"].get<std::string>());
  Bytes plaintext = unhex(v["plaintext"].get<std::string>());
  Nonce12 nonce = nonce_of(v["nonce"]);
  Bytes sealed = aead_encrypt(std::span<const uint8_t, 32>(key.data(), 32), nonce, aad, plaintext);
  EXPECT_EQ(to_hex(sealed), v["ciphertext_and_tag"]);

  Bytes opened(plaintext.size());
  ASSERT_TRUE(aead_decrypt(std::span<const uint8_t, 32>(key.data(), 32), nonce, aad, sealed, opened));
  EXPECT_EQ(opened, plaintext);

  // Any flipped bit, in the body, the tag or the associated data, fails the check.
  Bytes tampered = sealed;
  tampered[5] ^= 1;
  EXPECT_FALSE(aead_decrypt(std::span<const uint8_t, 32>(key.data(), 32), nonce, aad, tampered, opened));
  tampered = sealed;
  tampered.back() ^= 0x80;
  EXPECT_FALSE(aead_decrypt(std::span<const uint8_t, 32>(key.data(), 32), nonce, aad, tampered, opened));
  Bytes other_aad = aad;
  other_aad[0] ^= 1;
  EXPECT_FALSE(aead_decrypt(std::span<const uint8_t, 32>(key.data(), 32), nonce, other_aad, sealed, opened));
  // Too short to hold a tag: an error, not a crash.
  EXPECT_FALSE(aead_decrypt(std::span<const uint8_t, 32>(key.data(), 32), nonce, aad,
                            ByteSpan(sealed.data(), 15), opened));
}

TEST(ChaCha20, Rfc8439Section2_4_2) {
  auto v = load_vectors("crypto/primitives.json")["chacha20"][0];
  Bytes key = unhex(v["key"].get<std::string>());
  Bytes plaintext = unhex(v["plaintext"].get<std::string>());
  Bytes out(plaintext.size());
  chacha20_xor(std::span<const uint8_t, 32>(key.data(), 32), nonce_of(v["nonce"]),
               v["counter"].get<uint32_t>(), plaintext, out);
  EXPECT_EQ(to_hex(out), v["ciphertext"]);
}

TEST(ChaCha20, KeystreamIsXorOfZeros) {
  std::array<uint8_t, 32> key{};
  key[0] = 7;
  Bytes stream(100), zeros(100, 0), xored(100);
  chacha20_keystream(key, Nonce12{}, stream);
  chacha20_xor(key, Nonce12{}, 0, zeros, xored);
  EXPECT_EQ(stream, xored);
}

TEST(Bolt8Nonce, LittleEndianCounterAfterFourZeroBytes) {
  Nonce12 n = bolt8_nonce(0x0102030405060708ull);
  EXPECT_EQ(to_hex(n), "000000000807060504030201");
}
