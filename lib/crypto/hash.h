// Hash functions: SHA-256 (libsodium), double SHA-256, HMAC-SHA256, HKDF-SHA256 (RFC 5869,
// built on HMAC since libsodium 1.0.18 has no HKDF), RIPEMD-160 (nettle) and HASH160.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"

namespace fulgur::crypto {

// Incremental SHA-256, for hashing data that arrives in pieces.
class Sha256 {
 public:
  Sha256();
  Sha256& update(ByteSpan data);
  Hash256 finalize();

 private:
  alignas(16) std::array<uint8_t, 128> m_state;  // crypto_hash_sha256_state (104 bytes)
};

Hash256 sha256(ByteSpan data);
// SHA-256(SHA-256(data)): Bitcoin's txids, block hashes and checksums.
Hash256 sha256d(ByteSpan data);
Hash256 hmac_sha256(ByteSpan key, ByteSpan data);

// RFC 5869 with SHA-256. HKDF-Expand output is at most 255 * 32 bytes; more is an error.
Hash256 hkdf_sha256_extract(ByteSpan salt, ByteSpan ikm);
Result<Bytes> hkdf_sha256_expand(ByteSpan prk, ByteSpan info, size_t length);
Result<Bytes> hkdf_sha256(ByteSpan salt, ByteSpan ikm, ByteSpan info, size_t length);

Hash160 ripemd160(ByteSpan data);
// RIPEMD-160(SHA-256(data)): P2WPKH and P2PKH key hashes.
Hash160 hash160(ByteSpan data);

}  // namespace fulgur::crypto
