// BOLT 3 key derivation; see keys.h.
#include "channel/keys.h"

#include "crypto/hash.h"

namespace fulgur::channel {

namespace {
Hash256 hash_points(const PublicKey& first, const PublicKey& second) {
  crypto::Sha256 h;
  h.update(first.serialize());
  h.update(second.serialize());
  return h.finalize();
}
}  // namespace

Basepoints BasepointSecrets::basepoints() const {
  return Basepoints{revocation_basepoint_secret.public_key(), payment_basepoint_secret.public_key(),
                    delayed_payment_basepoint_secret.public_key(),
                    htlc_basepoint_secret.public_key()};
}

Result<PublicKey> per_commitment_point(const crypto::Secret32& per_commitment_secret) {
  FULGUR_TRY(SecretKey key, SecretKey::from_bytes(per_commitment_secret.expose()));
  return key.public_key();
}

Result<PublicKey> derive_pubkey(const PublicKey& basepoint, const PublicKey& per_commitment_point) {
  Hash256 tweak = hash_points(per_commitment_point, basepoint);
  return basepoint.tweak_add(tweak.span());
}

Result<SecretKey> derive_privkey(const SecretKey& basepoint_secret,
                                 const PublicKey& per_commitment_point) {
  Hash256 tweak = hash_points(per_commitment_point, basepoint_secret.public_key());
  return basepoint_secret.tweak_add(tweak.span());
}

Result<PublicKey> derive_revocation_pubkey(const PublicKey& revocation_basepoint,
                                           const PublicKey& per_commitment_point) {
  Hash256 basepoint_tweak = hash_points(revocation_basepoint, per_commitment_point);
  Hash256 point_tweak = hash_points(per_commitment_point, revocation_basepoint);
  FULGUR_TRY(PublicKey a, revocation_basepoint.tweak_mul(basepoint_tweak.span()));
  FULGUR_TRY(PublicKey b, per_commitment_point.tweak_mul(point_tweak.span()));
  const PublicKey parts[] = {a, b};
  return PublicKey::combine(parts);
}

Result<SecretKey> derive_revocation_privkey(const SecretKey& revocation_basepoint_secret,
                                            const crypto::Secret32& per_commitment_secret) {
  FULGUR_TRY(SecretKey commitment_key, SecretKey::from_bytes(per_commitment_secret.expose()));
  PublicKey revocation_basepoint = revocation_basepoint_secret.public_key();
  PublicKey point = commitment_key.public_key();
  Hash256 basepoint_tweak = hash_points(revocation_basepoint, point);
  Hash256 point_tweak = hash_points(point, revocation_basepoint);
  FULGUR_TRY(SecretKey a, revocation_basepoint_secret.tweak_mul(basepoint_tweak.span()));
  FULGUR_TRY(SecretKey b, commitment_key.tweak_mul(point_tweak.span()));
  return a.tweak_add(b.expose());
}

Result<CommitmentKeys> derive_commitment_keys(const PublicKey& per_commitment_point,
                                              const Basepoints& broadcaster,
                                              const Basepoints& countersignatory) {
  FULGUR_TRY(PublicKey revocation, derive_revocation_pubkey(
                                       countersignatory.revocation_basepoint, per_commitment_point));
  FULGUR_TRY(PublicKey delayed,
             derive_pubkey(broadcaster.delayed_payment_basepoint, per_commitment_point));
  FULGUR_TRY(PublicKey local_htlc, derive_pubkey(broadcaster.htlc_basepoint, per_commitment_point));
  FULGUR_TRY(PublicKey remote_htlc,
             derive_pubkey(countersignatory.htlc_basepoint, per_commitment_point));
  return CommitmentKeys{per_commitment_point, revocation,  delayed,
                        local_htlc,           remote_htlc, countersignatory.payment_basepoint};
}

uint64_t obscuring_factor(const PublicKey& opener_payment_basepoint,
                          const PublicKey& accepter_payment_basepoint) {
  Hash256 h = hash_points(opener_payment_basepoint, accepter_payment_basepoint);
  uint64_t factor = 0;
  for (size_t i = 26; i < 32; ++i) factor = (factor << 8) | h.data()[i];
  return factor;
}

CommitmentLockFields commitment_lock_fields(uint64_t commitment_number, uint64_t obscuring) {
  FULGUR_REQUIRE(commitment_number <= MAX_COMMITMENT_NUMBER);
  uint64_t obscured = (commitment_number ^ obscuring) & MAX_COMMITMENT_NUMBER;
  return CommitmentLockFields{
      static_cast<uint32_t>((uint32_t{0x20} << 24) | (obscured & 0xffffff)),
      static_cast<uint32_t>((uint32_t{0x80} << 24) | ((obscured >> 24) & 0xffffff))};
}

std::optional<uint64_t> commitment_number_from_lock_fields(uint32_t locktime, uint32_t sequence,
                                                           uint64_t obscuring) {
  if ((locktime >> 24) != 0x20 || (sequence >> 24) != 0x80) return std::nullopt;
  uint64_t obscured = (uint64_t{sequence & 0xffffff} << 24) | (locktime & 0xffffff);
  return (obscured ^ obscuring) & MAX_COMMITMENT_NUMBER;
}

}  // namespace fulgur::channel
