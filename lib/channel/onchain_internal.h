// Shared by the resolver's source files (not part of its interface): a commitment rebuilt
// with the BOLT 3 builder from the resolver's view of it.
#pragma once

#include "channel/commitment.h"
#include "channel/onchain.h"

namespace fulgur::channel::onchain::detail {

struct BuiltCommitment {
  CommitmentSpec spec;
  CommitmentKeys keys;
  CommitmentTx tx;
};

// The commitment `c` as its holder (us or the peer) would broadcast it, with the holder's
// per-commitment `point`.
Result<BuiltCommitment> build_commitment(const ChannelInfo& info, const Basepoints& ours,
                                         const Basepoints& theirs,
                                         const crypto::PublicKey& our_funding_pubkey,
                                         uint64_t obscuring, bool holder_is_us,
                                         const Commitment& c, const crypto::PublicKey& point);

}  // namespace fulgur::channel::onchain::detail
