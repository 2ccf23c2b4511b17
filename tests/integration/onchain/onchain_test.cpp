// On-chain resolution (BOLT 5) between real nodes on l1sim: a force close with the peer
// offline (our to_local swept only after to_self_delay, the peer's to_remote in its wallet
// once it comes back, a restart in the middle), HTLCs in flight both ways resolved on chain
// by timeout and by preimage (peer offline, and both online), a breach punished by the
// victim's penalty (the cheater gets nothing), and a reorg of the closing transaction's
// block (the claims go out again and confirm on the new chain). Every wait polls for a
// condition with a generous bound; blocks are mined one at a time where the order matters.
#include <gtest/gtest.h>

#include <set>

#include "bitcoin/tx.h"
#include "crypto/hash.h"
#include "integration/channel/channel_fixture.h"

using namespace fulgur;
using namespace fulgur::test;

namespace {

constexpr uint32_t DELAY = 6;  // to_self_delay each node imposes on the other
constexpr uint64_t CAPACITY = 1'000'000;

std::vector<std::string> base_conf() {
  return {"to-self-delay=" + std::to_string(DELAY)};
}

json onchain(const NodeProcess& n, const std::string& id) {
  auto c = n.channel(id);
  return c.is_object() ? c["onchain"] : json();
}

// The height of the last block the node's resolver of `id` has seen (known once the funding
// output is spent).
uint32_t fed_height(const NodeProcess& n, const std::string& id) {
  auto o = onchain(n, id);
  if (!o.is_object() || o["spend_height"].get<uint32_t>() == 0) return 0;
  return o["spend_height"].get<uint32_t>() + o["spend_confirmations"].get<uint32_t>() - 1;
}

std::vector<json> outputs_with_role(const json& oc, const std::string& role) {
  std::vector<json> out;
  for (const auto& o : oc["outputs"]) {
    if (o["role"] == role) out.push_back(o);
  }
  return out;
}

json claim_by_txid(const json& oc, const std::string& txid) {
  for (const auto& c : oc["claims"]) {
    if (c["txid"] == txid) return c;
  }
  return nullptr;
}

// The wallet output of `node` created by `txid`, if any.
json wallet_output(const NodeProcess& n, const std::string& txid) {
  auto funds = n.ok({"listfunds"});
  for (const auto& o : funds["outputs"]) {
    if (o["txid"] == txid) return o;
  }
  return nullptr;
}

class Onchain : public ChannelFixture, public ::testing::WithParamInterface<const char*> {
 protected:
  std::vector<std::string> conf_a() const override { return base_conf(); }
  std::vector<std::string> conf_b() const override { return base_conf(); }

  // Mines one block and waits until `n`'s resolver of `id` has seen it.
  void step(const NodeProcess& n, const std::string& id) {
    mine(1);
    uint32_t h = height();
    ASSERT_TRUE(eventually([&] { return fed_height(n, id) >= h; })) << onchain(n, id).dump();
  }
  // Mines block by block until `pred` holds (at most `limit` blocks).
  bool mine_until(const NodeProcess& n, const std::string& id, const std::function<bool()>& pred,
                  uint32_t limit) {
    for (uint32_t i = 0; i <= limit; ++i) {
      if (pred()) return true;
      step(n, id);
      if (HasFatalFailure()) return false;
    }
    return pred();
  }
  bool spent_by_us(const NodeProcess& n, const std::string& id, const std::string& role) {
    auto outs = outputs_with_role(onchain(n, id), role);
    return !outs.empty() && std::all_of(outs.begin(), outs.end(), [](const json& o) {
      return o["status"] == "spent_by_us";
    });
  }
  // The confirmed claim of `n` that spent the output with `role` (its txid).
  std::string claim_of(const NodeProcess& n, const std::string& id, const std::string& role) {
    auto outs = outputs_with_role(onchain(n, id), role);
    return outs.empty() || !outs[0]["spent_by"].is_string() ? "" : outs[0]["spent_by"];
  }
};

TEST_P(Onchain, ForceCloseWithThePeerOffline) {
  fund(*a);
  std::string id = open(*a, *b, CAPACITY, 300'000'000, GetParam());
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(a->cli({"keysend", b->id(), "5000000"}).exit_code, 0);
  expect_agreement(id, CAPACITY * 1000);
  uint64_t ours = to_us(a->channel(id)), theirs = to_us(b->channel(id));
  EXPECT_EQ(onchain(*a, id)["phase"], "watching");
  EXPECT_EQ(onchain(*b, id)["phase"], "watching");

  b->stop();
  auto closed = a->cli({"close", id, "--force"});
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  std::string commitment = closed.parsed["closing_txid"];
  auto rpc = l1->client();
  std::string cpfp;
  if (std::string(GetParam()) == "anchors") {
    // The commitment pays 2500 sat/kw, the L1 estimates more: a child spends our anchor
    // with wallet coins so that the package pays the estimate.
    ASSERT_TRUE(eventually([&] {
      auto pool = rpc.get_raw_mempool();
      for (const auto& t : pool ? *pool : std::vector<Txid>{}) {
        auto raw = rpc.get_raw_transaction(t);
        auto tx = raw ? bitcoin::parse_transaction(raw->raw) : bitcoin::parse_transaction({});
        if (!tx) continue;
        for (const auto& in : tx->inputs) {
          if (in.prevout.txid.to_hex() == commitment) cpfp = t.to_hex();
        }
      }
      return !cpfp.empty();
    }));
  }
  mine(1);
  uint32_t spend_height = height();
  ASSERT_TRUE(eventually([&] { return onchain(*a, id)["spend_kind"] == "local_commitment"; }))
      << onchain(*a, id).dump();
  if (!cpfp.empty()) {
    auto child = rpc.get_raw_transaction(*Txid::from_hex(cpfp));
    ASSERT_TRUE(child.ok());
    EXPECT_EQ(child->confirmations, 1);  // in the commitment's block
    auto tx = bitcoin::parse_transaction(child->raw);
    ASSERT_TRUE(tx.ok());
    auto parent = bitcoin::parse_transaction(rpc.get_raw_transaction(tx->inputs[0].prevout.txid)->raw);
    EXPECT_EQ(parent->outputs[tx->inputs[0].prevout.vout].amount, Sat(330));  // our anchor
    EXPECT_GE(tx->inputs.size(), 2u);  // and the wallet's coins
  }
  json oc = onchain(*a, id);
  EXPECT_EQ(oc["phase"], "resolving");
  EXPECT_EQ(oc["spend_txid"], commitment);
  EXPECT_EQ(oc["spend_height"], spend_height);
  auto to_local = outputs_with_role(oc, "local_to_local");
  ASSERT_EQ(to_local.size(), 1u) << oc.dump();
  uint64_t to_local_sat = to_local[0]["amount_sat"];
  // Our balance less the commitment fee (we opened): the fee is well under 1% here.
  EXPECT_LE(to_local_sat, ours / 1000);
  EXPECT_GT(to_local_sat, ours / 1000 * 99 / 100);

  // BOLT 5: to_local waits for the peer's to_self_delay: nothing claims it before.
  for (uint32_t i = 1; i + 1 < DELAY; ++i) {
    step(*a, id);
    ASSERT_TRUE(onchain(*a, id)["claims"].empty()) << "at depth " << i + 1 << ": "
                                                   << onchain(*a, id).dump();
  }
  // A restart in the middle: the resolver comes back from the store and catches up.
  a->stop();
  mine(2);
  a->start();
  ASSERT_TRUE(mine_until(*a, id, [&] { return spent_by_us(*a, id, "local_to_local"); }, 10))
      << onchain(*a, id).dump();
  oc = onchain(*a, id);
  std::string sweep = claim_of(*a, id, "local_to_local");
  json claim = claim_by_txid(oc, sweep);
  ASSERT_TRUE(claim.is_object()) << oc.dump();
  EXPECT_EQ(claim["kind"], "sweep");
  EXPECT_EQ(claim["status"], "confirmed");
  uint32_t swept_at = fed_height(*a, id) - claim["confirmations"].get<uint32_t>() + 1;
  EXPECT_GE(swept_at, spend_height + DELAY);
  // In our wallet: to_local less the sweep's fee.
  json in_wallet = wallet_output(*a, sweep);
  ASSERT_TRUE(in_wallet.is_object()) << a->ok({"listfunds"}).dump();
  EXPECT_EQ(in_wallet["amount_sat"], claim["amount_sat"]);
  EXPECT_GT(in_wallet["amount_sat"].get<uint64_t>(), to_local_sat * 99 / 100);
  EXPECT_GE(oc["confirmed_sat"].get<uint64_t>(), in_wallet["amount_sat"].get<uint64_t>());

  // The peer comes back: it catches up with the blocks it missed, sees our commitment and
  // sweeps its to_remote into its wallet.
  b->start();
  ASSERT_TRUE(eventually([&] { return onchain(*b, id)["spend_kind"] == "remote_commitment"; }))
      << onchain(*b, id).dump();
  EXPECT_EQ(b->channel(id)["state"], "force_closed");
  ASSERT_TRUE(mine_until(*b, id, [&] { return spent_by_us(*b, id, "to_remote"); }, 5))
      << onchain(*b, id).dump();
  std::string theirs_sweep = claim_of(*b, id, "to_remote");
  json theirs_out = wallet_output(*b, theirs_sweep);
  ASSERT_TRUE(theirs_out.is_object()) << b->ok({"listfunds"}).dump();
  EXPECT_LE(theirs_out["amount_sat"].get<uint64_t>(), theirs / 1000);
  EXPECT_GT(theirs_out["amount_sat"].get<uint64_t>(), theirs / 1000 * 99 / 100);

  // BOLT 5: irrevocably resolved 100 blocks deep; the resolver is done.
  mine(100);
  EXPECT_TRUE(eventually([&] { return onchain(*a, id)["phase"] == "resolved"; }))
      << onchain(*a, id).dump();
}

class OnchainHtlcs : public Onchain {
 protected:
  std::vector<std::string> conf_a() const override { return with_hold(); }
  std::vector<std::string> conf_b() const override { return with_hold(); }
  static std::vector<std::string> with_hold() {
    auto c = base_conf();
    c.push_back("dev-hold-htlcs=1");  // payments stay in flight: the chain settles them
    return c;
  }

  struct InFlight {
    std::string id;
    Child a_pays, b_pays;          // the keysend commands, waiting for their outcome
    std::string a_hash, b_hash;    // payment hashes of the HTLCs a and b offered
    uint32_t a_cltv = 0;
  };
  // A channel with an HTLC offered by each side, both irrevocably committed.
  InFlight htlcs_both_ways() {
    InFlight f;
    fund(*a);
    f.id = open(*a, *b, CAPACITY, 300'000'000, GetParam());
    if (f.id.empty()) return f;
    f.a_pays = a->cli_async({"keysend", b->id(), "20000000", "--timeout-s", "600"});
    f.b_pays = b->cli_async({"keysend", a->id(), "30000000", "--timeout-s", "600"});
    bool committed = eventually([&] {
      auto x = a->channel(f.id), y = b->channel(f.id);
      return x["htlcs"].size() == 2 && y["htlcs"].size() == 2;
    });
    EXPECT_TRUE(committed) << a->channel(f.id).dump();
    json channel = a->channel(f.id);
    for (const auto& h : channel["htlcs"]) {
      if (h["direction"] == "out") {
        f.a_hash = h["payment_hash"];
        f.a_cltv = h["cltv_expiry"];
      } else {
        f.b_hash = h["payment_hash"];
      }
    }
    return f;
  }

  json payment(const NodeProcess& n, const std::string& hash) {
    json list = n.ok({"listpayments"});
    for (const auto& p : list["payments"]) {
      if (p["payment_hash"] == hash) return p;
    }
    return nullptr;
  }
  static bool proves(const json& p, const std::string& hash) {
    if (!p.is_object() || !p["preimage"].is_string()) return false;
    auto preimage = Preimage::from_hex(p["preimage"].get<std::string>());
    return preimage.ok() && crypto::sha256(preimage->span()).to_hex() == hash;
  }
};

TEST_P(OnchainHtlcs, PeerOfflineOneByTimeoutOneByPreimage) {
  InFlight f = htlcs_both_ways();
  ASSERT_FALSE(f.id.empty());
  const std::string& id = f.id;
  b->stop();
  auto closed = a->cli({"close", id, "--force"});
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  mine(1);
  ASSERT_TRUE(eventually([&] { return onchain(*a, id)["spend_kind"] == "local_commitment"; }));

  // b's HTLC: we are its final node and know the preimage: HTLC-success right away.
  ASSERT_TRUE(mine_until(*a, id, [&] { return spent_by_us(*a, id, "local_received_htlc"); }, 3))
      << onchain(*a, id).dump();
  EXPECT_EQ(claim_by_txid(onchain(*a, id), claim_of(*a, id, "local_received_htlc"))["kind"],
            "htlc_tx");
  // Ours waits for its cltv_expiry: HTLC-timeout.
  EXPECT_EQ(outputs_with_role(onchain(*a, id), "local_offered_htlc")[0]["status"], "waiting");
  ASSERT_TRUE(mine_until(*a, id, [&] { return spent_by_us(*a, id, "local_offered_htlc"); },
                         f.a_cltv - height() + 3))
      << onchain(*a, id).dump();
  json timeout = claim_by_txid(onchain(*a, id), claim_of(*a, id, "local_offered_htlc"));
  EXPECT_EQ(timeout["kind"], "htlc_tx");
  EXPECT_GT(fed_height(*a, id) - timeout["confirmations"].get<uint32_t>() + 1, f.a_cltv);
  // Both second-stage outputs and to_local swept after the delay; our payment failed once
  // the timeout was deep enough.
  ASSERT_TRUE(mine_until(*a, id, [&] {
    return spent_by_us(*a, id, "local_htlc_tx_output") && spent_by_us(*a, id, "local_to_local");
  }, DELAY + 8)) << onchain(*a, id).dump();
  EXPECT_EQ(outputs_with_role(onchain(*a, id), "local_htlc_tx_output").size(), 2u);
  Output ours = finish(f.a_pays);
  EXPECT_NE(ours.exit_code, 0) << ours.out;
  EXPECT_EQ(ours.parsed["error"]["code"], "payment_failed") << ours.out;
  EXPECT_NE(ours.out.find("timed out on chain"), std::string::npos) << ours.out;
  finish(f.b_pays);  // ended when b stopped

  // b comes back: it reads the preimage in our HTLC-success (its payment succeeded) and sees
  // its own HTLC from us timed out.
  b->start();
  ASSERT_TRUE(eventually([&] { return proves(payment(*b, f.b_hash), f.b_hash); }))
      << b->ok({"listpayments"}).dump();
  EXPECT_EQ(payment(*b, f.b_hash)["status"], "succeeded");
  json theirs = onchain(*b, id);
  EXPECT_EQ(theirs["spend_kind"], "remote_commitment");
  EXPECT_EQ(outputs_with_role(theirs, "remote_received_htlc")[0]["status"], "spent_by_peer");
  EXPECT_EQ(outputs_with_role(theirs, "remote_offered_htlc")[0]["status"], "spent_by_peer");
  EXPECT_TRUE(mine_until(*b, id, [&] { return spent_by_us(*b, id, "to_remote"); }, 3));
}

TEST_P(OnchainHtlcs, BothOnlineBothByPreimage) {
  InFlight f = htlcs_both_ways();
  ASSERT_FALSE(f.id.empty());
  const std::string& id = f.id;
  auto closed = a->cli({"close", id, "--force"});
  ASSERT_TRUE(closed.parsed.is_object()) << closed.out;
  // The peer fails the channel too: whichever commitment reaches the L1 first confirms.
  ASSERT_TRUE(eventually([&] { return b->channel(id)["state"] == "force_closed"; }));
  mine(1);
  ASSERT_TRUE(eventually([&] {
    return onchain(*a, id)["phase"] == "resolving" && onchain(*b, id)["phase"] == "resolving";
  })) << onchain(*a, id).dump() << onchain(*b, id).dump();
  std::set<std::string> kinds = {onchain(*a, id)["spend_kind"], onchain(*b, id)["spend_kind"]};
  EXPECT_EQ(kinds, (std::set<std::string>{"local_commitment", "remote_commitment"}));
  // Each side claims the HTLC paid to it with the preimage (HTLC-success on its own
  // commitment, directly on the other's); the payer reads it in the confirmed witness: both
  // payments succeed on chain, long before any timeout.
  ASSERT_TRUE(mine_until(*a, id, [&] {
    return proves(payment(*a, f.a_hash), f.a_hash) && proves(payment(*b, f.b_hash), f.b_hash);
  }, 5)) << a->ok({"listpayments"}).dump() << b->ok({"listpayments"}).dump();
  Output ours = finish(f.a_pays);
  Output theirs = finish(f.b_pays);
  EXPECT_EQ(ours.exit_code, 0) << ours.out;
  EXPECT_EQ(theirs.exit_code, 0) << theirs.out;
  EXPECT_TRUE(proves(ours.parsed["payment"], f.a_hash)) << ours.out;
  EXPECT_TRUE(proves(theirs.parsed["payment"], f.b_hash)) << theirs.out;
  EXPECT_LT(height(), f.a_cltv);
}

TEST_P(Onchain, ForceCloseAfterThePeersCommitmentIsOnTheL1) {
  fund(*a);
  std::string id = open(*a, *b, CAPACITY, 300'000'000, GetParam());
  ASSERT_FALSE(id.empty());
  // b force-closes while a is away, and leaves too: its commitment waits in the mempool.
  a->stop();
  auto theirs = b->cli({"close", id, "--force"});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.out;
  std::string their_commitment = theirs.parsed["closing_txid"];
  b->stop();
  a->start();
  // a's commitment conflicts with it: the close reports the channel closing by the peer's
  // commitment, which is no error.
  auto ours = a->cli({"close", id, "--force"});
  ASSERT_EQ(ours.exit_code, 0) << ours.out;
  EXPECT_EQ(ours.parsed["closing_txid"], their_commitment) << ours.out;
  ASSERT_TRUE(ours.parsed["note"].is_string()) << ours.out;
  EXPECT_NE(ours.parsed["note"].get<std::string>().find("the peer's commitment"),
            std::string::npos) << ours.out;
  EXPECT_EQ(a->channel(id)["state"], "force_closed");
  mine(1);
  ASSERT_TRUE(eventually([&] { return onchain(*a, id)["spend_kind"] == "remote_commitment"; }))
      << onchain(*a, id).dump();
  EXPECT_EQ(onchain(*a, id)["spend_txid"], their_commitment);
  // listonchain lists it, with a's to_remote swept.
  ASSERT_TRUE(mine_until(*a, id, [&] { return spent_by_us(*a, id, "to_remote"); }, 3))
      << onchain(*a, id).dump();
  json listed = a->ok({"listonchain"});
  ASSERT_EQ(listed["channels"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["channels"][0]["channel_id"], id);
  EXPECT_EQ(listed["channels"][0]["spend_kind"], "remote_commitment");
  ASSERT_FALSE(listed["channels"][0]["claims"].empty()) << listed.dump();
  EXPECT_EQ(listed["channels"][0]["claims"][0]["kind"], "sweep");
}

TEST_P(Onchain, ReorgOfTheClosingBlock) {
  fund(*a);
  std::string id = open(*a, *b, CAPACITY, 300'000'000, GetParam());
  ASSERT_FALSE(id.empty());
  b->stop();
  auto closed = a->cli({"close", id, "--force"});
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  std::string commitment = closed.parsed["closing_txid"];
  mine(1);
  uint32_t spend_height = height();
  ASSERT_TRUE(eventually([&] { return onchain(*a, id)["spend_height"] == spend_height; }));
  ASSERT_TRUE(mine_until(*a, id, [&] { return spent_by_us(*a, id, "local_to_local"); }, DELAY + 2));
  std::string sweep = claim_of(*a, id, "local_to_local");

  // The block holding the commitment (and every block after it) is abandoned.
  auto rpc = l1->client();
  auto hash = rpc.get_block_hash(spend_height);
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(rpc.invalidate_block(*hash).ok());
  ASSERT_EQ(height(), spend_height - 1);
  ASSERT_TRUE(eventually([&] { return onchain(*a, id)["phase"] == "watching"; }))
      << onchain(*a, id).dump();
  EXPECT_TRUE(onchain(*a, id)["claims"].empty());
  // The commitment confirms again in a new block: claimed again, after the delay again.
  mine(1);
  ASSERT_EQ(height(), spend_height);
  ASSERT_NE(*rpc.get_block_hash(spend_height), *hash);
  ASSERT_TRUE(eventually([&] { return onchain(*a, id)["spend_height"] == spend_height; }))
      << onchain(*a, id).dump();
  EXPECT_EQ(onchain(*a, id)["spend_txid"], commitment);
  ASSERT_TRUE(mine_until(*a, id, [&] { return spent_by_us(*a, id, "local_to_local"); }, DELAY + 2))
      << onchain(*a, id).dump();
  std::string again = claim_of(*a, id, "local_to_local");
  auto tx = rpc.get_raw_transaction(*Txid::from_hex(again));
  ASSERT_TRUE(tx.ok()) << tx.error().describe();
  EXPECT_GE(tx->confirmations, 1);
  EXPECT_EQ(again, sweep);  // the same claim, built again from the same outputs
  EXPECT_TRUE(wallet_output(*a, again).is_object());
}

INSTANTIATE_TEST_SUITE_P(Both, Onchain, ::testing::Values("static_remotekey", "anchors"));
INSTANTIATE_TEST_SUITE_P(Both, OnchainHtlcs, ::testing::Values("static_remotekey", "anchors"));

class Breach : public Onchain {
 protected:
  std::vector<std::string> conf_a() const override {
    auto c = base_conf();
    c.push_back("dev-allow-cheat=1");
    return c;
  }
  std::vector<std::string> conf_b() const override {
    auto c = base_conf();
    c.push_back("dev-hold-htlcs=1");  // a's HTLCs stay in the commitment a keeps
    return c;
  }
};

TEST_P(Breach, RevokedCommitmentIsPunishedAndTheCheaterGetsNothing) {
  fund(*a);
  std::string id = open(*a, *b, CAPACITY, 200'000'000, GetParam());
  ASSERT_FALSE(id.empty());
  // Only a node started for it hands out its commitment or cheats with it.
  auto refused = b->cli({"dev-signed-commitment", id});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.parsed["error"]["code"], "not_allowed") << refused.out;
  refused = b->cli({"dev-broadcast-revoked", id});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.parsed["error"]["code"], "not_allowed") << refused.out;
  EXPECT_NE(refused.parsed["error"]["message"].get<std::string>().find("dev-allow-cheat=1"),
            std::string::npos);

  // a pays b (held: the HTLC stays), keeps that commitment, then pays again.
  Child pay1 = a->cli_async({"keysend", b->id(), "50000000", "--timeout-s", "1"});
  ASSERT_TRUE(eventually([&] { return b->channel(id)["htlcs"].size() == 1; }));
  ASSERT_TRUE(eventually([&] { return a->channel(id)["htlcs"].size() == 1; }));
  auto saved = a->cli({"dev-signed-commitment", id});
  ASSERT_EQ(saved.exit_code, 0) << saved.out;
  Child pay2 = a->cli_async({"keysend", b->id(), "40000000", "--timeout-s", "1"});
  ASSERT_TRUE(eventually([&] { return a->channel(id)["htlcs"].size() == 2; }));
  // b signs again only once a revoked the saved commitment: this payment proves b has it.
  auto back = b->cli({"keysend", a->id(), "1000000"});
  ASSERT_EQ(back.exit_code, 0) << back.out;
  finish(pay1);
  finish(pay2);
  EXPECT_GT(a->channel(id)["local_commitment_number"].get<uint64_t>(),
            saved.parsed["commitment_number"].get<uint64_t>());
  uint64_t cheater_wallet = a->ok({"listfunds"})["onchain_total_sat"];

  // The cheat: a broadcasts its newest revoked commitment (at least as new as the saved one,
  // and holding a's HTLCs that b keeps in flight).
  auto cheat = a->cli({"dev-broadcast-revoked", id});
  ASSERT_EQ(cheat.exit_code, 0) << cheat.out;
  EXPECT_GE(cheat.parsed["commitment_number"].get<uint64_t>(),
            saved.parsed["commitment_number"].get<uint64_t>());
  EXPECT_LT(cheat.parsed["commitment_number"].get<uint64_t>(),
            a->channel(id)["local_commitment_number"].get<uint64_t>());
  auto rpc = l1->client();
  auto in_pool = rpc.get_raw_transaction(*Txid::from_hex(cheat.parsed["txid"].get<std::string>()));
  ASSERT_TRUE(in_pool.ok()) << in_pool.error().describe();
  auto revoked = bitcoin::parse_transaction(in_pool->raw);
  ASSERT_TRUE(revoked.ok());
  mine(1);
  ASSERT_TRUE(eventually([&] { return onchain(*b, id)["spend_kind"] == "revoked_commitment"; }))
      << onchain(*b, id).dump();
  // The penalty went out in the same block's handling: the next block confirms it.
  json oc = onchain(*b, id);
  bool penalty = false;
  for (const auto& c : oc["claims"]) penalty |= c["kind"] == "penalty";
  ASSERT_TRUE(penalty) << oc.dump();
  ASSERT_TRUE(mine_until(*b, id, [&] {
    return spent_by_us(*b, id, "revoked_to_local") && spent_by_us(*b, id, "revoked_htlc") &&
           spent_by_us(*b, id, "to_remote");
  }, 3)) << onchain(*b, id).dump();
  oc = onchain(*b, id);
  EXPECT_GE(outputs_with_role(oc, "revoked_htlc").size(), 1u);

  // Every output of the revoked commitment but the anchors went to b's wallet.
  uint64_t total = 0;
  for (uint32_t i = 0; i < revoked->outputs.size(); ++i) {
    if (revoked->outputs[i].amount == Sat(330)) continue;  // anchors: anyone's after 16 blocks
    total += revoked->outputs[i].amount.value();
    std::string outpoint = revoked->txid().to_hex() + ":" + std::to_string(i);
    bool claimed = false;
    for (const auto& o : oc["outputs"]) {
      if (o["outpoint"] == outpoint) {
        claimed = o["status"] == "spent_by_us";
        json claim = claim_by_txid(oc, o["spent_by"].is_string() ? o["spent_by"] : "");
        EXPECT_TRUE(claim.is_object() && claim["status"] == "confirmed") << oc.dump();
        EXPECT_TRUE(wallet_output(*b, o["spent_by"]).is_object());
      }
    }
    EXPECT_TRUE(claimed) << outpoint << " not taken: " << oc.dump();
  }
  // Less the penalties' fees (with anchors and a to_self_delay under BOLT 5's security_delay
  // of 18 blocks, each revoked output has its own penalty, each paying its fee).
  EXPECT_GT(oc["confirmed_sat"].get<uint64_t>(), total * 97 / 100);
  EXPECT_LE(oc["confirmed_sat"].get<uint64_t>(), total);
  // The cheater's wallet did not grow.
  EXPECT_EQ(a->ok({"listfunds"})["onchain_total_sat"], cheater_wallet);
  // After safe depth b reports the penalty confirmed (and its claims stay confirmed).
  for (int i = 0; i < 6; ++i) step(*b, id);
  oc = onchain(*b, id);
  for (const auto& c : oc["claims"]) {
    if (c["kind"] == "penalty") {
      EXPECT_GE(c["confirmations"].get<uint32_t>(), 6u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Both, Breach, ::testing::Values("static_remotekey", "anchors"));

}  // namespace
