// The one seam between the channel state machine and BOLT 3 transaction construction: the
// machine describes a commitment (CommitmentContext) and a CommitmentBuilder turns it into
// the digests to sign (commitment and HTLC transactions) and the transaction bytes to
// broadcast. DigestCommitmentBuilder is a TRANSITIONAL stand-in that commits to every field
// of the context with SHA-256 (so a signature over it is exactly as specific as one over the
// real transaction) until issue 5's build_commitment_tx and sighash land on main.
#pragma once

#include <cstdint>
#include <vector>

#include "channel/commit_spec.h"
#include "channel/commitment.h"
#include "channel/keys.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"

namespace fulgur::channel {

// BOLT 3: an HTLC whose amount minus its second-stage fee is below the holder's
// dust_limit_satoshis gets no output (channel/commitment.h's rule, by direction).
bool is_trimmed(ChannelType type, bool offered_by_holder, Msat amount, FeeratePerKw feerate,
                Sat dust_limit);
// Commitment fee plus, with anchors, the two 330-sat anchors: what the opener pays.
Sat opener_fee(ChannelType type, FeeratePerKw feerate, size_t untrimmed_htlcs);
// The opener's cost for `spec` seen by a holder with `dust_limit`.
Sat opener_fee_for(ChannelType type, const CommitSpec& spec, Sat dust_limit, bool holder_is_us);

struct ContextHtlc {
  bool offered_by_holder = false;
  Msat amount;
  PaymentHash payment_hash;
  uint32_t cltv_expiry = 0;
};

// Everything that determines one commitment transaction, seen from its holder (the side
// that can broadcast it).
struct CommitmentContext {
  ChannelType type = ChannelType::StaticRemoteKey;
  Txid funding_txid;
  uint16_t funding_output_index = 0;
  Sat funding_amount;
  std::array<uint8_t, 33> holder_funding_pubkey{};
  std::array<uint8_t, 33> countersigner_funding_pubkey{};
  bool holder_is_opener = false;
  uint64_t commitment_number = 0;
  uint64_t obscuring_factor = 0;
  CltvDelta to_self_delay;  // the holder's delay
  Sat dust_limit;           // the holder's dust limit
  FeeratePerKw feerate;
  Msat to_holder;
  Msat to_countersigner;
  std::vector<ContextHtlc> htlcs;
  std::array<uint8_t, 33> per_commitment_point{};
  std::array<uint8_t, 33> revocation_pubkey{};
  std::array<uint8_t, 33> holder_delayed_pubkey{};
  std::array<uint8_t, 33> holder_htlc_pubkey{};
  std::array<uint8_t, 33> countersigner_htlc_pubkey{};
  std::array<uint8_t, 33> countersigner_payment_pubkey{};
};

struct BuiltCommitment {
  Hash256 sighash;                     // what both funding keys sign
  std::vector<Hash256> htlc_sighashes;  // one per untrimmed HTLC, in output order
  Bytes tx;                            // the unsigned transaction (empty for the stand-in)
};

// Closing transaction (legacy closing_signed negotiation).
struct ClosingContext {
  Txid funding_txid;
  uint16_t funding_output_index = 0;
  Sat funding_amount;
  Msat to_opener;
  Msat to_other;
  Bytes opener_scriptpubkey;
  Bytes other_scriptpubkey;
  Sat fee;
};

class CommitmentBuilder {
 public:
  virtual ~CommitmentBuilder() = default;
  virtual Result<BuiltCommitment> build(const CommitmentContext& ctx) const = 0;
  virtual Hash256 closing_sighash(const ClosingContext& ctx) const = 0;
};

// The stand-in described above. Deterministic; thread-safe (no state).
class DigestCommitmentBuilder final : public CommitmentBuilder {
 public:
  Result<BuiltCommitment> build(const CommitmentContext& ctx) const override;
  Hash256 closing_sighash(const ClosingContext& ctx) const override;
};

// The real BOLT 3 builder: channel/commitment.h's commitment and HTLC transactions, BIP 143
// digests (SIGHASH_ALL for the commitment, the HTLC sighash type of the channel type for
// the HTLC transactions). Closing digests still come from the stand-in (TODO(spec)).
class Bolt3CommitmentBuilder final : public CommitmentBuilder {
 public:
  Result<BuiltCommitment> build(const CommitmentContext& ctx) const override;
  Hash256 closing_sighash(const ClosingContext& ctx) const override;
};

const CommitmentBuilder& default_commitment_builder();
const CommitmentBuilder& bolt3_commitment_builder();

}  // namespace fulgur::channel
