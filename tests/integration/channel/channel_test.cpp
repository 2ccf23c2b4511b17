// Channels between real nodes: l1sim and two fulgurd nodes (each with its channeld), driven
// through fulgur-cli. Funding from the L1 wallet, both channel types opened and confirmed,
// keysend both ways, a channeld killed with SIGKILL in the middle of a burst of payments
// (it comes back, reestablishes, and both sides agree on every satoshi), and hostile peers
// on a real socket that leave the process up. Waits poll for conditions with a generous
// bound; nothing measures speed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "bitcoin/tx.h"
#include "chain/bitcoind.h"
#include "crypto/hash.h"
#include "channel_fixture.h"
#include "unit/net/net_test_util.h"
#include "wire/features.h"
#include "wire/messages.h"

using namespace fulgur;
using namespace fulgur::test;

namespace {

class Channels : public ChannelFixture {};

class ChannelTypes : public Channels, public ::testing::WithParamInterface<const char*> {};

TEST_P(ChannelTypes, OpenConfirmAndPayBothWays) {
  fund(*a);
  const uint64_t capacity = 1'000'000, push = 100'000'000;
  std::string id = open(*a, *b, capacity, push, GetParam());
  ASSERT_FALSE(id.empty());
  auto mine_view = a->channel(id);
  auto theirs = b->channel(id);
  EXPECT_EQ(mine_view["channel_type"], GetParam());
  EXPECT_EQ(theirs["channel_type"], GetParam());
  EXPECT_EQ(mine_view["opener"], "local");
  EXPECT_EQ(theirs["opener"], "remote");
  EXPECT_EQ(to_us(mine_view), capacity * 1000 - push);
  EXPECT_EQ(to_us(theirs), push);
  // The funding output is on the L1 with the confirmations, and both know its place.
  auto txid = Txid::from_hex(mine_view["funding_txid"].get<std::string>());
  ASSERT_TRUE(txid.ok());
  auto out = l1->client().get_tx_out(*txid, mine_view["funding_output"], false);
  ASSERT_TRUE(out.ok() && out->has_value());
  EXPECT_EQ((*out)->value, Sat(capacity));
  EXPECT_GE((*out)->confirmations, 3);
  ASSERT_TRUE(eventually([&] {
    return a->channel(id)["short_channel_id"].is_string() &&
           b->channel(id)["short_channel_id"].is_string();
  }));
  EXPECT_EQ(a->channel(id)["short_channel_id"], b->channel(id)["short_channel_id"]);

  std::set<std::string> hashes;
  for (int i = 0; i < 3; ++i) {
    auto pay = a->cli({"keysend", b->id(), "10000000"});
    ASSERT_EQ(pay.exit_code, 0) << pay.out;
    const auto& p = pay.parsed["payment"];
    EXPECT_EQ(p["status"], "succeeded");
    // The preimage proves the payment: it hashes to the payment hash.
    auto preimage = Preimage::from_hex(p["preimage"].get<std::string>());
    ASSERT_TRUE(preimage.ok());
    EXPECT_EQ(crypto::sha256(preimage->span()).to_hex(), p["payment_hash"]);
    hashes.insert(p["payment_hash"]);
  }
  EXPECT_EQ(hashes.size(), 3u);
  auto back = b->cli({"keysend", a->id(), "5000000"});
  ASSERT_EQ(back.exit_code, 0) << back.out;
  EXPECT_EQ(back.parsed["payment"]["status"], "succeeded");
  expect_agreement(id, capacity * 1000);
  EXPECT_EQ(to_us(a->channel(id)), capacity * 1000 - push - 30'000'000 + 5'000'000);

  // More than the channel can carry: a clear error, nothing changes.
  auto too_much = b->cli({"keysend", a->id(), std::to_string(capacity * 1000)});
  EXPECT_NE(too_much.exit_code, 0);
  EXPECT_EQ(too_much.parsed["error"]["code"], "no_channel") << too_much.out;
  expect_agreement(id, capacity * 1000);
  auto payments = a->ok({"listpayments"})["payments"];
  ASSERT_EQ(payments.size(), 3u);
  for (const auto& p : payments) EXPECT_EQ(p["status"], "succeeded");
}

TEST_P(ChannelTypes, MutualCloseConfirmsTheBalancesOnTheL1) {
  fund(*a);
  const uint64_t capacity = 800'000, push = 50'000'000;
  std::string id = open(*a, *b, capacity, push, GetParam());
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(a->cli({"keysend", b->id(), "7654321"}).exit_code, 0);
  ASSERT_EQ(b->cli({"keysend", a->id(), "1234567"}).exit_code, 0);
  expect_agreement(id, capacity * 1000);
  uint64_t ours = to_us(a->channel(id)), theirs = to_us(b->channel(id));

  auto closed = a->cli({"close", id});
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  std::string txid_hex = closed.parsed["closing_txid"];
  EXPECT_EQ(closed.parsed["channel"]["state"], "closed");
  ASSERT_TRUE(eventually([&] { return b->channel(id)["state"] == "closed"; }));
  EXPECT_EQ(b->channel(id)["closing_txid"], txid_hex);
  uint64_t fee = a->channel(id)["closing_fee_sat"];
  EXPECT_GT(fee, 0u);

  // On the L1: one input (the funding output), our balance less the fee (we opened), theirs
  // whole, rounded down to satoshis; both to the L1 wallet.
  auto txid = Txid::from_hex(txid_hex);
  ASSERT_TRUE(txid.ok());
  auto rpc = l1->client();
  auto tx = rpc.get_raw_transaction(*txid);
  ASSERT_TRUE(tx.ok()) << tx.error().describe();
  auto parsed = bitcoin::parse_transaction(tx->raw);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->inputs.size(), 1u);
  EXPECT_EQ(parsed->inputs[0].prevout.txid.to_hex(), a->channel(id)["funding_txid"]);
  std::multiset<uint64_t> amounts;
  uint64_t total = 0;
  for (const auto& o : parsed->outputs) {
    amounts.insert(o.amount.value());
    total += o.amount.value();
  }
  EXPECT_EQ(amounts, (std::multiset<uint64_t>{ours / 1000 - fee, theirs / 1000}));
  EXPECT_EQ(total + fee, capacity - (ours % 1000 + theirs % 1000) / 1000);
  mine(1);
  auto confirmed = rpc.get_raw_transaction(*txid);
  ASSERT_TRUE(confirmed.ok());
  EXPECT_GE(confirmed->confirmations, 1);
  // Each side's output is in its own L1 wallet.
  auto output_of = [&](NodeProcess& n) -> uint64_t {
    uint64_t found = 0;
    json funds = n.ok({"listfunds"});  // named: a range-for over a temporary's member dangles
    for (const auto& o : funds["outputs"]) {
      if (o["txid"] == txid_hex) found += o["amount_sat"].get<uint64_t>();
    }
    return found;
  };
  EXPECT_EQ(output_of(*a), ours / 1000 - fee);
  EXPECT_EQ(output_of(*b), theirs / 1000);
  // A closed channel says so and takes no payment.
  auto late = a->cli({"keysend", b->id(), "1000"});
  EXPECT_EQ(late.parsed["error"]["code"], "no_channel") << late.out;
}

TEST_P(ChannelTypes, ForceCloseBroadcastsACommitmentTheL1Accepts) {
  fund(*a);
  std::string id = open(*a, *b, 600'000, 20'000'000, GetParam());
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(a->cli({"keysend", b->id(), "3000000"}).exit_code, 0);
  expect_agreement(id, 600'000'000);
  // The peer is gone (the usual reason to force close): only our commitment goes out.
  b->stop();
  auto closed = a->cli({"close", id, "--force"});
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  EXPECT_EQ(closed.parsed["channel"]["state"], "force_closed");
  auto txid = Txid::from_hex(closed.parsed["closing_txid"].get<std::string>());
  ASSERT_TRUE(txid.ok());
  auto rpc = l1->client();
  auto mempool = rpc.get_raw_mempool();
  ASSERT_TRUE(mempool.ok());
  EXPECT_NE(std::find(mempool->begin(), mempool->end(), *txid), mempool->end());
  mine(1);
  auto tx = rpc.get_raw_transaction(*txid);
  ASSERT_TRUE(tx.ok()) << tx.error().describe();
  EXPECT_GE(tx->confirmations, 1);
  auto parsed = bitcoin::parse_transaction(tx->raw);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->inputs.size(), 1u);
  EXPECT_EQ(parsed->inputs[0].prevout.txid.to_hex(), closed.parsed["channel"]["funding_txid"]);
  // Closing again hands back the same transaction.
  auto again = a->cli({"close", id, "--force"});
  EXPECT_EQ(again.parsed["closing_txid"], closed.parsed["closing_txid"]) << again.out;
}

TEST_P(ChannelTypes, ForceCloseWithThePeerOnlineClosesOnBothSides) {
  fund(*a);
  std::string id = open(*a, *b, 600'000, 20'000'000, GetParam());
  ASSERT_FALSE(id.empty());
  auto closed = a->cli({"close", id, "--force"});
  // Our commitment reaches the L1 first; only then does our error make the peer fail the
  // channel too (BOLT 1) and hand out its own commitment, which the L1 refuses as a conflict.
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  ASSERT_TRUE(eventually([&] { return b->channel(id)["state"] == "force_closed"; }))
      << b->channel(id).dump();
  EXPECT_EQ(a->channel(id)["state"], "force_closed");
  std::string ours = a->channel(id)["closing_txid"];
  EXPECT_EQ(closed.parsed["closing_txid"], ours);
  EXPECT_FALSE(closed.parsed.contains("note")) << closed.out;
  auto mempool = l1->client().get_raw_mempool();
  ASSERT_TRUE(mempool.ok());
  size_t found = 0;
  for (const auto& t : *mempool) found += t.to_hex() == ours ? 1 : 0;
  EXPECT_EQ(found, 1u);
  // The peer learns the funding output is spent by ours once it confirms.
  mine(1);
  EXPECT_TRUE(eventually([&] {
    auto oc = b->channel(id)["onchain"];
    return oc.is_object() && oc["spend_kind"] == "remote_commitment" && oc["spend_txid"] == ours;
  })) << b->channel(id).dump();
}

INSTANTIATE_TEST_SUITE_P(Both, ChannelTypes, ::testing::Values("static_remotekey", "anchors"));

TEST_F(Channels, CommandsGiveClearErrors) {
  auto bad = a->cli({"connect", "nonsense"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.parsed["error"]["code"], "bad_argument") << bad.out;
  auto not_connected = a->cli({"openchannel", b->id(), "100000"});
  EXPECT_EQ(not_connected.parsed["error"]["code"], "not_connected") << not_connected.out;
  auto no_channel = a->cli({"keysend", b->id(), "1000"});
  EXPECT_EQ(no_channel.parsed["error"]["code"], "no_channel") << no_channel.out;
  auto unknown = a->cli({"close", std::string(64, 'a')});
  EXPECT_EQ(unknown.parsed["error"]["code"], "unknown_channel") << unknown.out;
  // Not enough money in the wallet for the funding: the open fails, nothing is left over.
  ASSERT_EQ(a->cli({"connect", b->uri()}).exit_code, 0);
  auto poor = a->cli({"openchannel", b->id(), "100000"});
  EXPECT_EQ(poor.parsed["error"]["code"], "open_failed") << poor.out;
  EXPECT_TRUE(eventually([&] { return a->ok({"listchannels"})["channels"].empty(); }));
  EXPECT_TRUE(eventually([&] { return b->ok({"listchannels"})["channels"].empty(); }));
}

TEST_F(Channels, APaymentThePayeeRefusesFailsWithItsReason) {
  // This payer gives its keysend HTLCs 10 blocks, fewer than the payee's 18: the payee
  // fails them (BOLT 4: incorrect_or_unknown_payment_details, encrypted for the payer).
  NodeProcess hasty(m_dir / "hasty", *l1, {"final-cltv-delta=10"});
  fund(hasty);
  std::string id = open(hasty, *b, 300'000, 0, "static_remotekey");
  ASSERT_FALSE(id.empty());
  auto refused = hasty.cli({"keysend", b->id(), "2000000"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.parsed["error"]["code"], "payment_failed") << refused.out;
  std::string message = refused.parsed["error"]["message"];
  EXPECT_NE(message.find("incorrect_or_unknown_payment_details"), std::string::npos) << message;
  auto payments = hasty.ok({"listpayments"})["payments"];
  ASSERT_EQ(payments.size(), 1u);
  EXPECT_EQ(payments[0]["status"], "failed");
  EXPECT_EQ(payments[0]["failure_code"], 0x400f);
  EXPECT_TRUE(payments[0]["preimage"].is_null());
  // Nothing moved.
  json x, y;
  ASSERT_TRUE(eventually([&] {
    x = hasty.channel(id);
    y = b->channel(id);
    return x["htlcs"].empty() && y["htlcs"].empty();
  }));
  EXPECT_EQ(to_us(x), 300'000'000u);
  EXPECT_EQ(to_us(y), 0u);
}

TEST_F(Channels, KillNineOfThePayeeInTheMiddleOfABurst) {
  fund(*a);
  const uint64_t capacity = 2'000'000, push = 100'000'000;  // the payee can pay back
  std::string id = open(*a, *b, capacity, push, "static_remotekey");
  ASSERT_FALSE(id.empty());
  pid_t victim = b->channeld_pid();
  ASSERT_GT(victim, 0);

  constexpr int BURST = 24;
  constexpr uint64_t AMOUNT = 1'000'000;
  std::vector<Child> running;
  for (int i = 0; i < BURST; ++i) {
    running.push_back(a->cli_async({"keysend", b->id(), std::to_string(AMOUNT), "--timeout-s", "80"}));
    if (i == BURST / 2) {
      ASSERT_EQ(::kill(victim, SIGKILL), 0);
    }
  }
  std::vector<Output> results;
  for (auto& c : running) results.push_back(finish(c));

  // fulgurd restarts channeld; the payer redials it and the channel is reestablished.
  ASSERT_TRUE(eventually([&] {
    pid_t now = b->channeld_pid();
    return now > 0 && now != victim;
  }));
  ASSERT_TRUE(eventually([&] {
    auto x = a->channel(id);
    return x.is_object() && x["peer_connected"] == true && x["state"] == "normal";
  }));

  // Every keysend ended cleanly: succeeded, or failed with a reason. None hung.
  std::map<std::string, int> outcomes;
  std::set<std::string> succeeded;
  for (const auto& r : results) {
    ASSERT_TRUE(r.parsed.is_object()) << r.out;
    if (r.exit_code == 0) {
      ASSERT_EQ(r.parsed["payment"]["status"], "succeeded") << r.out;
      succeeded.insert(r.parsed["payment"]["payment_hash"]);
      ++outcomes["succeeded"];
    } else {
      std::string code = r.parsed["error"]["code"];
      EXPECT_TRUE(code == "payment_failed" || code == "no_channel") << r.out;
      ++outcomes[code];
    }
  }
  std::string summary;
  for (const auto& [k, v] : outcomes) summary += k + "=" + std::to_string(v) + " ";
  RecordProperty("outcomes", summary);
  std::cout << "[          ] burst outcomes: " << summary << "\n";

  // No funds lost: both sides agree, and the payer paid exactly what succeeded.
  expect_agreement(id, capacity * 1000);
  json payments;
  ASSERT_TRUE(eventually([&] {
    payments = a->ok({"listpayments"})["payments"];
    for (const auto& p : payments) {
      if (p["status"] == "pending") return false;
    }
    return true;
  })) << payments.dump();
  uint64_t paid = 0;
  for (const auto& p : payments) {
    if (p["status"] == "succeeded") {
      paid += p["amount_msat"].get<uint64_t>();
      // Whatever the CLI reported as succeeded is recorded as succeeded.
      succeeded.erase(p["payment_hash"]);
    }
  }
  EXPECT_TRUE(succeeded.empty());
  EXPECT_EQ(to_us(b->channel(id)), push + paid);
  EXPECT_EQ(to_us(a->channel(id)), capacity * 1000 - push - paid);

  // And the channel still works, both ways.
  auto later = a->cli({"keysend", b->id(), "12345"});
  EXPECT_EQ(later.exit_code, 0) << later.out;
  auto back = b->cli({"keysend", a->id(), "1000"});
  EXPECT_EQ(back.exit_code, 0) << back.out;
  expect_agreement(id, capacity * 1000);
}

TEST_F(Channels, KillNineOfThePayerInTheMiddleOfABurst) {
  fund(*a);
  const uint64_t capacity = 2'000'000, push = 100'000'000;
  std::string id = open(*a, *b, capacity, push, "anchors");
  ASSERT_FALSE(id.empty());
  pid_t victim = a->channeld_pid();
  ASSERT_GT(victim, 0);
  constexpr int BURST = 24;
  std::vector<Child> running;
  for (int i = 0; i < BURST; ++i) {
    running.push_back(a->cli_async({"keysend", b->id(), "1000000", "--timeout-s", "80"}));
    if (i == BURST / 2) {
      ASSERT_EQ(::kill(victim, SIGKILL), 0);
    }
  }
  // The CLI calls that were waiting lose their connection: a clean error, never a hang.
  for (auto& c : running) {
    auto r = finish(c);
    ASSERT_TRUE(r.parsed.is_object()) << r.out;
    if (r.exit_code != 0) {
      std::string code = r.parsed["error"]["code"];
      EXPECT_TRUE(code == "payment_failed" || code == "no_channel" || code == "rpc_failed" ||
                  code == "channeld_unavailable")
          << r.out;
    }
  }
  ASSERT_TRUE(eventually([&] {
    pid_t now = a->channeld_pid();
    return now > 0 && now != victim;
  }));
  ASSERT_TRUE(eventually([&] {
    auto x = a->channel(id);
    return x.is_object() && x["peer_connected"] == true && x["state"] == "normal";
  }));
  // After the restart every payment the payer recorded ends succeeded or failed, and the
  // balances match exactly the succeeded ones.
  expect_agreement(id, capacity * 1000);
  json payments;
  ASSERT_TRUE(eventually([&] {
    payments = a->ok({"listpayments"})["payments"];
    for (const auto& p : payments) {
      if (p["status"] == "pending") return false;
    }
    return true;
  })) << payments.dump();
  uint64_t paid = 0;
  for (const auto& p : payments) {
    if (p["status"] == "succeeded") paid += p["amount_msat"].get<uint64_t>();
  }
  EXPECT_EQ(to_us(b->channel(id)), push + paid);
  auto later = a->cli({"keysend", b->id(), "4321"});
  EXPECT_EQ(later.exit_code, 0) << later.out;
  expect_agreement(id, capacity * 1000);
}

// A BOLT 8 client in this test process, aimed at a node's peer port.
struct NoisePeer {
  NoisePeer(TestLoop& t, const NodeProcess& target) {
    auto id = NodeId::from_hex(target.id());
    auto key = crypto::PublicKey::from_node_id(*id);
    conn = net::Connection::connect(&t.loop, "127.0.0.1", target.port(), me, *key,
                                    net::ConnectionLimits{}, Logger());
    conn->set_handler(&recorder);
  }
  ~NoisePeer() { conn->close("test over"); }
  crypto::SecretKey me = crypto::SecretKey::random();
  Recorder recorder;
  std::shared_ptr<net::Connection> conn;
};

Bytes init_message() {
  wire::msg::Init init;
  wire::FeatureBits f;
  f.set_required(wire::Feature::var_onion_optin);
  f.set_required(wire::Feature::option_static_remotekey);
  init.features = f.to_wire();
  return wire::encode_message(init);
}

TEST_F(Channels, HostilePeersOnARealSocketLeaveTheProcessUp) {
  fund(*a);
  std::string id = open(*a, *b, 500'000, 0, "anchors");
  ASSERT_FALSE(id.empty());
  pid_t before = b->channeld_pid();
  TestLoop t;
  {
    // Garbage after the handshake (not even a message type).
    NoisePeer evil(t, *b);
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.established; }));
    ASSERT_TRUE(evil.conn->send(Bytes{0xff}).ok());
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.closed; }));
  }
  {
    // An unknown even message after init.
    NoisePeer evil(t, *b);
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.established; }));
    ASSERT_TRUE(evil.conn->send(init_message()).ok());
    ASSERT_TRUE(evil.conn->send(Bytes{0x7f, 0xfe, 1, 2, 3}).ok());
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.closed; }));
  }
  {
    // Channel messages for a channel that is not its own, then a truncated update_add_htlc.
    NoisePeer evil(t, *b);
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.established; }));
    ASSERT_TRUE(evil.conn->send(init_message()).ok());
    auto cid = ChannelId::from_hex(id);
    wire::msg::UpdateFee fee;
    fee.channel_id = *cid;
    fee.feerate_per_kw = FeeratePerKw(100000);
    ASSERT_TRUE(evil.conn->send(wire::encode_message(fee)).ok());
    ASSERT_TRUE(evil.conn->send(Bytes{0x00, 0x80, 1, 2, 3}).ok());
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.closed; }));
  }
  // Same process, still serving, the real peer untouched and its channel usable.
  EXPECT_EQ(b->channeld_pid(), before);
  auto c = a->channel(id);
  EXPECT_EQ(c["state"], "normal");
  EXPECT_EQ(c["peer_connected"], true);
  auto pay = a->cli({"keysend", b->id(), "1000000"});
  EXPECT_EQ(pay.exit_code, 0) << pay.out;
}

}  // namespace
