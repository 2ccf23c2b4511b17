// Blocks for l1sim: the 80-byte header, serialization, merkle roots, the BIP 141 witness
// commitment, and regtest's genesis block. TODO(spec): switch to lib/bitcoin's block
// types once they land there; this file only exists until then.
#pragma once

#include <vector>

#include "bitcoin/tx.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"

namespace fulgur::l1sim {

struct BlockHeader {
  int32_t version = 0x20000000;
  BlockHash prev;
  Hash256 merkle_root;
  uint32_t time = 0;
  uint32_t bits = 0x207fffff;  // regtest's proof-of-work limit
  uint32_t nonce = 0;

  Bytes serialize() const;
  BlockHash hash() const;
  // The header's hash is at or below the target that `bits` encodes.
  bool meets_target() const;
};

struct Block {
  BlockHeader header;
  std::vector<bitcoin::Transaction> txs;

  Bytes serialize() const;
  uint64_t weight() const;
};

Result<Block> parse_block(ByteSpan bytes);

// Bitcoin's merkle tree (odd levels duplicate their last hash).
Hash256 merkle_root(std::vector<Hash256> leaves);
Hash256 block_merkle_root(const Block& block);
// BIP 141: sha256d(witness merkle root || 32 zero bytes), the coinbase's wtxid taken as 0.
Hash256 witness_commitment(const Block& block);
// The OP_RETURN output script carrying a witness commitment.
bitcoin::Script witness_commitment_script(const Hash256& commitment);

// Regtest's genesis block (hash 0f9188f1…2206).
Block regtest_genesis();

}  // namespace fulgur::l1sim
