// l1sim's pure rules: genesis, subsidy, money formatting, CheckTransaction, standardness and
// dust, IsFinalTx (BIP 113) and BIP 68 sequence locks.
#include <gtest/gtest.h>

#include "core/block.h"
#include "core/chainstate.h"
#include "core/validation.h"

using namespace fulgur;
using namespace fulgur::l1sim;

namespace {
bitcoin::Transaction simple_tx() {
  bitcoin::Transaction tx;
  bitcoin::TxIn in;
  in.prevout.txid.data()[0] = 1;
  tx.inputs.push_back(in);
  tx.outputs.push_back({Sat(10'000), bitcoin::p2wpkh(Hash160())});
  return tx;
}
}  // namespace

TEST(Block, RegtestGenesisHash) {
  Block genesis = regtest_genesis();
  EXPECT_EQ(genesis.header.hash().to_hex(),
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206");
  EXPECT_EQ(Txid(genesis.header.merkle_root.array()).to_hex(),
            "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  EXPECT_TRUE(meets_target(genesis.header));
  BlockHeader hard = genesis.header;
  hard.bits = 0x1d00ffff;  // mainnet's limit: the regtest nonce does not meet it
  EXPECT_FALSE(meets_target(hard));
}

TEST(Validation, SubsidyHalvesEvery150Blocks) {
  EXPECT_EQ(ChainState::subsidy(1).value(), 5'000'000'000u);
  EXPECT_EQ(ChainState::subsidy(149).value(), 5'000'000'000u);
  EXPECT_EQ(ChainState::subsidy(150).value(), 2'500'000'000u);
  EXPECT_EQ(ChainState::subsidy(300).value(), 1'250'000'000u);
  EXPECT_EQ(ChainState::subsidy(150 * 64).value(), 0u);
}

TEST(Validation, FormatMoneyLikeBitcoinCore) {
  EXPECT_EQ(format_money(5'000'000'000), "50.00");
  EXPECT_EQ(format_money(1'000'000), "0.01");
  EXPECT_EQ(format_money(5'000'000'001), "50.00000001");
  EXPECT_EQ(format_money(123'450'000), "1.2345");
  EXPECT_EQ(format_money(0), "0.00");
}

TEST(Validation, CheckTransactionReasons) {
  auto tx = simple_tx();
  EXPECT_FALSE(check_transaction(tx));
  auto no_in = tx;
  no_in.inputs.clear();
  EXPECT_EQ(check_transaction(no_in)->reason, "bad-txns-vin-empty");
  auto no_out = tx;
  no_out.outputs.clear();
  EXPECT_EQ(check_transaction(no_out)->reason, "bad-txns-vout-empty");
  auto dup = tx;
  dup.inputs.push_back(dup.inputs[0]);
  EXPECT_EQ(check_transaction(dup)->reason, "bad-txns-inputs-duplicate");
  auto big = tx;
  big.outputs[0].amount = Sat(bitcoin::MAX_MONEY.value() + 1);
  EXPECT_EQ(check_transaction(big)->reason, "bad-txns-vout-toolarge");
  auto sum = tx;
  sum.outputs[0].amount = bitcoin::MAX_MONEY;
  sum.outputs.push_back(sum.outputs[0]);
  EXPECT_EQ(check_transaction(sum)->reason, "bad-txns-txouttotal-toolarge");
  auto null_prevout = tx;
  null_prevout.inputs.push_back({});
  null_prevout.inputs[1].prevout.vout = 0xffffffff;
  EXPECT_EQ(check_transaction(null_prevout)->reason, "bad-txns-prevout-null");
}

TEST(Validation, StandardnessAndDust) {
  auto tx = simple_tx();
  EXPECT_FALSE(check_standard(tx));
  // Bitcoin Core's dust limits at 3 sat/vB: 294 sat for P2WPKH, 330 for P2WSH.
  EXPECT_EQ(dust_threshold(tx.outputs[0]).value(), 294u);
  EXPECT_EQ(dust_threshold({Sat(0), bitcoin::p2wsh(Hash256())}).value(), 330u);
  EXPECT_EQ(dust_threshold({Sat(0), bitcoin::p2pkh(Hash160())}).value(), 546u);
  tx.outputs[0].amount = Sat(293);
  EXPECT_EQ(check_standard(tx)->reason, "dust");
  tx.outputs[0].amount = Sat(294);
  EXPECT_FALSE(check_standard(tx));
  auto version = tx;
  version.version = 4;
  EXPECT_EQ(check_standard(version)->reason, "version");
  auto weird = tx;
  weird.outputs[0].script_pubkey = bitcoin::Script(Bytes(25, bitcoin::OP_1));
  EXPECT_EQ(check_standard(weird)->reason, "scriptpubkey");
  auto two_returns = tx;
  two_returns.outputs.push_back({Sat(0), bitcoin::op_return(Bytes{1})});
  EXPECT_FALSE(check_standard(two_returns));
  two_returns.outputs.push_back({Sat(0), bitcoin::op_return(Bytes{2})});
  EXPECT_EQ(check_standard(two_returns)->reason, "multi-op-return");
}

TEST(Validation, FinalityByHeightAndMedianTime) {
  auto tx = simple_tx();
  tx.locktime = 100;
  tx.inputs[0].sequence = 0xfffffffe;
  EXPECT_FALSE(is_final(tx, 100, 0));  // locktime must be below the block's height
  EXPECT_TRUE(is_final(tx, 101, 0));
  tx.inputs[0].sequence = 0xffffffff;  // all inputs final: locktime ignored
  EXPECT_TRUE(is_final(tx, 1, 0));
  tx.inputs[0].sequence = 0;
  tx.locktime = 1'600'000'000;  // a time: compared with median time past (BIP 113)
  EXPECT_FALSE(is_final(tx, 1'000'000, 1'600'000'000));
  EXPECT_TRUE(is_final(tx, 1, 1'600'000'001));
}

TEST(Validation, Bip68SequenceLocks) {
  auto tx = simple_tx();
  tx.version = 2;
  std::vector<Coin> coins{{tx.outputs[0], 10, false}};
  auto mtp = [](uint32_t h) { return int64_t{1000} + 600 * int64_t{h}; };
  tx.inputs[0].sequence = 5;  // five blocks after the coin's block (height 10)
  EXPECT_FALSE(sequence_locks_ok(tx, coins, 14, 0, mtp));
  EXPECT_TRUE(sequence_locks_ok(tx, coins, 15, 0, mtp));
  tx.version = 1;  // BIP 68 applies to version 2 and up only
  EXPECT_TRUE(sequence_locks_ok(tx, coins, 11, 0, mtp));
  tx.version = 2;
  tx.inputs[0].sequence = (1u << 31) | 50;  // disabled
  EXPECT_TRUE(sequence_locks_ok(tx, coins, 11, 0, mtp));
  // Time-based: 2 * 512 s after the MTP of the block before the coin's (mtp(10)).
  tx.inputs[0].sequence = (1u << 22) | 2;
  int64_t unlock = mtp(10) + 1024;
  EXPECT_FALSE(sequence_locks_ok(tx, coins, 20, unlock - 1, mtp));
  EXPECT_FALSE(sequence_locks_ok(tx, coins, 20, unlock - 1 + 0, mtp));
  EXPECT_TRUE(sequence_locks_ok(tx, coins, 20, unlock, mtp));
  // An unconfirmed parent counts as mined in the next block: a child may share that
  // block only without a relative lock.
  coins[0].height = MEMPOOL_HEIGHT;
  tx.inputs[0].sequence = 0;
  EXPECT_TRUE(sequence_locks_ok(tx, coins, 20, 0, mtp));
  tx.inputs[0].sequence = 1;
  EXPECT_FALSE(sequence_locks_ok(tx, coins, 20, 0, mtp));
}

TEST(Validation, InputsAmountsAndMaturity) {
  auto tx = simple_tx();
  Sat fee;
  std::vector<Coin> coins{{{Sat(20'000), bitcoin::p2wpkh(Hash160())}, 5, true}};
  auto premature = check_tx_inputs(tx, coins, 104, fee);
  ASSERT_TRUE(premature);
  EXPECT_EQ(premature->to_string(),
            "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99");
  EXPECT_FALSE(check_tx_inputs(tx, coins, 105, fee));
  EXPECT_EQ(fee.value(), 10'000u);
  coins[0].out.amount = Sat(9'999);
  EXPECT_EQ(check_tx_inputs(tx, coins, 105, fee)->to_string(),
            "bad-txns-in-belowout, value in (0.00009999) < value out (0.0001)");
}
