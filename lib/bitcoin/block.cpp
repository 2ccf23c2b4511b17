// Blocks and headers: serialization, merkle roots, the BIP 141 witness commitment.
#include "bitcoin/block.h"

#include <algorithm>

#include "bitcoin/serialize.h"
#include "crypto/hash.h"

namespace fulgur::bitcoin {

namespace {

void write_header(Writer& w, const BlockHeader& h) {
  w.i32(h.version);
  w.bytes(h.prev_block.span());
  w.bytes(h.merkle_root.span());
  w.u32(h.time);
  w.u32(h.bits);
  w.u32(h.nonce);
}

Result<BlockHeader> read_header(Reader& r) {
  BlockHeader h;
  FULGUR_TRY(h.version, r.i32());
  FULGUR_TRY(ByteSpan prev, r.bytes(32));
  h.prev_block = *BlockHash::from_span(prev);
  FULGUR_TRY(ByteSpan root, r.bytes(32));
  h.merkle_root = *Hash256::from_span(root);
  FULGUR_TRY(h.time, r.u32());
  FULGUR_TRY(h.bits, r.u32());
  FULGUR_TRY(h.nonce, r.u32());
  return h;
}

constexpr uint8_t COMMITMENT_HEADER[] = {0xaa, 0x21, 0xa9, 0xed};

}  // namespace

Bytes BlockHeader::serialize() const {
  Writer w;
  write_header(w, *this);
  return w.take();
}

BlockHash BlockHeader::hash() const { return BlockHash(crypto::sha256d(serialize()).array()); }

Result<BlockHeader> parse_block_header(ByteSpan bytes) {
  if (bytes.size() != BLOCK_HEADER_SIZE) return fail("block header must be 80 bytes");
  Reader r(bytes);
  return read_header(r);
}

Bytes Block::serialize() const {
  Writer w;
  write_header(w, header);
  w.compact_size(transactions.size());
  for (const auto& tx : transactions) write_transaction(w, tx, true);
  return w.take();
}

uint64_t Block::weight() const {
  Writer count;
  count.compact_size(transactions.size());
  uint64_t weight = (BLOCK_HEADER_SIZE + count.out().size()) * WITNESS_SCALE_FACTOR;
  for (const auto& tx : transactions) weight += tx.weight();
  return weight;
}

Result<Block> parse_block(ByteSpan bytes) {
  Reader r(bytes);
  Block block;
  FULGUR_TRY(block.header, read_header(r));
  FULGUR_TRY(uint64_t count, r.compact_size());
  // Every transaction takes at least 10 bytes: never reserve beyond what is present.
  block.transactions.reserve(static_cast<size_t>(std::min<uint64_t>(count, r.remaining() / 10)));
  for (uint64_t i = 0; i < count; ++i) {
    FULGUR_TRY(Transaction tx, read_transaction(r));
    block.transactions.push_back(std::move(tx));
  }
  if (!r.empty()) return fail("block has trailing data");
  return block;
}

Hash256 merkle_root(std::vector<Hash256> level, bool* mutated) {
  bool mutation = false;
  if (level.empty()) {
    if (mutated) *mutated = false;
    return Hash256{};
  }
  std::array<uint8_t, 64> pair{};
  while (level.size() > 1) {
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      if (level[i] == level[i + 1]) mutation = true;
    }
    if (level.size() % 2 == 1) level.push_back(level.back());
    std::vector<Hash256> next;
    next.reserve(level.size() / 2);
    for (size_t i = 0; i < level.size(); i += 2) {
      std::copy(level[i].begin(), level[i].end(), pair.begin());
      std::copy(level[i + 1].begin(), level[i + 1].end(), pair.begin() + 32);
      next.push_back(crypto::sha256d(pair));
    }
    level = std::move(next);
  }
  if (mutated) *mutated = mutation;
  return level[0];
}

Hash256 block_merkle_root(const Block& block, bool* mutated) {
  std::vector<Hash256> leaves;
  leaves.reserve(block.transactions.size());
  for (const auto& tx : block.transactions) leaves.push_back(Hash256(tx.txid().array()));
  return merkle_root(std::move(leaves), mutated);
}

Hash256 witness_merkle_root(const Block& block) {
  std::vector<Hash256> leaves;
  leaves.reserve(block.transactions.size());
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    leaves.push_back(i == 0 ? Hash256{} : Hash256(block.transactions[i].wtxid().array()));
  }
  return merkle_root(std::move(leaves));
}

Script witness_commitment_script(const Hash256& witness_root, const Hash256& reserved_value) {
  std::array<uint8_t, 64> both{};
  std::copy(witness_root.begin(), witness_root.end(), both.begin());
  std::copy(reserved_value.begin(), reserved_value.end(), both.begin() + 32);
  Hash256 commitment = crypto::sha256d(both);
  Bytes data(std::begin(COMMITMENT_HEADER), std::end(COMMITMENT_HEADER));
  append(data, commitment.span());
  Script s;
  s.push_opcode(OP_RETURN).push_data(data);
  return s;
}

std::optional<Hash256> find_witness_commitment(const Transaction& coinbase) {
  std::optional<Hash256> found;
  for (const auto& out : coinbase.outputs) {
    const Bytes& s = out.script_pubkey.bytes();
    // BIP 141: at least 38 bytes, starting OP_RETURN, push of 36, 0xaa21a9ed.
    if (s.size() >= 38 && s[0] == OP_RETURN && s[1] == 0x24 &&
        std::equal(std::begin(COMMITMENT_HEADER), std::end(COMMITMENT_HEADER), s.begin() + 2)) {
      found = Hash256::from_span(ByteSpan(s).subspan(6, 32));
    }
  }
  return found;
}

}  // namespace fulgur::bitcoin
