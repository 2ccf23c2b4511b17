// Block headers and blocks: serialization, strict parsing, block hash, merkle roots (txid
// and BIP 141 witness), and the coinbase witness commitment.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bitcoin/tx.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"

namespace fulgur::bitcoin {

inline constexpr size_t BLOCK_HEADER_SIZE = 80;
inline constexpr uint64_t MAX_BLOCK_WEIGHT = 4'000'000;

struct BlockHeader {
  int32_t version = 0;
  BlockHash prev_block;
  Hash256 merkle_root;
  uint32_t time = 0;
  uint32_t bits = 0;
  uint32_t nonce = 0;

  Bytes serialize() const;  // 80 bytes
  BlockHash hash() const;   // dSHA256 of the 80 bytes
  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

Result<BlockHeader> parse_block_header(ByteSpan bytes);

struct Block {
  BlockHeader header;
  std::vector<Transaction> transactions;

  Bytes serialize() const;  // with witnesses
  uint64_t weight() const;
  friend bool operator==(const Block&, const Block&) = default;
};

// One block that uses all of `bytes`.
Result<Block> parse_block(ByteSpan bytes);

// Bitcoin's merkle root: pairs hashed with dSHA256, an odd last element paired with
// itself. `mutated` (if given) is set when two equal adjacent hashes were combined, the
// CVE-2012-2459 pattern a block must not have. Zero for an empty list.
Hash256 merkle_root(std::vector<Hash256> leaves, bool* mutated = nullptr);
// The merkle root of the block's txids.
Hash256 block_merkle_root(const Block& block, bool* mutated = nullptr);
// BIP 141: the merkle root of the wtxids, with the coinbase's taken as zero.
Hash256 witness_merkle_root(const Block& block);
// BIP 141 commitment output script: OP_RETURN 0xaa21a9ed || dSHA256(root || reserved).
Script witness_commitment_script(const Hash256& witness_root, const Hash256& reserved_value);
// The commitment in a coinbase, if any (the last output that matches the pattern).
std::optional<Hash256> find_witness_commitment(const Transaction& coinbase);

}  // namespace fulgur::bitcoin
