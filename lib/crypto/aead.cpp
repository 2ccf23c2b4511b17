// ChaCha20 and ChaCha20-Poly1305 on libsodium; see aead.h.
#include "crypto/aead.h"

#include <sodium.h>

#include "common/assert.h"
#include "crypto/sodium_init.h"

namespace fulgur::crypto {

Nonce12 bolt8_nonce(uint64_t counter) {
  Nonce12 nonce{};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
  return nonce;
}

void aead_encrypt(Key32 key, const Nonce12& nonce, ByteSpan associated_data, ByteSpan plaintext,
                  MutableByteSpan out) {
  FULGUR_REQUIRE(out.size() == plaintext.size() + AEAD_TAG_SIZE);
  ensure_sodium();
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &written, plaintext.data(),
                                            plaintext.size(), associated_data.data(),
                                            associated_data.size(), nullptr, nonce.data(),
                                            key.data());
  FULGUR_ASSERT(written == out.size());
}

Bytes aead_encrypt(Key32 key, const Nonce12& nonce, ByteSpan associated_data, ByteSpan plaintext) {
  Bytes out(plaintext.size() + AEAD_TAG_SIZE);
  aead_encrypt(key, nonce, associated_data, plaintext, out);
  return out;
}

bool aead_decrypt(Key32 key, const Nonce12& nonce, ByteSpan associated_data, ByteSpan ciphertext,
                  MutableByteSpan out) {
  if (ciphertext.size() < AEAD_TAG_SIZE) return false;
  FULGUR_REQUIRE(out.size() == ciphertext.size() - AEAD_TAG_SIZE);
  ensure_sodium();
  unsigned long long written = 0;
  int rc = crypto_aead_chacha20poly1305_ietf_decrypt(
      out.data(), &written, nullptr, ciphertext.data(), ciphertext.size(), associated_data.data(),
      associated_data.size(), nonce.data(), key.data());
  if (rc != 0) {
    sodium_memzero(out.data(), out.size());
    return false;
  }
  return true;
}

void chacha20_xor(Key32 key, const Nonce12& nonce, uint32_t counter, ByteSpan in,
                  MutableByteSpan out) {
  FULGUR_REQUIRE(out.size() == in.size());
  ensure_sodium();
  crypto_stream_chacha20_ietf_xor_ic(out.data(), in.data(), in.size(), nonce.data(), counter,
                                     key.data());
}

void chacha20_keystream(Key32 key, const Nonce12& nonce, MutableByteSpan out) {
  ensure_sodium();
  crypto_stream_chacha20_ietf(out.data(), out.size(), nonce.data(), key.data());
}

}  // namespace fulgur::crypto
