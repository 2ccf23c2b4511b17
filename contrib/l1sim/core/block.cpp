// Block serialization, merkle roots and the regtest genesis block.
#include "block.h"

#include "bitcoin/serialize.h"
#include "crypto/hash.h"

namespace fulgur::l1sim {

using bitcoin::Reader;
using bitcoin::Writer;

Bytes BlockHeader::serialize() const {
  Writer w;
  w.i32(version);
  w.bytes(prev.span());
  w.bytes(merkle_root.span());
  w.u32(time);
  w.u32(bits);
  w.u32(nonce);
  return w.take();
}

BlockHash BlockHeader::hash() const { return BlockHash(crypto::sha256d(serialize()).array()); }

bool BlockHeader::meets_target() const {
  // Target = mantissa * 256^(exponent - 3); compare big-endian with the reversed hash.
  std::array<uint8_t, 32> target{};
  int exponent = static_cast<int>(bits >> 24);
  uint32_t mantissa = bits & 0x007fffff;
  for (int i = 0; i < 3; ++i) {
    int pos = 32 - exponent + i;  // big-endian byte index
    if (pos >= 0 && pos < 32) target[pos] = static_cast<uint8_t>(mantissa >> (8 * (2 - i)));
  }
  auto h = hash().array();
  std::array<uint8_t, 32> be{};
  for (int i = 0; i < 32; ++i) be[i] = h[31 - i];
  return be <= target;
}

Bytes Block::serialize() const {
  Writer w;
  w.bytes(header.serialize());
  w.compact_size(txs.size());
  for (const auto& tx : txs) bitcoin::write_transaction(w, tx, true);
  return w.take();
}

uint64_t Block::weight() const {
  Writer base;
  base.bytes(header.serialize());
  base.compact_size(txs.size());
  for (const auto& tx : txs) bitcoin::write_transaction(base, tx, false);
  return base.out().size() * 3 + serialize().size();
}

Result<Block> parse_block(ByteSpan bytes) {
  Reader r(bytes);
  Block b;
  FULGUR_TRY(b.header.version, r.i32());
  FULGUR_TRY(ByteSpan prev, r.bytes(32));
  b.header.prev = *BlockHash::from_span(prev);
  FULGUR_TRY(ByteSpan root, r.bytes(32));
  b.header.merkle_root = *Hash256::from_span(root);
  FULGUR_TRY(b.header.time, r.u32());
  FULGUR_TRY(b.header.bits, r.u32());
  FULGUR_TRY(b.header.nonce, r.u32());
  FULGUR_TRY(uint64_t count, r.compact_size());
  // Each transaction takes at least 10 bytes: never reserve more than the input allows.
  if (count > r.remaining() / 10 + 1) return fail("block: more transactions than bytes");
  for (uint64_t i = 0; i < count; ++i) {
    FULGUR_TRY(bitcoin::Transaction tx, bitcoin::read_transaction(r));
    b.txs.push_back(std::move(tx));
  }
  if (!r.empty()) return fail("block: trailing bytes");
  return b;
}

Hash256 merkle_root(std::vector<Hash256> level) {
  if (level.empty()) return Hash256();
  while (level.size() > 1) {
    if (level.size() % 2) level.push_back(level.back());
    std::vector<Hash256> next;
    for (size_t i = 0; i < level.size(); i += 2) {
      Bytes pair(level[i].begin(), level[i].end());
      append(pair, level[i + 1].span());
      next.push_back(crypto::sha256d(pair));
    }
    level = std::move(next);
  }
  return level[0];
}

Hash256 block_merkle_root(const Block& block) {
  std::vector<Hash256> leaves;
  for (const auto& tx : block.txs) leaves.push_back(Hash256(tx.txid().array()));
  return merkle_root(std::move(leaves));
}

Hash256 witness_commitment(const Block& block) {
  std::vector<Hash256> leaves;
  for (size_t i = 0; i < block.txs.size(); ++i) {
    leaves.push_back(i == 0 ? Hash256() : Hash256(block.txs[i].wtxid().array()));
  }
  Hash256 root = merkle_root(std::move(leaves));
  Bytes data(root.begin(), root.end());
  data.resize(64, 0);
  return crypto::sha256d(data);
}

bitcoin::Script witness_commitment_script(const Hash256& commitment) {
  Bytes payload = {0xaa, 0x21, 0xa9, 0xed};
  append(payload, commitment.span());
  return bitcoin::op_return(payload);
}

Block regtest_genesis() {
  bitcoin::Transaction coinbase;
  coinbase.version = 1;
  bitcoin::TxIn in;
  in.prevout.vout = 0xffffffff;
  in.script_sig = *bitcoin::Script::from_hex(
      "04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f"
      "6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73");
  coinbase.inputs.push_back(in);
  coinbase.outputs.push_back(
      {Sat(5'000'000'000), *bitcoin::Script::from_hex(
                               "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f"
                               "61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b"
                               "6bf11d5fac")});
  Block b;
  b.header.version = 1;
  b.header.time = 1296688602;
  b.header.bits = 0x207fffff;
  b.header.nonce = 2;
  b.txs.push_back(std::move(coinbase));
  b.header.merkle_root = block_merkle_root(b);
  return b;
}

}  // namespace fulgur::l1sim
