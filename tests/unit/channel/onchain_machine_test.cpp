// The resolver fed by two real ChannelMachines: the funding output is a real l1sim UTXO, HTLCs
// go through commitment_signed / revoke_and_ack with BOLT 3 signatures, channeld's part is
// played by hand (snapshots after each exchange, the handed-out commitment). A force close
// with HTLCs both ways is resolved with the peer's stored HTLC signatures; a peer restored
// from an old record that force-closes is punished.
#include <gtest/gtest.h>

#include "channel/onchain_channel.h"
#include "machine_harness.h"
#include "onchain_harness.h"

using namespace fulgur;
using namespace fulgur::channel;
namespace mt = fulgur::channel::test;
namespace ot = fulgur::channel::onchain::test;
using onchain::Config;

namespace {

Config quick_config() {
  Config c;
  c.safe_depth = 3;
  c.final_depth = 20;
  return c;
}

// Establishment with a funding transaction the chain's wallet really makes and confirms.
void establish_on_chain(mt::Pair& p, ot::TestChain& chain) {
  Outputs out;
  auto b = ChannelMachine::accept(p.m_cfg[1], p.m_seeds[1], 0, p.open_msg, out);
  ASSERT_TRUE(b.ok()) << b.error().message;
  p.m[1].emplace(std::move(*b));
  p.take(1, std::move(out));
  Outputs fund = p.deliver(0);
  std::optional<event::FundingNeeded> need;
  for (const auto& e : mt::all_of<Event>(fund)) {
    if (auto* f = std::get_if<event::FundingNeeded>(&e)) need = *f;
  }
  ASSERT_TRUE(need);
  auto local = crypto::PublicKey::parse(need->local_funding_pubkey);
  auto remote = crypto::PublicKey::parse(need->remote_funding_pubkey);
  ASSERT_TRUE(local.ok() && remote.ok());
  bitcoin::Script spk = bitcoin::p2wsh_for_script(funding_script(*local, *remote));
  bitcoin::Transaction tx;
  tx.outputs.push_back({need->funding_satoshis, spk});
  auto funded = chain.wallet.fund(chain.chain, tx, 2000, std::nullopt);
  ASSERT_TRUE(funded.ok());
  tx = funded->tx;
  ASSERT_TRUE(chain.wallet.sign(chain.chain, tx).empty());
  uint16_t vout = 0;
  while (tx.outputs[vout].script_pubkey != spk) ++vout;
  auto created = p.m[0]->funding_tx_ready(tx.txid(), vout, tx.serialize());
  ASSERT_TRUE(created.ok());
  p.take(0, std::move(*created));
  p.deliver_all();
  ASSERT_EQ(chain.accept(tx), "accepted");
  chain.mine(3);
  for (int i = 0; i < 2; ++i) p.take(i, p.m[i]->on_block(BlockHeight(chain.height()), 3));
  p.deliver_all();
  ASSERT_EQ(p.m[0]->state().phase, Phase::Normal);
  ASSERT_EQ(p.m[1]->state().phase, Phase::Normal);
}

std::optional<bitcoin::Transaction> handed_out(const Outputs& out) {
  for (const auto& b : mt::all_of<BroadcastTx>(out)) {
    if (b.kind == TxKind::Commitment) {
      auto tx = bitcoin::parse_transaction(b.tx);
      if (tx) return *tx;
    }
  }
  return std::nullopt;
}

class OnchainMachine : public ::testing::TestWithParam<ChannelType> {};

}  // namespace

TEST_P(OnchainMachine, ForceCloseWithHtlcsBothWays) {
  ot::TestChain chain;
  mt::Pair p(GetParam());
  establish_on_chain(p, chain);
  uint32_t h0 = chain.height();
  Preimage a0 = mt::preimage(0x11), a1 = mt::preimage(0x12);
  Preimage b0 = mt::preimage(0x21), b1 = mt::preimage(0x22);
  uint64_t ida0 = p.add(0, Msat(60'000'000), a0, h0 + 20);
  uint64_t ida1 = p.add(0, Msat(40'000'000), a1, h0 + 30);
  p.add(1, Msat(50'000'000), b0, h0 + 25);
  p.add(1, Msat(45'000'000), b1, h0 + 35);
  p.commit_and_settle(0);
  p.commit_and_settle(1);
  ASSERT_EQ(p.m[0]->state().local_commit.spec.htlcs.size(), 4u);

  auto info = onchain::channel_info(p.m[0]->state(), bitcoin::Script());
  ASSERT_TRUE(info.ok());
  ot::Driver d(chain, p.m_seeds[0], *info, onchain::snapshot(p.m[0]->state()), quick_config());
  d.handle(d.r().on_feerate(FeeratePerKw(1500)));
  d.handle(d.r().on_preimage(b0));  // we are the final recipient of B's first HTLC

  Outputs closed = p.m[0]->force_close("test");
  auto commitment = handed_out(closed);
  ASSERT_TRUE(commitment);
  d.handle(d.r().local_commitment_broadcast(*commitment));
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  auto spent = d.events_of<onchain::event::FundingSpent>();
  ASSERT_EQ(spent.size(), 1u);
  EXPECT_EQ(spent[0].kind, onchain::SpendKind::LocalCommitment);
  // Our two offered HTLCs timed out through HTLC-timeout transactions signed with the peer's
  // stored signatures; B's first one was claimed with its preimage.
  auto timed_out = d.events_of<onchain::event::HtlcTimedOut>();
  auto has = [&](bool ours, uint64_t id) {
    for (const auto& e : timed_out) {
      if (e.htlc.offered_by_us == ours && e.htlc.id == id) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(true, ida0));
  EXPECT_TRUE(has(true, ida1));
  EXPECT_EQ(d.of_kind(onchain::ClaimKind::HtlcTx).size(), 3u);
  for (const auto& tx : d.of_kind(onchain::ClaimKind::HtlcTx)) {
    EXPECT_TRUE(chain.chain.find_tx(tx.txid()));
  }
}

TEST_P(OnchainMachine, PeerRestoredFromAnOldRecordIsPunished) {
  ot::TestChain chain;
  mt::Pair p(GetParam());
  establish_on_chain(p, chain);
  uint32_t h0 = chain.height();
  auto info = onchain::channel_info(p.m[0]->state(), bitcoin::Script());
  ASSERT_TRUE(info.ok());
  ot::Driver d(chain, p.m_seeds[0], *info, onchain::snapshot(p.m[0]->state()), quick_config());
  d.handle(d.r().on_feerate(FeeratePerKw(1500)));
  auto update = [&] { d.handle(d.r().update(onchain::snapshot(p.m[0]->state()))); };

  Preimage a0 = mt::preimage(0x31), a1 = mt::preimage(0x32), b0 = mt::preimage(0x41);
  uint64_t ida0 = p.add(0, Msat(80'000'000), a0, h0 + 40);
  uint64_t ida1 = p.add(0, Msat(30'000'000), a1, h0 + 40);
  uint64_t idb0 = p.add(1, Msat(70'000'000), b0, h0 + 40);
  p.commit_and_settle(0);
  update();
  p.commit_and_settle(1);
  update();
  ASSERT_EQ(p.m[1]->state().local_commit.spec.htlcs.size(), 3u);
  Bytes old_b = p.durable[1];  // B keeps this state, HTLCs in flight

  // The HTLCs settle off chain: B takes A's first, A fails B's, B fails A's second.
  p.take(1, *p.m[1]->fulfill_htlc(ida0, a0));
  p.take(1, *p.m[1]->fail_htlc(ida1, Bytes{1}));
  p.take(0, *p.m[0]->fail_htlc(idb0, Bytes{2}));
  p.commit_and_settle(1);
  update();
  p.commit_and_settle(0);
  update();
  ASSERT_TRUE(p.m[0]->state().local_commit.spec.htlcs.empty());
  ASSERT_GE(p.m[0]->state().remote_commit.number, 3u);

  // B comes back from its old record and force-closes: a revoked commitment.
  auto cheater = ChannelMachine::restore(p.m_cfg[1], p.m_seeds[1], old_b);
  ASSERT_TRUE(cheater.ok()) << cheater.error().message;
  auto revoked = handed_out(cheater->force_close("cheat"));
  ASSERT_TRUE(revoked);
  ASSERT_EQ(chain.accept(*revoked), "accepted");
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  auto spent = d.events_of<onchain::event::FundingSpent>();
  ASSERT_EQ(spent.size(), 1u);
  EXPECT_EQ(spent[0].kind, onchain::SpendKind::RevokedCommitment);
  ASSERT_EQ(d.events_of<onchain::event::PenaltyConfirmed>().size(), 1u);
  // Everything but the anchors is ours: to_local and the three HTLCs by the penalty.
  Txid rtxid = revoked->txid();
  uint64_t total = 0;
  size_t penalised = 0;
  for (uint32_t i = 0; i < revoked->outputs.size(); ++i) {
    if (revoked->outputs[i].amount == ANCHOR_OUTPUT_VALUE) continue;
    total += revoked->outputs[i].amount.value();
    auto spender = chain.spender({rtxid, i});
    ASSERT_TRUE(spender);
    EXPECT_TRUE(d.first_broadcast.count(spender->txid())) << "output " << i << " kept by B";
    for (const auto& pen : d.of_kind(onchain::ClaimKind::Penalty)) {
      if (pen.txid() == spender->txid()) ++penalised;
    }
  }
  EXPECT_EQ(penalised, 4u);  // B's to_local and three HTLC outputs
  EXPECT_GT(d.swept().value(), total * 98 / 100);
}

INSTANTIATE_TEST_SUITE_P(Types, OnchainMachine,
                         ::testing::Values(ChannelType::StaticRemoteKey, ChannelType::Anchors),
                         [](const auto& param_info) {
                           return param_info.param == ChannelType::Anchors ? "Anchors"
                                                                     : "StaticRemoteKey";
                         });
