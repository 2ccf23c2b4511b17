// BOLT 3 key derivation: per-commitment points, the per-commitment keys derived from each
// side's basepoints (localpubkey, remotepubkey, htlcpubkey, delayedpubkey and their private
// keys), the revocation key pair, and the obscured commitment number. Pure arithmetic.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace fulgur::channel {

using crypto::PublicKey;
using crypto::SecretKey;

// The four basepoints one side announces in open_channel / accept_channel.
struct Basepoints {
  PublicKey revocation_basepoint;
  PublicKey payment_basepoint;
  PublicKey delayed_payment_basepoint;
  PublicKey htlc_basepoint;
};

// Their secrets, held by the side that owns them.
struct BasepointSecrets {
  SecretKey revocation_basepoint_secret;
  SecretKey payment_basepoint_secret;
  SecretKey delayed_payment_basepoint_secret;
  SecretKey htlc_basepoint_secret;

  Basepoints basepoints() const;
};

// per_commitment_point = per_commitment_secret * G. Errors for a secret that is not a
// valid scalar (zero or >= n).
Result<PublicKey> per_commitment_point(const crypto::Secret32& per_commitment_secret);

// BOLT 3: pubkey = basepoint + SHA256(per_commitment_point || basepoint) * G
Result<PublicKey> derive_pubkey(const PublicKey& basepoint, const PublicKey& per_commitment_point);
// BOLT 3: privkey = basepoint_secret + SHA256(per_commitment_point || basepoint)
Result<SecretKey> derive_privkey(const SecretKey& basepoint_secret,
                                 const PublicKey& per_commitment_point);

// BOLT 3: revocationpubkey = revocation_basepoint * SHA256(revocation_basepoint ||
// per_commitment_point) + per_commitment_point * SHA256(per_commitment_point ||
// revocation_basepoint)
Result<PublicKey> derive_revocation_pubkey(const PublicKey& revocation_basepoint,
                                           const PublicKey& per_commitment_point);
// BOLT 3: revocationprivkey = revocation_basepoint_secret * SHA256(revocation_basepoint ||
// per_commitment_point) + per_commitment_secret * SHA256(per_commitment_point ||
// revocation_basepoint)
Result<SecretKey> derive_revocation_privkey(const SecretKey& revocation_basepoint_secret,
                                            const crypto::Secret32& per_commitment_secret);

// The keys that appear in one commitment transaction, seen from its broadcaster ("local"
// in BOLT 3's words) and its countersignatory ("remote"). Both channel types this library
// builds (option_static_remotekey and option_anchors) use the remote payment_basepoint
// as remotepubkey unchanged.
struct CommitmentKeys {
  PublicKey per_commitment_point;
  PublicKey revocation_pubkey;       // from the countersignatory's revocation_basepoint
  PublicKey local_delayed_pubkey;    // from the broadcaster's delayed_payment_basepoint
  PublicKey local_htlcpubkey;        // from the broadcaster's htlc_basepoint
  PublicKey remote_htlcpubkey;       // from the countersignatory's htlc_basepoint
  PublicKey remote_payment_pubkey;   // the countersignatory's payment_basepoint
};

Result<CommitmentKeys> derive_commitment_keys(const PublicKey& per_commitment_point,
                                              const Basepoints& broadcaster,
                                              const Basepoints& countersignatory);

// BOLT 3: the 48-bit commitment number is obscured by XOR with the lower 48 bits of
// SHA256(payment_basepoint from open_channel || payment_basepoint from accept_channel).
uint64_t obscuring_factor(const PublicKey& opener_payment_basepoint,
                          const PublicKey& accepter_payment_basepoint);

constexpr uint64_t MAX_COMMITMENT_NUMBER = (uint64_t{1} << 48) - 1;

// BOLT 3: locktime: upper 8 bits are 0x20, lower 24 bits are the lower 24 bits of the
// obscured commitment number; sequence: upper 8 bits are 0x80, lower 24 bits are upper 24
// bits of the obscured commitment number.
struct CommitmentLockFields {
  uint32_t locktime;
  uint32_t sequence;
};
CommitmentLockFields commitment_lock_fields(uint64_t commitment_number, uint64_t obscuring);

// The commitment number a commitment transaction on chain encodes, or nothing if its
// locktime and sequence do not carry the 0x20 / 0x80 markers (not a commitment tx).
std::optional<uint64_t> commitment_number_from_lock_fields(uint32_t locktime, uint32_t sequence,
                                                           uint64_t obscuring);

}  // namespace fulgur::channel
