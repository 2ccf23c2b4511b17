// libsecp256k1 behind the types of keys.h. One context, randomized once, shared read-only:
// since libsecp256k1 0.2 every context can sign and verify.
#include "crypto/keys.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_recovery.h>
#include <secp256k1_schnorrsig.h>

#include <cstring>

#include "common/assert.h"
#include "crypto/random.h"

namespace fulgur::crypto {

static_assert(sizeof(secp256k1_pubkey) == 64);
static_assert(sizeof(secp256k1_ecdsa_signature) == 64);
static_assert(sizeof(secp256k1_xonly_pubkey) == 64);

namespace {
const secp256k1_context* ctx() {
  static const secp256k1_context* context = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    FULGUR_ASSERT(c != nullptr);
    Secret32 seed = random_secret<32>();  // blinding against side channels
    FULGUR_ASSERT(secp256k1_context_randomize(c, seed.expose().data()) == 1);
    return c;
  }();
  return context;
}
}  // namespace

// Reinterprets our opaque storage as libsecp256k1's structs (same size, byte arrays).
struct KeyAccess {
  static secp256k1_pubkey* raw(PublicKey& k) { return reinterpret_cast<secp256k1_pubkey*>(k.m_raw.data()); }
  static const secp256k1_pubkey* raw(const PublicKey& k) {
    return reinterpret_cast<const secp256k1_pubkey*>(k.m_raw.data());
  }
  static secp256k1_ecdsa_signature* raw(Signature& s) {
    return reinterpret_cast<secp256k1_ecdsa_signature*>(s.m_raw.data());
  }
  static const secp256k1_ecdsa_signature* raw(const Signature& s) {
    return reinterpret_cast<const secp256k1_ecdsa_signature*>(s.m_raw.data());
  }
  static secp256k1_xonly_pubkey* raw(XOnlyPublicKey& k) {
    return reinterpret_cast<secp256k1_xonly_pubkey*>(k.m_raw.data());
  }
  static const secp256k1_xonly_pubkey* raw(const XOnlyPublicKey& k) {
    return reinterpret_cast<const secp256k1_xonly_pubkey*>(k.m_raw.data());
  }
  static PublicKey empty_public_key() { return PublicKey(); }
  static Signature empty_signature() { return Signature(); }
  static XOnlyPublicKey empty_xonly() { return XOnlyPublicKey(); }
};

// ---- SecretKey ----

Result<SecretKey> SecretKey::from_bytes(ByteSpan bytes) {
  if (bytes.size() != 32) return fail("secret key must be 32 bytes, got " + std::to_string(bytes.size()));
  if (secp256k1_ec_seckey_verify(ctx(), bytes.data()) != 1) {
    return fail("secret key is zero or not below the curve order");
  }
  return SecretKey(Secret32(bytes.first<32>()));
}

SecretKey SecretKey::random() {
  for (;;) {
    Secret32 candidate = random_secret<32>();
    if (secp256k1_ec_seckey_verify(ctx(), candidate.expose().data()) == 1) {
      return SecretKey(std::move(candidate));
    }
  }
}

PublicKey SecretKey::public_key() const {
  PublicKey out = KeyAccess::empty_public_key();
  FULGUR_ASSERT(secp256k1_ec_pubkey_create(ctx(), KeyAccess::raw(out), expose().data()) == 1);
  return out;
}

Result<SecretKey> SecretKey::tweak_add(Bytes32 tweak) const {
  Secret32 out = m_secret.clone();
  if (secp256k1_ec_seckey_tweak_add(ctx(), out.expose_mut().data(), tweak.data()) != 1) {
    return fail("secret key tweak-add: tweak out of range or result is zero");
  }
  return SecretKey(std::move(out));
}

Result<SecretKey> SecretKey::tweak_mul(Bytes32 tweak) const {
  Secret32 out = m_secret.clone();
  if (secp256k1_ec_seckey_tweak_mul(ctx(), out.expose_mut().data(), tweak.data()) != 1) {
    return fail("secret key tweak-mul: tweak out of range or zero");
  }
  return SecretKey(std::move(out));
}

SecretKey SecretKey::negate() const {
  Secret32 out = m_secret.clone();
  FULGUR_ASSERT(secp256k1_ec_seckey_negate(ctx(), out.expose_mut().data()) == 1);
  return SecretKey(std::move(out));
}

// ---- PublicKey ----

Result<PublicKey> PublicKey::parse(ByteSpan bytes) {
  if (bytes.size() != 33 && bytes.size() != 65) {
    return fail("public key must be 33 or 65 bytes, got " + std::to_string(bytes.size()));
  }
  PublicKey out;
  if (secp256k1_ec_pubkey_parse(ctx(), KeyAccess::raw(out), bytes.data(), bytes.size()) != 1) {
    return fail("public key is not a valid point on secp256k1");
  }
  return out;
}

std::array<uint8_t, 33> PublicKey::serialize() const {
  std::array<uint8_t, 33> out{};
  size_t len = out.size();
  FULGUR_ASSERT(secp256k1_ec_pubkey_serialize(secp256k1_context_static, out.data(), &len,
                                              KeyAccess::raw(*this), SECP256K1_EC_COMPRESSED) == 1);
  return out;
}

std::array<uint8_t, 65> PublicKey::serialize_uncompressed() const {
  std::array<uint8_t, 65> out{};
  size_t len = out.size();
  FULGUR_ASSERT(secp256k1_ec_pubkey_serialize(secp256k1_context_static, out.data(), &len,
                                              KeyAccess::raw(*this), SECP256K1_EC_UNCOMPRESSED) == 1);
  return out;
}

Result<PublicKey> PublicKey::tweak_add(Bytes32 tweak) const {
  PublicKey out = *this;
  if (secp256k1_ec_pubkey_tweak_add(ctx(), KeyAccess::raw(out), tweak.data()) != 1) {
    return fail("public key tweak-add: tweak out of range or result is infinity");
  }
  return out;
}

Result<PublicKey> PublicKey::tweak_mul(Bytes32 tweak) const {
  PublicKey out = *this;
  if (secp256k1_ec_pubkey_tweak_mul(ctx(), KeyAccess::raw(out), tweak.data()) != 1) {
    return fail("public key tweak-mul: tweak out of range or zero");
  }
  return out;
}

PublicKey PublicKey::negate() const {
  PublicKey out = *this;
  FULGUR_ASSERT(secp256k1_ec_pubkey_negate(ctx(), KeyAccess::raw(out)) == 1);
  return out;
}

Result<PublicKey> PublicKey::combine(std::span<const PublicKey> keys) {
  if (keys.empty()) return fail("cannot combine an empty list of public keys");
  std::vector<const secp256k1_pubkey*> pointers;
  pointers.reserve(keys.size());
  for (const PublicKey& k : keys) pointers.push_back(KeyAccess::raw(k));
  PublicKey out;
  if (secp256k1_ec_pubkey_combine(ctx(), KeyAccess::raw(out), pointers.data(), pointers.size()) != 1) {
    return fail("public keys sum to the point at infinity");
  }
  return out;
}

// ---- ECDSA ----

Result<Signature> Signature::from_compact(ByteSpan bytes) {
  if (bytes.size() != 64) return fail("compact signature must be 64 bytes, got " + std::to_string(bytes.size()));
  Signature out;
  if (secp256k1_ecdsa_signature_parse_compact(ctx(), KeyAccess::raw(out), bytes.data()) != 1) {
    return fail("compact signature has r or s not below the curve order");
  }
  return out;
}

Result<Signature> Signature::from_der(ByteSpan bytes) {
  Signature out;
  if (bytes.empty() ||
      secp256k1_ecdsa_signature_parse_der(ctx(), KeyAccess::raw(out), bytes.data(), bytes.size()) != 1) {
    return fail("signature is not strict DER");
  }
  return out;
}

std::array<uint8_t, 64> Signature::to_compact() const {
  std::array<uint8_t, 64> out{};
  FULGUR_ASSERT(secp256k1_ecdsa_signature_serialize_compact(secp256k1_context_static, out.data(),
                                                            KeyAccess::raw(*this)) == 1);
  return out;
}

Bytes Signature::to_der() const {
  Bytes out(72);
  size_t len = out.size();
  FULGUR_ASSERT(secp256k1_ecdsa_signature_serialize_der(secp256k1_context_static, out.data(), &len,
                                                        KeyAccess::raw(*this)) == 1);
  out.resize(len);
  return out;
}

bool Signature::is_low_s() const {
  // normalize returns 1 when the input was high-S.
  return secp256k1_ecdsa_signature_normalize(secp256k1_context_static, nullptr, KeyAccess::raw(*this)) == 0;
}

Signature Signature::normalized() const {
  Signature out;
  secp256k1_ecdsa_signature_normalize(secp256k1_context_static, KeyAccess::raw(out), KeyAccess::raw(*this));
  return out;
}

Signature sign(const SecretKey& key, const Hash256& digest) {
  Signature out = KeyAccess::empty_signature();
  FULGUR_ASSERT(secp256k1_ecdsa_sign(ctx(), KeyAccess::raw(out), digest.data(), key.expose().data(),
                                     nullptr, nullptr) == 1);
  return out;
}

bool verify(const PublicKey& key, const Hash256& digest, const Signature& sig) {
  return secp256k1_ecdsa_verify(ctx(), KeyAccess::raw(sig), digest.data(), KeyAccess::raw(key)) == 1;
}

RecoverableSignature sign_recoverable(const SecretKey& key, const Hash256& digest) {
  secp256k1_ecdsa_recoverable_signature sig;
  FULGUR_ASSERT(secp256k1_ecdsa_sign_recoverable(ctx(), &sig, digest.data(), key.expose().data(),
                                                 nullptr, nullptr) == 1);
  RecoverableSignature out;
  FULGUR_ASSERT(secp256k1_ecdsa_recoverable_signature_serialize_compact(
                    ctx(), out.compact.data(), &out.recovery_id, &sig) == 1);
  return out;
}

Result<PublicKey> recover(const Hash256& digest, ByteSpan compact, int recovery_id) {
  if (compact.size() != 64) return fail("recoverable signature must be 64 bytes");
  if (recovery_id < 0 || recovery_id > 3) return fail("recovery id must be 0..3");
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &sig, compact.data(), recovery_id) != 1) {
    return fail("recoverable signature has r or s not below the curve order");
  }
  PublicKey out = KeyAccess::empty_public_key();
  if (secp256k1_ecdsa_recover(ctx(), KeyAccess::raw(out), &sig, digest.data()) != 1) {
    return fail("no public key can be recovered from this signature");
  }
  return out;
}

// ---- ECDH ----

Secret32 ecdh(const SecretKey& key, const PublicKey& point) {
  // libsecp256k1's default hash is SHA-256(0x02|0x03 parity || x): the compressed point,
  // exactly as BOLT 4 and BOLT 8 define ECDH.
  Secret32 out;
  FULGUR_ASSERT(secp256k1_ecdh(ctx(), out.expose_mut().data(), KeyAccess::raw(point),
                               key.expose().data(), nullptr, nullptr) == 1);
  return out;
}

// ---- Schnorr ----

Result<XOnlyPublicKey> XOnlyPublicKey::parse(ByteSpan bytes) {
  if (bytes.size() != 32) return fail("x-only public key must be 32 bytes");
  XOnlyPublicKey out;
  if (secp256k1_xonly_pubkey_parse(ctx(), KeyAccess::raw(out), bytes.data()) != 1) {
    return fail("x-only public key is not the x coordinate of a curve point");
  }
  return out;
}

XOnlyPublicKey XOnlyPublicKey::from_secret(const SecretKey& key) {
  secp256k1_keypair keypair;
  FULGUR_ASSERT(secp256k1_keypair_create(ctx(), &keypair, key.expose().data()) == 1);
  XOnlyPublicKey out;
  FULGUR_ASSERT(secp256k1_keypair_xonly_pub(ctx(), KeyAccess::raw(out), nullptr, &keypair) == 1);
  sodium_memzero(&keypair, sizeof keypair);
  return out;
}

std::array<uint8_t, 32> XOnlyPublicKey::serialize() const {
  std::array<uint8_t, 32> out{};
  FULGUR_ASSERT(secp256k1_xonly_pubkey_serialize(secp256k1_context_static, out.data(), KeyAccess::raw(*this)) == 1);
  return out;
}

SchnorrSignature schnorr_sign(const SecretKey& key, ByteSpan message, Bytes32 aux_rand) {
  secp256k1_keypair keypair;
  FULGUR_ASSERT(secp256k1_keypair_create(ctx(), &keypair, key.expose().data()) == 1);
  secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  params.ndata = const_cast<uint8_t*>(aux_rand.data());
  SchnorrSignature out{};
  FULGUR_ASSERT(secp256k1_schnorrsig_sign_custom(ctx(), out.data(), message.data(), message.size(),
                                                 &keypair, &params) == 1);
  sodium_memzero(&keypair, sizeof keypair);
  return out;
}

bool schnorr_verify(const XOnlyPublicKey& key, ByteSpan message, std::span<const uint8_t> sig) {
  if (sig.size() != 64) return false;
  return secp256k1_schnorrsig_verify(ctx(), sig.data(), message.data(), message.size(),
                                     KeyAccess::raw(key)) == 1;
}

}  // namespace fulgur::crypto
