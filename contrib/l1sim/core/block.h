// What l1sim adds to lib/bitcoin's blocks: regtest's proof-of-work check and genesis
// block, and its coinbase witness commitment.
#pragma once

#include "bitcoin/block.h"

namespace fulgur::l1sim {

using bitcoin::Block;
using bitcoin::BlockHeader;

inline constexpr uint32_t REGTEST_BITS = 0x207fffff;

// The header's hash is at or below the target that its `bits` encode.
bool meets_target(const BlockHeader& header);
// BIP 141: the commitment output for `block` with an all-zero reserved value.
bitcoin::Script witness_commitment_output(const Block& block);
// Regtest's genesis block (hash 0f9188f1…2206).
Block regtest_genesis();

}  // namespace fulgur::l1sim
