// ChainState and Wallet together, in process: mining and maturity, BIP 68 and locktime
// rejections that turn into acceptance, conflicts, feerate ordering, reorgs.
#include <gtest/gtest.h>

#include "core/chainstate.h"
#include "core/script_verify.h"
#include "core/wallet.h"

using namespace fulgur;
using namespace fulgur::l1sim;

namespace {

constexpr uint64_t COIN = 100'000'000;

class ChainTest : public ::testing::Test {
 protected:
  ChainTest()
      : chain(make_input_verifier()), wallet([this] {
          std::array<uint8_t, 32> k{};
          k[31] = static_cast<uint8_t>(++m_key_counter);
          k[0] = 0x42;
          return std::move(crypto::SecretKey::from_bytes(k)).value();
        }) {}

  bitcoin::Script new_script() {
    return *bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, wallet.new_address());
  }
  void mine(int n) {
    for (int i = 0; i < n; ++i) chain.mine(miner);
  }
  // A signed wallet transaction paying `amount` to a new wallet script.
  bitcoin::Transaction pay(Sat amount, uint64_t feerate = 2000) {
    bitcoin::Transaction tx;
    tx.outputs.push_back({amount, new_script()});
    auto funded = wallet.fund(chain, tx, feerate, std::nullopt);
    EXPECT_TRUE(funded.ok());
    bitcoin::Transaction out = funded->tx;
    EXPECT_TRUE(wallet.sign(chain, out).empty());
    return out;
  }
  // Spends output `vout` of `parent` (a wallet output) with the given nSequence/locktime.
  bitcoin::Transaction spend(const bitcoin::Transaction& parent, uint32_t vout, uint32_t sequence,
                             uint32_t locktime = 0) {
    bitcoin::Transaction tx;
    tx.inputs.push_back({bitcoin::OutPoint{parent.txid(), vout}, {}, sequence, {}});
    tx.outputs.push_back({Sat(parent.outputs[vout].amount.value() - 1000), new_script()});
    tx.locktime = locktime;
    EXPECT_TRUE(wallet.sign(chain, tx).empty());
    return tx;
  }
  std::string reject_of(const bitcoin::Transaction& tx) {
    auto r = chain.accept(tx, false);
    return r.ok() ? "accepted" : r.error().to_string();
  }

  int m_key_counter = 0;
  ChainState chain;
  Wallet wallet;
  bitcoin::Script miner = new_script();
};

}  // namespace

TEST_F(ChainTest, CoinbaseMaturityAndBalance) {
  mine(100);
  EXPECT_EQ(chain.height(), 100u);
  EXPECT_EQ(wallet.balance(chain).value(), 0u);  // the wallet wants 101 confirmations
  // A spend of block 1's coinbase for block 101 is at depth 100: consensus allows it.
  const auto* first = chain.find_block(*chain.hash_at(1));
  const auto& coinbase = first->block.transactions[0];
  bitcoin::Transaction early = spend(coinbase, 0, 0xffffffff);
  const auto* second = chain.find_block(*chain.hash_at(2));
  bitcoin::Transaction too_early = spend(second->block.transactions[0], 0, 0xffffffff);
  EXPECT_EQ(reject_of(too_early),
            "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99");
  EXPECT_EQ(reject_of(early), "accepted");
  mine(1);
  // Block 2's coinbase has 100 confirmations: not yet spendable for the wallet; the
  // spend of block 1's coinbase (50 BTC less 1000 sat fee) is.
  EXPECT_EQ(wallet.balance(chain).value(), 50 * COIN - 1000);
  mine(1);
  EXPECT_EQ(wallet.balance(chain).value(), 100 * COIN - 1000);
  EXPECT_TRUE(chain.mempool().empty());
}

TEST_F(ChainTest, RelativeLocktimeRejectedUntilMature) {
  mine(101);
  bitcoin::Transaction parent = pay(Sat(COIN));
  ASSERT_EQ(reject_of(parent), "accepted");
  mine(1);
  bitcoin::Transaction child = spend(parent, 0, 3);  // three blocks after the parent's
  EXPECT_EQ(reject_of(child), "non-BIP68-final");
  mine(1);
  EXPECT_EQ(reject_of(child), "non-BIP68-final");
  mine(1);  // the child would be in block parent+3
  EXPECT_EQ(reject_of(child), "accepted");
}

TEST_F(ChainTest, AbsoluteLocktimeRejectedUntilFinal) {
  mine(101);
  bitcoin::Transaction parent = pay(Sat(COIN));
  ASSERT_EQ(reject_of(parent), "accepted");
  uint32_t unlock = chain.height() + 3;
  bitcoin::Transaction child = spend(parent, 0, 0xfffffffe, unlock);
  EXPECT_EQ(reject_of(child), "non-final");
  mine(2);  // next block is unlock: locktime must be below it
  EXPECT_EQ(reject_of(child), "non-final");
  mine(1);
  EXPECT_EQ(reject_of(child), "accepted");
}

TEST_F(ChainTest, ConflictsAndAlreadyKnown) {
  mine(101);
  bitcoin::Transaction a = pay(Sat(COIN));
  bitcoin::Transaction b = a;
  b.outputs[0].amount = Sat(COIN - 1);
  ASSERT_TRUE(wallet.sign(chain, b).empty());
  EXPECT_EQ(reject_of(a), "accepted");
  EXPECT_EQ(reject_of(a), "txn-already-in-mempool");
  EXPECT_EQ(reject_of(b), "txn-mempool-conflict");
  mine(1);
  auto r = chain.accept(b, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, RejectKind::MissingInputs);
  EXPECT_EQ(chain.accept(a, false).error().kind, RejectKind::AlreadyInChain);
}

TEST_F(ChainTest, MinesByFeerateParentsFirst) {
  mine(103);  // three mature coinbases
  bitcoin::Transaction cheap = pay(Sat(COIN), 1000);
  ASSERT_EQ(reject_of(cheap), "accepted");
  bitcoin::Transaction rich = pay(Sat(COIN), 50'000);
  ASSERT_EQ(reject_of(rich), "accepted");
  // A child of the cheap one paying a high fee still comes after its parent.
  bitcoin::Transaction child = spend(cheap, 0, 0xffffffff);
  ASSERT_EQ(reject_of(child), "accepted");
  chain.mine(miner);
  const auto& txs = chain.tip_entry().block.transactions;
  ASSERT_EQ(txs.size(), 4u);
  EXPECT_EQ(txs[1].txid(), rich.txid());  // highest feerate first
  auto pos = [&](const bitcoin::Transaction& t) {
    for (size_t i = 0; i < txs.size(); ++i) if (txs[i].txid() == t.txid()) return i;
    return size_t{0};
  };
  EXPECT_LT(pos(cheap), pos(child));
  EXPECT_LT(pos(rich), pos(cheap));
  // The coinbase takes subsidy plus every fee.
  uint64_t paid = txs[0].outputs[0].amount.value();
  EXPECT_GT(paid, 50 * COIN);
}

TEST_F(ChainTest, InvalidateAndReconsider) {
  mine(101);
  bitcoin::Transaction tx = pay(Sat(COIN));
  ASSERT_EQ(reject_of(tx), "accepted");
  BlockHash with_tx = chain.mine(miner);
  bitcoin::Transaction child = spend(tx, 0, 0xffffffff);
  ASSERT_EQ(reject_of(child), "accepted");
  ASSERT_TRUE(chain.invalidate(with_tx).ok());
  EXPECT_EQ(chain.height(), 101u);
  EXPECT_TRUE(chain.mempool().count(tx.txid()));
  EXPECT_TRUE(chain.mempool().count(child.txid()));  // still valid on top of its parent
  EXPECT_FALSE(chain.find_tx(tx.txid()));
  ASSERT_TRUE(chain.reconsider(with_tx).ok());
  EXPECT_EQ(chain.tip(), with_tx);
  EXPECT_FALSE(chain.mempool().count(tx.txid()));
  EXPECT_TRUE(chain.mempool().count(child.txid()));
  EXPECT_FALSE(chain.invalidate(BlockHash()).ok());
}

TEST_F(ChainTest, BlocksReplayIntoAFreshChain) {
  mine(101);
  ASSERT_EQ(reject_of(pay(Sat(COIN))), "accepted");
  mine(2);
  ChainState copy(make_input_verifier());
  for (const auto* e : chain.all_blocks()) ASSERT_TRUE(copy.add_block(e->block, false).ok());
  EXPECT_EQ(copy.tip(), chain.tip());
  EXPECT_EQ(copy.utxos().size(), chain.utxos().size());
  // A block whose transactions do not match its merkle root is refused.
  ChainState partial(make_input_verifier());
  auto blocks = chain.all_blocks();
  for (size_t i = 0; i + 1 < blocks.size(); ++i) ASSERT_TRUE(partial.add_block(blocks[i]->block, false).ok());
  Block bad = chain.tip_entry().block;
  bad.transactions.pop_back();
  EXPECT_FALSE(partial.add_block(bad, false).ok());
  EXPECT_TRUE(partial.add_block(chain.tip_entry().block, false).ok());
  EXPECT_EQ(partial.tip(), chain.tip());
}

TEST_F(ChainTest, FundsAForeignMempoolInputWithItsWeightAndChangeWhereAsked) {
  mine(102);
  bitcoin::Transaction parent = pay(Sat(COIN));
  ASSERT_EQ(reject_of(parent), "accepted");
  // A foreign input (a P2WPKH not the wallet's would do; here: the parent's output, unsigned
  // by the wallet's choice) spent before its parent confirms, as a CPFP child does.
  bitcoin::Transaction child;
  child.inputs.push_back({bitcoin::OutPoint{parent.txid(), 0}, {}, 0xfffffffd, {}});
  bitcoin::Script keep = new_script();
  child.outputs.push_back({Sat(50'000), keep});
  Wallet::FundExtras light, heavy;
  heavy.input_weights[child.inputs[0].prevout] = 164 + 1000;  // a big witness to pay for
  heavy.change_position = 0;
  auto a = wallet.fund(chain, child, 10'000, std::nullopt, light);
  auto b = wallet.fund(chain, child, 10'000, std::nullopt, heavy);
  ASSERT_TRUE(a.ok()) << a.error().message;  // valued from the mempool
  ASSERT_TRUE(b.ok()) << b.error().message;
  // 10 sat/vB on its witness (1000 weight units, plus the segwit marker and flag the light
  // transaction did not need, rounded up to whole vbytes).
  EXPECT_GE(b->fee.value(), a->fee.value() + 1000 / 4 * 10);
  EXPECT_LE(b->fee.value(), a->fee.value() + (1000 + 2 + 3) / 4 * 10 + 10);
  EXPECT_EQ(a->change_position, 1);
  EXPECT_EQ(b->change_position, 0);
  EXPECT_EQ(b->tx.outputs[1].script_pubkey, keep);
  Wallet::FundExtras out_of_range;
  out_of_range.change_position = 2;
  EXPECT_FALSE(wallet.fund(chain, child, 10'000, std::nullopt, out_of_range).ok());
  // An input neither in the UTXO set nor in the mempool cannot be valued.
  bitcoin::Transaction unknown = child;
  unknown.inputs[0].prevout.vout = 7;
  EXPECT_FALSE(wallet.fund(chain, unknown, 10'000, std::nullopt).ok());
}
