// Internal: BOLT 8's HKDF(salt, ikm) = the two 32-byte halves of HKDF-SHA256 with an empty
// info, as used by the handshake (ck, temp_k), the final split (sk, rk) and key rotation.
#pragma once

#include <sodium/utils.h>

#include <utility>

#include "common/assert.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

namespace fulgur::noise {

inline std::pair<crypto::Secret32, crypto::Secret32> hkdf2(ByteSpan salt, ByteSpan ikm) {
  auto okm = crypto::hkdf_sha256(salt, ikm, {}, 64);
  FULGUR_ASSERT(okm.ok() && okm->size() == 64);  // 64 <= 255 * 32: cannot fail
  Bytes& bytes = *okm;
  std::pair<crypto::Secret32, crypto::Secret32> out{
      crypto::Secret32(std::span<const uint8_t, 32>(bytes.data(), 32)),
      crypto::Secret32(std::span<const uint8_t, 32>(bytes.data() + 32, 32))};
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

}  // namespace fulgur::noise
