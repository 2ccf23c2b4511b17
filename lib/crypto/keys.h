// secp256k1 keys and signatures on libsecp256k1: secret and public keys (parse, serialize,
// validate, tweak, combine), ECDSA (RFC 6979 nonces, low-S) with compact and DER encodings,
// recoverable signatures (BOLT 11), ECDH as BOLT 4 and BOLT 8 define it, and BIP 340
// Schnorr signatures. Parsing untrusted bytes returns a Result; nothing here aborts on
// bad input.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "crypto/secret.h"

namespace fulgur::crypto {

using Bytes32 = std::span<const uint8_t, 32>;
class PublicKey;

// A secret scalar 0 < k < n. Move-only; wiped on destruction; never printed.
class SecretKey {
 public:
  // Rejects anything but 32 bytes encoding 0 < k < n.
  static Result<SecretKey> from_bytes(ByteSpan bytes);
  static SecretKey random();

  PublicKey public_key() const;
  // (k + t) mod n and (k * t) mod n; errors when t >= n or the result is zero.
  Result<SecretKey> tweak_add(Bytes32 tweak) const;
  Result<SecretKey> tweak_mul(Bytes32 tweak) const;
  SecretKey negate() const;
  SecretKey clone() const { return SecretKey(m_secret.clone()); }
  Bytes32 expose() const { return m_secret.expose(); }

  friend bool operator==(const SecretKey&, const SecretKey&) = default;

 private:
  explicit SecretKey(Secret32 secret) : m_secret(std::move(secret)) {}
  Secret32 m_secret;
};

// A valid curve point (never the point at infinity).
class PublicKey {
 public:
  // 33-byte compressed or 65-byte uncompressed SEC1 encoding of a point on the curve.
  static Result<PublicKey> parse(ByteSpan bytes);
  static Result<PublicKey> from_node_id(const NodeId& id) { return parse(id.span()); }

  std::array<uint8_t, 33> serialize() const;
  std::array<uint8_t, 65> serialize_uncompressed() const;
  NodeId node_id() const { return NodeId(serialize()); }

  // P + t*G and t*P; errors when t >= n or the result is infinity.
  Result<PublicKey> tweak_add(Bytes32 tweak) const;
  Result<PublicKey> tweak_mul(Bytes32 tweak) const;
  PublicKey negate() const;
  // P1 + P2 + ...; errors on an empty list or when the sum is infinity.
  static Result<PublicKey> combine(std::span<const PublicKey> keys);

  friend bool operator==(const PublicKey& a, const PublicKey& b) {
    return a.serialize() == b.serialize();
  }
  // Orders by compressed serialization (BOLT 3 funding key order, BOLT 7 node order).
  friend std::strong_ordering operator<=>(const PublicKey& a, const PublicKey& b) {
    return a.serialize() <=> b.serialize();
  }

 private:
  friend class SecretKey;
  friend struct KeyAccess;
  PublicKey() = default;
  std::array<uint8_t, 64> m_raw{};  // libsecp256k1's secp256k1_pubkey
};

// An ECDSA signature (r, s).
class Signature {
 public:
  // 64 bytes r || s, big-endian; errors when r or s overflow the group order.
  static Result<Signature> from_compact(ByteSpan bytes);
  // Strict DER (BIP 66); errors on anything else.
  static Result<Signature> from_der(ByteSpan bytes);

  std::array<uint8_t, 64> to_compact() const;
  Bytes to_der() const;
  bool is_low_s() const;
  Signature normalized() const;  // the low-S form

  friend bool operator==(const Signature& a, const Signature& b) {
    return a.to_compact() == b.to_compact();
  }

 private:
  friend struct KeyAccess;
  Signature() = default;
  std::array<uint8_t, 64> m_raw{};  // libsecp256k1's secp256k1_ecdsa_signature
};

// RFC 6979 deterministic nonce; the result is always low-S.
Signature sign(const SecretKey& key, const Hash256& digest);
// False for a wrong signature and for a high-S one (BOLT and Bitcoin policy want low-S).
bool verify(const PublicKey& key, const Hash256& digest, const Signature& sig);

// BOLT 11: the 64-byte compact signature plus the recovery id (0..3).
struct RecoverableSignature {
  std::array<uint8_t, 64> compact{};
  int recovery_id = 0;
};
RecoverableSignature sign_recoverable(const SecretKey& key, const Hash256& digest);
// The public key that made `sig` over `digest`; errors on a malformed signature or id.
Result<PublicKey> recover(const Hash256& digest, ByteSpan compact, int recovery_id);

// BOLT 4 / BOLT 8 ECDH: SHA-256 of the compressed shared point k * P.
Secret32 ecdh(const SecretKey& key, const PublicKey& point);

// BIP 340 x-only public key.
class XOnlyPublicKey {
 public:
  static Result<XOnlyPublicKey> parse(ByteSpan bytes);  // 32 bytes, x on the curve
  static XOnlyPublicKey from_secret(const SecretKey& key);
  std::array<uint8_t, 32> serialize() const;
  friend bool operator==(const XOnlyPublicKey& a, const XOnlyPublicKey& b) {
    return a.serialize() == b.serialize();
  }

 private:
  friend struct KeyAccess;
  XOnlyPublicKey() = default;
  std::array<uint8_t, 64> m_raw{};  // libsecp256k1's secp256k1_xonly_pubkey
};

using SchnorrSignature = std::array<uint8_t, 64>;
// BIP 340 signing of a message of any length with 32 bytes of auxiliary randomness.
SchnorrSignature schnorr_sign(const SecretKey& key, ByteSpan message, Bytes32 aux_rand);
bool schnorr_verify(const XOnlyPublicKey& key, ByteSpan message, std::span<const uint8_t> sig);

}  // namespace fulgur::crypto
