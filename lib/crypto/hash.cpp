// Hash functions on libsodium and nettle; see hash.h.
#include "crypto/hash.h"

#include <nettle/ripemd160.h>
#include <sodium.h>

#include <cstring>

#include "crypto/sodium_init.h"

namespace fulgur::crypto {

static_assert(sizeof(crypto_hash_sha256_state) <= 128);

Sha256::Sha256() {
  ensure_sodium();
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(m_state.data()));
}

Sha256& Sha256::update(ByteSpan data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(m_state.data()),
                            data.data(), data.size());
  return *this;
}

Hash256 Sha256::finalize() {
  Hash256 out;
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(m_state.data()),
                           out.data());
  return out;
}

Hash256 sha256(ByteSpan data) {
  Hash256 out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

Hash256 sha256d(ByteSpan data) { return sha256(sha256(data).span()); }

Hash256 hmac_sha256(ByteSpan key, ByteSpan data) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, data.data(), data.size());
  Hash256 out;
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return out;
}

Hash256 hkdf_sha256_extract(ByteSpan salt, ByteSpan ikm) {
  // RFC 5869 2.2: if the salt is not provided, it is set to HashLen zeros.
  static const std::array<uint8_t, 32> ZERO_SALT{};
  return hmac_sha256(salt.empty() ? ByteSpan(ZERO_SALT) : salt, ikm);
}

Result<Bytes> hkdf_sha256_expand(ByteSpan prk, ByteSpan info, size_t length) {
  // RFC 5869 2.3: L <= 255*HashLen.
  if (length > 255 * 32) return fail("HKDF-Expand: length exceeds 255 * 32 bytes");
  Bytes out;
  out.reserve(length + 32);
  Bytes block;  // T(i-1) | info | i
  std::array<uint8_t, 32> previous{};
  for (uint8_t i = 1; out.size() < length; ++i) {
    block.clear();
    if (i > 1) block.insert(block.end(), previous.begin(), previous.end());
    block.insert(block.end(), info.begin(), info.end());
    block.push_back(i);
    previous = hmac_sha256(prk, block).array();
    out.insert(out.end(), previous.begin(), previous.end());
  }
  out.resize(length);
  sodium_memzero(previous.data(), previous.size());
  return out;
}

Result<Bytes> hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, size_t length) {
  Hash256 prk = hkdf_sha256_extract(salt, ikm);
  auto out = hkdf_sha256_expand(prk.span(), info, length);
  sodium_memzero(prk.data(), prk.size());
  return out;
}

Hash160 ripemd160(ByteSpan data) {
  ripemd160_ctx ctx;
  ripemd160_init(&ctx);
  ripemd160_update(&ctx, data.size(), data.data());
  Hash160 out;
  ripemd160_digest(&ctx, out.size(), out.data());
  return out;
}

Hash160 hash160(ByteSpan data) { return ripemd160(sha256(data).span()); }

}  // namespace fulgur::crypto
