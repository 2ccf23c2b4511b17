// Regtest proof of work, the witness commitment and the genesis block.
#include "block.h"

namespace fulgur::l1sim {

bool meets_target(const BlockHeader& header) {
  // Target = mantissa * 256^(exponent - 3), compared big-endian with the reversed hash.
  std::array<uint8_t, 32> target{};
  int exponent = static_cast<int>(header.bits >> 24);
  uint32_t mantissa = header.bits & 0x007fffff;
  for (int i = 0; i < 3; ++i) {
    int pos = 32 - exponent + i;
    if (pos >= 0 && pos < 32) target[pos] = static_cast<uint8_t>(mantissa >> (8 * (2 - i)));
  }
  auto h = header.hash().array();
  std::array<uint8_t, 32> be{};
  for (int i = 0; i < 32; ++i) be[i] = h[31 - i];
  return be <= target;
}

bitcoin::Script witness_commitment_output(const Block& block) {
  return bitcoin::witness_commitment_script(bitcoin::witness_merkle_root(block), Hash256());
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
  b.header.bits = REGTEST_BITS;
  b.header.nonce = 2;
  b.transactions.push_back(std::move(coinbase));
  b.header.merkle_root = bitcoin::block_merkle_root(b);
  return b;
}

}  // namespace fulgur::l1sim
