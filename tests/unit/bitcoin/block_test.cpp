// Block headers, blocks, merkle roots: the genesis block and BOLT 3's regtest block 1.
#include <gtest/gtest.h>

#include "bitcoin/block.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

using test::load_vectors;
using test::unhex;

Block block_from(const std::string& hex) {
  auto b = parse_block(unhex(hex));
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
  return b.ok() ? *b : Block{};
}

TEST(Block, RegtestGenesisAndBlock1) {
  auto v = load_vectors("bolt03/funding-tx.json")["vector"];
  std::string hex0 = v["block0_genesis"];
  Block genesis = block_from(hex0);
  EXPECT_EQ(to_hex(genesis.serialize()), hex0);
  ASSERT_EQ(genesis.transactions.size(), 1u);
  EXPECT_TRUE(genesis.transactions[0].is_coinbase());
  // The genesis merkle root is its coinbase txid.
  EXPECT_EQ(genesis.header.merkle_root.to_hex(),
            "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a");
  EXPECT_EQ(genesis.transactions[0].txid().to_hex(),
            "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  EXPECT_EQ(block_merkle_root(genesis), genesis.header.merkle_root);
  EXPECT_EQ(genesis.header.hash().to_hex(),
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206");

  Block block1 = block_from(v["block1"]);
  EXPECT_EQ(block1.header.prev_block, genesis.header.hash());
  EXPECT_EQ(block_merkle_root(block1), block1.header.merkle_root);
  EXPECT_EQ(to_hex(block1.transactions[0].serialize()), v["block1_coinbase_tx"]);
  EXPECT_EQ(block1.weight(), to_hex(block1.serialize()).size() / 2 * 4);
}

TEST(Block, MainnetGenesisHeader) {
  // Same block as regtest's genesis with mainnet's time, bits and nonce.
  auto v = load_vectors("bolt03/funding-tx.json")["vector"];
  Block genesis = block_from(v["block0_genesis"]);
  BlockHeader h = genesis.header;
  h.time = 1231006505;
  h.bits = 0x1d00ffff;
  h.nonce = 2083236893;
  EXPECT_EQ(h.hash().to_hex(), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  auto back = parse_block_header(h.serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
  EXPECT_FALSE(parse_block_header(ByteSpan(h.serialize()).first(79)).ok());
}

TEST(Block, MerkleRootOddCountAndMutation) {
  Hash256 a(std::array<uint8_t, 32>{1});
  Hash256 b(std::array<uint8_t, 32>{2});
  Hash256 c(std::array<uint8_t, 32>{3});
  bool mutated = true;
  Hash256 three = merkle_root({a, b, c}, &mutated);
  EXPECT_FALSE(mutated);
  // An odd last element is paired with itself: [a b c] and [a b c c] share a root, and the
  // second is flagged as mutated.
  EXPECT_EQ(merkle_root({a, b, c, c}, &mutated), three);
  EXPECT_TRUE(mutated);
  EXPECT_EQ(merkle_root({a}), a);
  EXPECT_TRUE(merkle_root({}).is_zero());
}

TEST(Block, WitnessCommitment) {
  auto v = load_vectors("bolt03/commitment-tx.json");
  auto commit = parse_transaction(unhex(v["test_cases"][0]["commit_tx"].get<std::string>()));
  ASSERT_TRUE(commit.ok());
  Block block = block_from(load_vectors("bolt03/funding-tx.json")["vector"]["block1"]);
  block.transactions.push_back(*commit);
  Hash256 root = witness_merkle_root(block);
  EXPECT_EQ(root, merkle_root({Hash256{}, Hash256(commit->wtxid().array())}));
  Script s = witness_commitment_script(root, Hash256{});
  EXPECT_EQ(s.size(), 38u);
  block.transactions[0].outputs.push_back(TxOut{Sat(0), s});
  auto found = find_witness_commitment(block.transactions[0]);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(Script(Bytes{0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed}).to_hex() + found->to_hex(),
            s.to_hex());
  auto parsed = parse_block(block.serialize());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, block);
  Bytes raw = block.serialize();
  raw.push_back(0);
  EXPECT_FALSE(parse_block(raw).ok());
}

}  // namespace
}  // namespace fulgur::bitcoin
