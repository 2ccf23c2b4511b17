// BOLT 3 for the channel state machine: the fee model it checks updates against, and one
// commitment (ours or the peer's) built as BOLT 3 transactions -- channel/commitment.h's
// commitment transaction, channel/htlc_tx.h's second-stage HTLC transactions -- with the
// BIP 143 digests that the funding keys and the countersignatory's HTLC key sign.
#pragma once

#include <cstddef>
#include <vector>

#include "channel/commit_spec.h"
#include "channel/commitment.h"
#include "channel/htlc_tx.h"
#include "channel/keys.h"
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

// One commitment transaction, its HTLC transactions and what gets signed.
struct BuiltCommitment {
  CommitmentSpec spec;  // spec.htlcs[i] is the i-th HTLC of the machine's CommitSpec
  CommitmentKeys keys;
  CommitmentTx commitment;       // unsigned
  std::vector<HtlcTx> htlc_txs;  // one per untrimmed HTLC, in output order; unsigned
  Hash256 sighash;               // the funding input, SIGHASH_ALL: what both funding keys sign
  // The countersignatory's digest of each HTLC transaction (remote_htlc_sighash_type): what
  // commitment_signed's htlc_signature carries, in the same order.
  std::vector<Hash256> htlc_sighashes;
};

// Builds the transactions; errors when the balances and HTLCs do not add up to the funding.
Result<BuiltCommitment> build_commitment(CommitmentSpec spec, const CommitmentKeys& keys);

}  // namespace fulgur::channel
