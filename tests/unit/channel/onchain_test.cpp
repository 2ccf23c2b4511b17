// BOLT 5 resolution end to end on l1sim's chain: our commitment, the peer's current and next
// commitments, a revoked commitment with five HTLCs, the cheater's second-stage HTLC
// transactions, mutual and unknown closes, reorgs and restarts. Every transaction the resolver
// hands out must be accepted by l1sim's mempool at the height it is handed out (scripts
// through lib/bitcoin's interpreter, CSV and CLTV locks, fees); the tests also check that it
// is handed out exactly when its lock opens, what it pays, and what the cheater keeps.
#include <gtest/gtest.h>

#include "onchain_harness.h"

using namespace fulgur;
using namespace fulgur::channel;
using namespace fulgur::channel::onchain;
using namespace fulgur::channel::onchain::test;

namespace {

constexpr FeeratePerKw SWEEP_FEERATE{2000};

Config quick_config() {
  Config c;
  c.safe_depth = 3;
  c.final_depth = 20;
  c.security_delay = 6;
  return c;
}

struct Params {
  ChannelType type;
  bool restart;
};
std::string name_of(const ::testing::TestParamInfo<Params>& info) {
  return std::string(info.param.type == ChannelType::Anchors ? "Anchors" : "StaticRemoteKey") +
         (info.param.restart ? "RestartEveryBlock" : "");
}

class Onchain : public ::testing::TestWithParam<Params> {
 protected:
  ChannelType type() const { return GetParam().type; }
  void start(Driver& d) {
    d.restart_every_block = GetParam().restart;
    d.handle(d.r().on_feerate(SWEEP_FEERATE));
  }
};

// The first transaction of ours spending `outpoint`, and the chain height when it was first
// handed out.
std::optional<std::pair<Transaction, uint32_t>> claim_of(const Driver& d, const OutPoint& p) {
  for (const auto& b : d.broadcasts) {
    for (const auto& in : b.tx.inputs) {
      if (in.prevout == p) return std::make_pair(b.tx, d.first_broadcast.at(b.tx.txid()));
    }
  }
  return std::nullopt;
}

// Our confirmed sweeps and penalties pay at least the feerate for their weight and not
// noticeably more (the estimate counts 73-byte signatures). Returns their total fee.
Sat sweep_fees(const TestChain& chain, const Driver& d) {
  uint64_t fees = 0;
  for (const auto& b : d.broadcasts) {
    if (b.kind != ClaimKind::Sweep && b.kind != ClaimKind::Penalty) continue;
    if (!chain.chain.find_tx(b.tx.txid())) continue;
    uint64_t in = 0, out = 0;
    for (const auto& i : b.tx.inputs) in += chain.output(i.prevout)->amount.value();
    for (const auto& o : b.tx.outputs) out += o.amount.value();
    uint64_t fee = in - out;
    uint64_t w = b.tx.weight();
    EXPECT_GT((fee + 1) * 1000, SWEEP_FEERATE.value() * w) << to_string(b.kind);  // rounded down
    EXPECT_LE(fee * 1000, SWEEP_FEERATE.value() * (w + 8 * b.tx.inputs.size() + 8) + 1000);
    fees += fee;
  }
  return Sat(fees);
}

bool has_timed_out(const Driver& d, bool offered_by_us, uint64_t id) {
  for (const auto& e : d.events_of<event::HtlcTimedOut>()) {
    if (e.htlc.offered_by_us == offered_by_us && e.htlc.id == id) return true;
  }
  return false;
}
std::optional<Preimage> fulfilled(const Driver& d, uint64_t id) {
  for (const auto& e : d.events_of<event::HtlcFulfilled>()) {
    if (e.htlc.offered_by_us && e.htlc.id == id) return e.preimage;
  }
  return std::nullopt;
}

// The CPFP child the daemon's wallet would build for CpfpNeeded: the anchor plus wallet coins.
void cpfp(TestChain& chain, Driver& d, const CpfpNeeded& need) {
  // l1sim's fund() values confirmed inputs only: pick a wallet coin by hand.
  auto coins = chain.wallet.coins(chain.chain, 1);
  ASSERT_FALSE(coins.empty());
  const auto& coin = coins.front();
  Transaction child;
  child.inputs.push_back({need.anchor, {}, 0xfffffffd, {}});
  child.inputs.push_back({coin.outpoint, {}, 0xfffffffd, {}});
  uint64_t fee = 20'000;  // far above what the parent lacks at any feerate used here
  child.outputs.push_back(
      {Sat(coin.coin.out.amount.value() + need.anchor_amount.value() - fee), chain.new_script()});
  auto errors = chain.wallet.sign(chain.chain, child);
  for (const auto& e : errors) EXPECT_EQ(e.input, 0u) << e.error;
  auto witness = d.r().sign_anchor_input(child, 0);
  ASSERT_TRUE(witness.ok());
  child.inputs[0].witness = *witness;
  EXPECT_EQ(chain.accept(child), "accepted");
}

}  // namespace

TEST_P(Onchain, OurCommitmentWithHtlcsBothWays) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  Preimage p[6] = {preimage_of(0), preimage_of(1), preimage_of(2), preimage_of(3),
                   preimage_of(4), preimage_of(5)};
  std::vector<onchain::Htlc> hs = {
      htlc(true, 0, 50'000, p[1], h0 + 40),   // B claims it with the preimage on chain
      htlc(true, 1, 70'000, p[2], h0 + 20),   // times out: HTLC-timeout, then its output
      htlc(false, 0, 60'000, p[3], h0 + 45),  // we learn the preimage: HTLC-success
      htlc(false, 1, 80'000, p[4], h0 + 25),  // B times it out
      htlc(true, 2, 1, p[5], h0 + 30),        // 1 sat: trimmed, failed at safe depth
  };
  Commitment local = ch.commitment(4, 300'000, hs);
  Driver d(chain, ch, ch.snapshot(local, ch.commitment(4, 300'000, hs)), quick_config());
  start(d);

  // Force close: the resolver rebroadcasts our commitment each block (and asks for CPFP).
  Transaction commitment = ch.signed_commitment(true, local);
  d.handle(d.r().local_commitment_broadcast(commitment));
  if (type() == ChannelType::Anchors) {
    ASSERT_FALSE(d.cpfp.empty());
    EXPECT_EQ(d.cpfp[0].parent, commitment.txid());
    cpfp(chain, d, d.cpfp[0]);
  } else {
    EXPECT_TRUE(d.cpfp.empty());
  }
  d.mine();
  uint32_t hc = chain.height();
  ASSERT_TRUE(chain.chain.find_tx(commitment.txid()));
  auto spent = d.events_of<event::FundingSpent>();
  ASSERT_EQ(spent.size(), 1u);
  EXPECT_EQ(spent[0].kind, SpendKind::LocalCommitment);
  EXPECT_EQ(d.r().watched_outpoints().size(), 5u);  // to_local, four untrimmed HTLCs

  // B takes HTLC 0 with its preimage; the resolver extracts it.
  uint32_t v0 = ch.vout_of(true, local, true, 0);
  EXPECT_EQ(chain.accept(ch.b_direct_spend(local, v0, p[1])), "accepted");
  d.mine();
  ASSERT_TRUE(fulfilled(d, 0));
  EXPECT_EQ(*fulfilled(d, 0), p[1]);

  uint32_t v2 = ch.vout_of(true, local, false, 0);
  uint32_t v3 = ch.vout_of(true, local, false, 1);
  bool b_timed_out = false;
  for (int i = 0; i < 200 && !d.finished(); ++i) {
    if (chain.height() == h0 + 30) d.handle(d.r().on_preimage(p[3]));
    if (!b_timed_out && chain.height() >= h0 + 25) {
      EXPECT_EQ(chain.accept(ch.b_direct_spend(local, v3, std::nullopt)), "accepted");
      b_timed_out = true;
    }
    d.mine();
  }
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  EXPECT_EQ(d.r().phase(), Phase::Finished);

  // Timing: each claim handed out when its lock opens for the next block, not before.
  Txid ctxid = commitment.txid();
  CommitmentTx built = ch.built(true, local);
  uint32_t to_local_vout = 0;
  for (uint32_t i = 0; i < built.outputs.size(); ++i) {
    if (built.outputs[i].kind == OutputKind::ToLocal) to_local_vout = i;
  }
  auto to_local_claim = claim_of(d, {ctxid, to_local_vout});
  ASSERT_TRUE(to_local_claim);
  EXPECT_EQ(to_local_claim->second, hc + ch.a_delay - 1);
  auto timeout_claim = claim_of(d, {ctxid, ch.vout_of(true, local, true, 1)});
  ASSERT_TRUE(timeout_claim);
  EXPECT_EQ(timeout_claim->second, h0 + 20);  // BOLT 5: timed out at cltv_expiry
  EXPECT_EQ(timeout_claim->first.locktime, h0 + 20);
  auto success_claim = claim_of(d, {ctxid, v2});
  ASSERT_TRUE(success_claim);
  EXPECT_EQ(success_claim->second, h0 + 30);  // as soon as the preimage was given
  for (const auto* c : {&*timeout_claim, &*success_claim}) {
    auto loc = chain.chain.find_tx(c->first.txid());
    ASSERT_TRUE(loc);
    auto second = claim_of(d, {c->first.txid(), 0});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->second, loc->height + ch.a_delay - 1);
  }
  EXPECT_FALSE(claim_of(d, {ctxid, v0}));  // B's

  // HTLC outcomes: failed upstream for the timed-out and trimmed ones we offered; the one
  // offered to us that B took back is reported too; no failure for the fulfilled ones.
  EXPECT_TRUE(has_timed_out(d, true, 1));
  EXPECT_TRUE(has_timed_out(d, true, 2));
  EXPECT_TRUE(has_timed_out(d, false, 1));
  EXPECT_FALSE(has_timed_out(d, true, 0));
  EXPECT_FALSE(has_timed_out(d, false, 0));

  // What we get: to_local, HTLC 1 (timed out) and HTLC 2 (preimage), less the BOLT 3
  // second-stage fees and our sweeps' fees.
  Sat commit_fee = commitment_fee(type(), local.feerate, 4);
  uint64_t anchors = type() == ChannelType::Anchors ? 660 : 0;
  uint64_t ours = to_sat_floor(local.to_us).value() - commit_fee.value() - anchors +
                  70'000 - htlc_timeout_fee(type(), local.feerate).value() + 60'000 -
                  htlc_success_fee(type(), local.feerate).value();
  EXPECT_EQ(d.swept().value() + sweep_fees(chain, d).value(), ours);
  EXPECT_GE(d.events_of<event::ClaimConfirmed>().size(), 5u);
}

TEST_P(Onchain, TheirCommitmentWithHtlcsBothWays) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  Preimage p1 = preimage_of(1), p2 = preimage_of(2), p3 = preimage_of(3), p4 = preimage_of(4);
  std::vector<onchain::Htlc> hs = {
      htlc(true, 0, 50'000, p1, h0 + 40),   // B claims it with its HTLC-success tx
      htlc(true, 1, 70'000, p2, h0 + 20),   // we time it out directly
      htlc(false, 0, 60'000, p3, h0 + 45),  // we know the preimage: claimed at once
      htlc(false, 1, 80'000, p4, h0 + 25),  // B times it out with its HTLC-timeout tx
  };
  Commitment theirs = ch.commitment(5, 250'000, hs);
  Driver d(chain, ch, ch.snapshot(ch.commitment(5, 250'000, hs), theirs), quick_config());
  start(d);
  d.handle(d.r().on_preimage(p3));

  Transaction commitment = ch.signed_commitment(false, theirs);
  ASSERT_EQ(chain.accept(commitment), "accepted");
  d.mine();
  uint32_t hc = chain.height();
  ASSERT_EQ(d.events_of<event::FundingSpent>().at(0).kind, SpendKind::RemoteCommitment);
  Txid ctxid = commitment.txid();
  CommitmentTx built = ch.built(false, theirs);
  uint32_t to_remote_vout = 0;
  for (uint32_t i = 0; i < built.outputs.size(); ++i) {
    if (built.outputs[i].kind == OutputKind::ToRemote) to_remote_vout = i;
  }
  // to_remote at once (anchors: a one-block CSV, so from the commitment's own block).
  auto to_remote_claim = claim_of(d, {ctxid, to_remote_vout});
  ASSERT_TRUE(to_remote_claim);
  EXPECT_EQ(to_remote_claim->second, hc);
  auto preimage_claim = claim_of(d, {ctxid, ch.vout_of(false, theirs, false, 0)});
  ASSERT_TRUE(preimage_claim);
  EXPECT_EQ(preimage_claim->second, hc);

  // B's second-stage transactions.
  EXPECT_EQ(chain.accept(ch.b_htlc_tx(theirs, ch.vout_of(false, theirs, true, 0), p1)),
            "accepted");
  bool b_timed_out = false;
  for (int i = 0; i < 200 && !d.finished(); ++i) {
    if (!b_timed_out && chain.height() >= h0 + 25) {
      EXPECT_EQ(chain.accept(ch.b_htlc_tx(theirs, ch.vout_of(false, theirs, false, 1), std::nullopt)),
                "accepted");
      b_timed_out = true;
    }
    d.mine();
  }
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  auto timeout_claim = claim_of(d, {ctxid, ch.vout_of(false, theirs, true, 1)});
  ASSERT_TRUE(timeout_claim);
  EXPECT_EQ(timeout_claim->second, h0 + 20);
  EXPECT_EQ(timeout_claim->first.locktime, h0 + 20);
  ASSERT_TRUE(fulfilled(d, 0));
  EXPECT_EQ(*fulfilled(d, 0), p1);
  EXPECT_TRUE(has_timed_out(d, true, 1));
  EXPECT_TRUE(has_timed_out(d, false, 1));
  EXPECT_FALSE(has_timed_out(d, false, 0));
  EXPECT_FALSE(has_timed_out(d, true, 0));

  // Ours: to_remote (we are the opener: the commitment fee and anchors come off it), HTLC 1
  // and HTLC 2 in full, less our sweeps' fees.
  uint64_t anchors = type() == ChannelType::Anchors ? 660 : 0;
  uint64_t ours = to_sat_floor(theirs.to_us).value() -
                  commitment_fee(type(), theirs.feerate, 4).value() - anchors + 70'000 + 60'000;
  EXPECT_EQ(d.swept().value() + sweep_fees(chain, d).value(), ours);
}

TEST_P(Onchain, TheirNextCommitment) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  Preimage p1 = preimage_of(1);
  Commitment current = ch.commitment(5, 250'000, {});
  Commitment next = ch.commitment(6, 250'000, {htlc(true, 0, 90'000, p1, h0 + 10)});
  Driver d(chain, ch, ch.snapshot(current, current, next), quick_config());
  start(d);
  Transaction commitment = ch.signed_commitment(false, next);
  ASSERT_EQ(chain.accept(commitment), "accepted");
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  EXPECT_EQ(d.events_of<event::FundingSpent>().at(0).kind, SpendKind::RemoteNextCommitment);
  EXPECT_TRUE(has_timed_out(d, true, 0));
  uint64_t anchors = type() == ChannelType::Anchors ? 660 : 0;
  uint64_t ours = to_sat_floor(next.to_us).value() -
                  commitment_fee(type(), next.feerate, 1).value() - anchors + 90'000;
  EXPECT_EQ(d.swept().value() + sweep_fees(chain, d).value(), ours);
}

TEST_P(Onchain, RevokedCommitmentWithFiveHtlcs) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  // State 3 held five HTLCs and gave B 400k; by state 6 they are settled and B has 200k.
  std::vector<onchain::Htlc> hs = {
      htlc(true, 0, 30'000, preimage_of(1), h0 + 50),  htlc(true, 1, 40'000, preimage_of(2), h0 + 60),
      htlc(false, 0, 50'000, preimage_of(3), h0 + 55), htlc(false, 1, 20'000, preimage_of(4), h0 + 52),
      htlc(false, 2, 25'000, preimage_of(5), h0 + 70)};
  Commitment old_local = ch.commitment(3, 400'000, hs);
  Commitment old_remote = ch.commitment(3, 400'000, hs);
  Driver d(chain, ch, ch.snapshot(old_local, old_remote), quick_config());
  start(d);
  for (uint64_t n = 4; n <= 6; ++n) {
    Commitment c = ch.commitment(n, 200'000, {});
    d.handle(d.r().update(ch.snapshot(c, c)));
  }
  ASSERT_EQ(d.r().history().size(), 5u);

  // B cheats with state 3.
  Transaction revoked = ch.signed_commitment(false, old_remote);
  ASSERT_EQ(chain.accept(revoked), "accepted");
  d.mine();
  uint32_t hc = chain.height();
  auto spent = d.events_of<event::FundingSpent>();
  ASSERT_EQ(spent.size(), 1u);
  EXPECT_EQ(spent[0].kind, SpendKind::RevokedCommitment);
  EXPECT_EQ(spent[0].commitment_number, 3u);
  // One penalty transaction for to_local and the five HTLC outputs, broadcast at once.
  auto penalties = d.of_kind(ClaimKind::Penalty);
  ASSERT_EQ(penalties.size(), 1u);
  EXPECT_EQ(penalties[0].inputs.size(), 6u);
  EXPECT_EQ(d.first_broadcast.at(penalties[0].txid()), hc);
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  ASSERT_EQ(d.events_of<event::PenaltyConfirmed>().size(), 1u);
  EXPECT_EQ(d.events_of<event::PenaltyConfirmed>()[0].txid, penalties[0].txid());
  // HTLCs of a revoked state are not pending any more: no upstream events for them.
  EXPECT_TRUE(d.events_of<event::HtlcTimedOut>().empty());

  // The cheater gets nothing: every output but the anchors ends in our sweep script.
  Txid rtxid = revoked.txid();
  uint64_t total = 0;
  for (uint32_t i = 0; i < revoked.outputs.size(); ++i) {
    if (revoked.outputs[i].amount == ANCHOR_OUTPUT_VALUE) continue;
    total += revoked.outputs[i].amount.value();
    auto spender = chain.spender({rtxid, i});
    ASSERT_TRUE(spender) << "output " << i << " unspent";
    EXPECT_TRUE(d.first_broadcast.count(spender->txid())) << "output " << i << " taken by B";
  }
  uint64_t anchors = type() == ChannelType::Anchors ? 660 : 0;
  EXPECT_EQ(total + commitment_fee(type(), old_remote.feerate, 5).value() + anchors,
            ch.funding_amount.value());
  EXPECT_EQ(d.swept().value() + sweep_fees(chain, d).value(), total);
}

TEST_P(Onchain, RevokedCommitmentAndTheCheatersHtlcTransactions) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  Preimage pa = preimage_of(1);
  std::vector<onchain::Htlc> hs = {
      htlc(true, 0, 40'000, pa, h0 + 60),               // B knows the preimage: HTLC-success
      htlc(false, 0, 30'000, preimage_of(2), h0),       // B's, expired: HTLC-timeout
      htlc(false, 1, 35'000, preimage_of(3), h0 + 70),  // left on the commitment
  };
  Commitment old_remote = ch.commitment(3, 400'000, hs);
  Driver d(chain, ch, ch.snapshot(old_remote, old_remote), quick_config());
  start(d);
  Commitment now = ch.commitment(6, 200'000, {});
  d.handle(d.r().update(ch.snapshot(now, now)));

  Transaction revoked = ch.signed_commitment(false, old_remote);
  ASSERT_EQ(chain.accept(revoked), "accepted");
  d.submit = false;  // our first penalty does not make it into the next block
  d.mine();
  uint32_t hc = chain.height();
  ASSERT_EQ(d.of_kind(ClaimKind::Penalty).size(), 1u);
  Transaction success = ch.b_htlc_tx(old_remote, ch.vout_of(false, old_remote, true, 0), pa);
  ASSERT_EQ(chain.accept(success), "accepted");
  Transaction timeout =
      ch.b_htlc_tx(old_remote, ch.vout_of(false, old_remote, false, 0), std::nullopt);
  ASSERT_EQ(chain.accept(timeout), "accepted");
  d.submit = true;
  d.mine();
  ASSERT_TRUE(chain.chain.find_tx(success.txid()));
  ASSERT_TRUE(chain.chain.find_tx(timeout.txid()));
  // BOLT 5: SHOULD extract the payment preimage from the transaction input witness.
  ASSERT_TRUE(fulfilled(d, 0));
  EXPECT_EQ(*fulfilled(d, 0), pa);
  // A new penalty: to_local, the HTLC left, and both second-stage outputs.
  auto penalties = d.of_kind(ClaimKind::Penalty);
  ASSERT_EQ(penalties.size(), 2u);
  EXPECT_EQ(penalties[1].inputs.size(), 4u);
  EXPECT_EQ(d.first_broadcast.at(penalties[1].txid()), hc + 1);
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  ASSERT_EQ(d.events_of<event::PenaltyConfirmed>().size(), 1u);
  EXPECT_EQ(d.events_of<event::PenaltyConfirmed>()[0].txid, penalties[1].txid());

  // The cheater keeps nothing: its HTLC transactions' outputs went to our penalty too.
  uint64_t total = 0;
  Txid rtxid = revoked.txid();
  for (uint32_t i = 0; i < revoked.outputs.size(); ++i) {
    if (revoked.outputs[i].amount == ANCHOR_OUTPUT_VALUE) continue;
    auto spender = chain.spender({rtxid, i});
    ASSERT_TRUE(spender);
    if (d.first_broadcast.count(spender->txid())) {
      total += revoked.outputs[i].amount.value();
      continue;
    }
    // B's HTLC transaction: its output paired with this input (SIGHASH_SINGLE) is ours.
    size_t input = 0;
    while (spender->inputs[input].prevout != OutPoint{rtxid, i}) ++input;
    OutPoint second{spender->txid(), static_cast<uint32_t>(input)};
    auto taker = chain.spender(second);
    ASSERT_TRUE(taker);
    EXPECT_EQ(taker->txid(), penalties[1].txid());
    total += spender->outputs[input].amount.value();
  }
  EXPECT_EQ(d.swept().value() + sweep_fees(chain, d).value(), total);
}

TEST_P(Onchain, MutualCloseNeedsNothing) {
  TestChain chain;
  TestChannel ch(type(), chain);
  Commitment c = ch.commitment(9, 400'000, {});
  Driver d(chain, ch, ch.snapshot(c, c), quick_config());
  start(d);
  ASSERT_EQ(chain.accept(ch.closing(c.to_us, Sat(700))), "accepted");
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  ASSERT_EQ(d.events_of<event::FundingSpent>().size(), 1u);
  EXPECT_EQ(d.events_of<event::FundingSpent>()[0].kind, SpendKind::MutualClose);
  EXPECT_TRUE(d.broadcasts.empty());
  EXPECT_TRUE(d.r().outputs().empty());
  EXPECT_TRUE(d.r().watched_outpoints().empty());
}

TEST_P(Onchain, UnknownSpendIsReported) {
  TestChain chain;
  TestChannel ch(type(), chain);
  Commitment c = ch.commitment(9, 400'000, {});
  Driver d(chain, ch, ch.snapshot(c, c), quick_config());
  start(d);
  // Signed with both funding keys but paying scripts nobody agreed on: BOLT 5 says warn.
  ASSERT_EQ(chain.accept(ch.closing(c.to_us, Sat(700), chain.new_script(), chain.new_script())),
            "accepted");
  d.mine();
  ASSERT_EQ(d.events_of<event::FundingSpent>().size(), 1u);
  EXPECT_EQ(d.events_of<event::FundingSpent>()[0].kind, SpendKind::Unknown);
  d.run_to_end();
  EXPECT_TRUE(d.finished());
  EXPECT_TRUE(d.broadcasts.empty());
}

TEST_P(Onchain, ReorgsUndoClaimsAndTheCommitment) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  std::vector<onchain::Htlc> hs = {htlc(true, 0, 70'000, preimage_of(1), h0 + 5)};
  Commitment local = ch.commitment(2, 300'000, hs);
  Driver d(chain, ch, ch.snapshot(local, local), quick_config());
  start(d);
  Transaction commitment = ch.signed_commitment(true, local);
  d.handle(d.r().local_commitment_broadcast(commitment));
  d.mine();
  uint32_t hc = chain.height();
  ASSERT_EQ(d.r().phase(), Phase::Resolving);
  // Mine until the to_local sweep confirms.
  std::optional<Txid> sweep;
  for (int i = 0; i < 40 && !sweep; ++i) {
    d.mine();
    for (const auto& b : d.broadcasts) {
      if (b.kind == ClaimKind::Sweep && b.tx.inputs[0].prevout.txid == commitment.txid() &&
          chain.chain.find_tx(b.tx.txid())) {
        sweep = b.tx.txid();
      }
    }
  }
  ASSERT_TRUE(sweep);
  uint32_t hs_ = chain.chain.find_tx(*sweep)->height;
  int sent_before = d.broadcast_count[*sweep];
  // The sweep's block is reorged out: the claim is pending again and sent again.
  ASSERT_TRUE(chain.chain.invalidate(*chain.chain.hash_at(hs_)).ok());
  d.sync();
  bool pending = false;
  for (const auto& c : d.r().claims()) {
    if (c.tx.txid() == *sweep) pending = !c.confirmed_height;
  }
  EXPECT_TRUE(pending);
  EXPECT_EQ(d.broadcast_count[*sweep], sent_before);  // nothing sent on a disconnect
  {
    // The next block without it: the resolver sends it again. (A copy of the resolver:
    // l1sim put the sweep back in its mempool and would mine it.)
    auto copy = Resolver::restore(quick_config(), ch.a.seed, d.record);
    ASSERT_TRUE(copy.ok());
    Outputs next = copy->on_block(BlockHeight(chain.height() + 1), {});
    bool sent = false;
    for (const auto& a : next.actions) {
      if (auto* b = std::get_if<Broadcast>(&a)) sent = sent || b->tx.txid() == *sweep;
    }
    EXPECT_TRUE(sent);
  }
  d.mine();
  EXPECT_TRUE(chain.chain.find_tx(*sweep));

  // Now the commitment itself is reorged out: back to watching the funding output.
  ASSERT_TRUE(chain.chain.invalidate(*chain.chain.hash_at(hc)).ok());
  d.sync();
  EXPECT_EQ(d.r().phase(), Phase::Watching);
  EXPECT_EQ(d.events_of<event::FundingSpendReorged>().size(), 1u);
  ASSERT_EQ(d.r().watched_outpoints().size(), 1u);
  EXPECT_EQ(d.r().watched_outpoints()[0], ch.funding);
  EXPECT_TRUE(d.r().outputs().empty());
  // The commitment is back in the mempool; it confirms again and is resolved again.
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_EQ(d.events_of<event::FundingSpent>().size(), 2u);
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  EXPECT_TRUE(has_timed_out(d, true, 0));
  uint64_t anchors = type() == ChannelType::Anchors ? 660 : 0;
  uint64_t ours = to_sat_floor(local.to_us).value() -
                  commitment_fee(type(), local.feerate, 1).value() - anchors + 70'000 -
                  htlc_timeout_fee(type(), local.feerate).value();
  EXPECT_EQ(d.swept().value() + sweep_fees(chain, d).value(), ours);
}

TEST_P(Onchain, RecordRefusesCorruption) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  std::vector<onchain::Htlc> hs = {htlc(true, 0, 70'000, preimage_of(1), h0 + 5),
                                   htlc(false, 0, 50'000, preimage_of(2), h0 + 9)};
  Commitment local = ch.commitment(2, 300'000, hs);
  Driver d(chain, ch, ch.snapshot(local, local), quick_config());
  start(d);
  d.handle(d.r().on_preimage(preimage_of(2)));
  d.handle(d.r().local_commitment_broadcast(ch.signed_commitment(true, local)));
  d.mine(8);
  Bytes record = d.r().record();
  ASSERT_FALSE(d.r().claims().empty());
  auto back = Resolver::restore(quick_config(), ch.a.seed, record);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->record(), record);
  EXPECT_EQ(back->outputs(), d.r().outputs());
  EXPECT_EQ(back->claims(), d.r().claims());
  // Every truncation is refused; so are trailing bytes and another version.
  for (size_t n = 0; n < record.size(); n += 7) {
    EXPECT_FALSE(Resolver::restore(quick_config(), ch.a.seed, ByteSpan(record.data(), n)).ok());
  }
  Bytes longer = record;
  longer.push_back(0);
  EXPECT_FALSE(Resolver::restore(quick_config(), ch.a.seed, longer).ok());
  Bytes other = record;
  other[0] ^= 0x40;
  EXPECT_FALSE(Resolver::restore(quick_config(), ch.a.seed, other).ok());
  // Flipped bytes never crash: either refused or a resolver whose own record is stable.
  for (size_t i = 2; i < record.size(); i += 3) {
    Bytes flipped = record;
    flipped[i] ^= 0x81;
    auto r = Resolver::restore(quick_config(), ch.a.seed, flipped);
    if (!r) continue;
    Bytes again = r->record();
    auto r2 = Resolver::restore(quick_config(), ch.a.seed, again);
    ASSERT_TRUE(r2.ok()) << r2.error().message;
    EXPECT_EQ(r2->record(), again);
  }
}

TEST_P(Onchain, PendingSweepIsRebuiltWhenTheFeerateRises) {
  TestChain chain;
  TestChannel ch(type(), chain);
  Commitment c = ch.commitment(3, 300'000, {});
  Driver d(chain, ch, ch.snapshot(c, c), quick_config());
  start(d);
  ASSERT_EQ(chain.accept(ch.signed_commitment(false, c)), "accepted");
  d.submit = false;  // the L1 node loses our sweep
  d.mine();
  auto sweeps = d.of_kind(ClaimKind::Sweep);
  ASSERT_EQ(sweeps.size(), 1u);
  // +20%: below the bump threshold; the same transaction goes out again.
  d.handle(d.r().on_feerate(FeeratePerKw(SWEEP_FEERATE.value() * 6 / 5)));
  d.mine();
  EXPECT_EQ(d.of_kind(ClaimKind::Sweep).size(), 1u);
  EXPECT_GE(d.broadcast_count[sweeps[0].txid()], 2);
  // +50%: rebuilt on the next block, same input, higher fee.
  d.handle(d.r().on_feerate(FeeratePerKw(SWEEP_FEERATE.value() * 3 / 2)));
  d.submit = true;
  d.mine();
  sweeps = d.of_kind(ClaimKind::Sweep);
  ASSERT_EQ(sweeps.size(), 2u);
  EXPECT_EQ(sweeps[1].inputs[0].prevout, sweeps[0].inputs[0].prevout);
  EXPECT_LT(sweeps[1].outputs[0].amount, sweeps[0].outputs[0].amount);
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  EXPECT_TRUE(chain.chain.find_tx(sweeps[1].txid()));
  auto confirmed = d.events_of<event::ClaimConfirmed>();
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].txid, sweeps[1].txid());
  EXPECT_EQ(confirmed[0].amount, sweeps[1].outputs[0].amount);
}

TEST_P(Onchain, PenaltySplitsBeforeTheCheatersDelayRunsOut) {
  TestChain chain;
  TestChannel ch(type(), chain);
  uint32_t h0 = chain.height();
  std::vector<onchain::Htlc> hs = {htlc(true, 0, 40'000, preimage_of(1), h0 + 60),
                                   htlc(false, 0, 35'000, preimage_of(2), h0 + 70)};
  Commitment old_remote = ch.commitment(3, 400'000, hs);
  Driver d(chain, ch, ch.snapshot(old_remote, old_remote), quick_config());
  start(d);
  Commitment now = ch.commitment(6, 200'000, {});
  d.handle(d.r().update(ch.snapshot(now, now)));
  ASSERT_EQ(chain.accept(ch.signed_commitment(false, old_remote)), "accepted");
  d.submit = false;  // the combined penalty never makes it (pinned, say)
  d.mine();
  uint32_t hc = chain.height();
  d.mine(ch.b_delay - 6 - 1);  // the split comes at tip hc + b_delay - security_delay - 1
  auto penalties = d.of_kind(ClaimKind::Penalty);
  if (type() == ChannelType::StaticRemoteKey) {
    EXPECT_EQ(penalties.size(), 1u);  // no anchors, no pinning: one penalty throughout
  } else {
    ASSERT_EQ(penalties.size(), 4u);  // the combined one, then one per output
    EXPECT_EQ(penalties[0].inputs.size(), 3u);
    for (size_t i = 1; i < 4; ++i) {
      EXPECT_EQ(penalties[i].inputs.size(), 1u);
      EXPECT_EQ(d.first_broadcast.at(penalties[i].txid()), hc + ch.b_delay - 6 - 1);
    }
  }
  d.submit = true;
  d.run_to_end();
  ASSERT_TRUE(d.finished());
  EXPECT_TRUE(d.rejects.empty()) << d.rejects.front();
  EXPECT_EQ(d.events_of<event::PenaltyConfirmed>().size(),
            type() == ChannelType::Anchors ? 3u : 1u);
}

INSTANTIATE_TEST_SUITE_P(Types, Onchain,
                         ::testing::Values(Params{ChannelType::StaticRemoteKey, false},
                                           Params{ChannelType::Anchors, false},
                                           Params{ChannelType::StaticRemoteKey, true},
                                           Params{ChannelType::Anchors, true}),
                         name_of);
