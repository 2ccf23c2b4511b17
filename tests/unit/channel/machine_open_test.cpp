// Channel establishment: the happy path for both channel types, and every rejection path of
// open_channel, accept_channel, funding_created and funding_signed.
#include <functional>

#include "wire/features.h"

#include "machine_harness.h"

namespace fulgur::channel::test {
namespace {

TEST(MachineOpen, EstablishesBothChannelTypes) {
  for (auto type : {ChannelType::StaticRemoteKey, ChannelType::Anchors}) {
    Pair p(type);
    p.establish();
    EXPECT_EQ(p.m[0]->state().type, type);
    EXPECT_EQ(p.m[1]->state().type, type);
    EXPECT_EQ(p.m[0]->state().channel_id, p.m[1]->state().channel_id);
    EXPECT_EQ(p.m[0]->state().local_commit.spec.to_them, Msat(300000000));
    EXPECT_EQ(p.m[1]->state().local_commit.spec.to_us, Msat(300000000));
    // Both persisted their state, and it restores.
    for (int i = 0; i < 2; ++i) {
      auto r = ChannelMachine::restore(p.m_cfg[i], p.m_seeds[i], p.durable[i]);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->state().local_commit, p.m[i]->state().local_commit);
    }
  }
}

TEST(MachineOpen, FundingBroadcastOnlyAfterValidFundingSigned) {
  Pair p;
  Outputs out;
  auto b = ChannelMachine::accept(p.m_cfg[1], p.m_seeds[1], 0, p.open_msg, out);
  ASSERT_TRUE(b.ok());
  p.m[1].emplace(std::move(*b));
  p.take(1, out);
  p.deliver(0);
  auto created = p.m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 0, Bytes{9});
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(all_of<BroadcastTx>(*created).empty());
  p.take(0, *created);
  auto signed_out = p.deliver(1);
  // The fundee persists before funding_signed leaves.
  ASSERT_GE(signed_out.actions.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<PersistState>(signed_out.actions[0]));
  auto got = p.deliver(0);
  auto tx = all_of<BroadcastTx>(got);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].kind, TxKind::Funding);
  EXPECT_EQ(tx[0].tx, Bytes{9});
}

TEST(MachineOpen, ChannelReadyWaitsForMinimumDepth) {
  Pair p;
  Outputs out;
  auto b = ChannelMachine::accept(p.m_cfg[1], p.m_seeds[1], 0, p.open_msg, out);
  p.m[1].emplace(std::move(*b));
  p.take(1, out);
  p.deliver(0);
  p.take(0, *p.m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 0, {}));
  p.deliver_all();
  EXPECT_TRUE(sent<msg::ChannelReady>(p.m[0]->on_block(BlockHeight(10), 2)).empty());
  auto ready = p.m[0]->on_block(BlockHeight(11), 3);
  EXPECT_EQ(sent<msg::ChannelReady>(ready).size(), 1u);
  EXPECT_EQ(p.m[0]->state().phase, Phase::AwaitingLockin);
}

// Each mutation of a valid open_channel must be refused with an error that fails the channel.
struct OpenCase {
  const char* name;
  std::function<void(msg::OpenChannel&)> mutate;
};

TEST(MachineOpen, RejectsBadOpenChannel) {
  std::vector<OpenCase> cases = {
      {"unknown chain", [](auto& m) { m.chain_hash = BlockHash(std::array<uint8_t, 32>{9}); }},
      {"funding too small", [](auto& m) { m.funding_satoshis = Sat(1000); }},
      {"funding >= 2^24", [](auto& m) { m.funding_satoshis = Sat(1 << 24); }},
      {"push > funding", [](auto& m) { m.push_msat = Msat(m.funding_satoshis.value() * 1000 + 1); }},
      {"feerate too low", [](auto& m) { m.feerate_per_kw = FeeratePerKw(100); }},
      {"feerate too high", [](auto& m) { m.feerate_per_kw = FeeratePerKw(1000000); }},
      {"to_self_delay too large", [](auto& m) { m.to_self_delay = CltvDelta(5000); }},
      {"max_accepted > 483", [](auto& m) { m.max_accepted_htlcs = 484; }},
      {"max_accepted too small", [](auto& m) { m.max_accepted_htlcs = 1; }},
      {"dust > reserve", [](auto& m) { m.dust_limit_satoshis = Sat(m.channel_reserve_satoshis.value() + 1); }},
      {"dust < 354", [](auto& m) { m.dust_limit_satoshis = Sat(353); }},
      {"reserve too large", [](auto& m) { m.channel_reserve_satoshis = Sat(500000); }},
      {"htlc_minimum too large", [](auto& m) { m.htlc_minimum_msat = Msat(100000000); }},
      {"in-flight too small", [](auto& m) { m.max_htlc_value_in_flight_msat = Msat(1000); }},
      {"invalid funding_pubkey", [](auto& m) { m.funding_pubkey = wire::Point(); }},
      {"invalid htlc_basepoint", [](auto& m) { m.htlc_basepoint = wire::Point(std::array<uint8_t, 33>{5}); }},
      {"unknown channel_type", [](auto& m) { m.tlvs.channel_type = Bytes{0x01, 0x00, 0x00, 0x00}; }},
      {"no channel_type", [](auto& m) { m.tlvs.channel_type.reset(); }},
      {"channel_type with option_scid_alias",
       [](auto& m) { m.tlvs.channel_type = wire::encode_channel_type({true, true, false}); }},
      {"channel_type with option_zeroconf",
       [](auto& m) { m.tlvs.channel_type = wire::encode_channel_type({false, true, true}); }},
      {"invalid upfront_shutdown_script",
       [](auto& m) { m.tlvs.upfront_shutdown_script = Bytes{0x6a, 0x01, 0x00}; }},
      {"funder cannot pay fee", [](auto& m) { m.push_msat = Msat(m.funding_satoshis.value() * 1000); }},
      {"outputs below reserve",
       [](auto& m) {
         m.funding_satoshis = Sat(50000);
         m.push_msat = Msat(0);
         m.channel_reserve_satoshis = Sat(10000);
         m.feerate_per_kw = FeeratePerKw(60000);
       }},
  };
  for (const auto& c : cases) {
    Pair p;
    msg::OpenChannel open = p.open_msg;
    c.mutate(open);
    Outputs out;
    auto b = ChannelMachine::accept(test_config(), seed_of(2), 0, open, out);
    ASSERT_FALSE(b.ok()) << c.name;
    EXPECT_EQ(b.error().action, PeerAction::FailChannel) << c.name;
    EXPECT_EQ(sent<msg::Error>(out).size(), 1u) << c.name;
    EXPECT_TRUE(sent<msg::AcceptChannel>(out).empty()) << c.name;
  }
}

TEST(MachineOpen, RejectsAnchorsWhenDisabled) {
  Pair p(ChannelType::Anchors);
  ChannelConfig cfg = test_config();
  cfg.allow_anchors = false;
  Outputs out;
  EXPECT_FALSE(ChannelMachine::accept(cfg, seed_of(2), 0, p.open_msg, out));
}

struct AcceptCase {
  const char* name;
  std::function<void(msg::AcceptChannel&)> mutate;
};

TEST(MachineOpen, RejectsBadAcceptChannel) {
  std::vector<AcceptCase> cases = {
      {"temporary id", [](auto& m) { m.temporary_channel_id = ChannelId(); }},
      {"minimum_depth too large", [](auto& m) { m.minimum_depth = 100000; }},
      {"reserve below our dust", [](auto& m) {
         m.channel_reserve_satoshis = Sat(400);
         m.dust_limit_satoshis = Sat(354);
       }},
      {"their dust above our reserve", [](auto& m) { m.dust_limit_satoshis = Sat(10001); }},
      {"max_accepted > 483", [](auto& m) { m.max_accepted_htlcs = 1000; }},
      {"to_self_delay too large", [](auto& m) { m.to_self_delay = CltvDelta(60000); }},
      {"channel_type mismatch", [](auto& m) { m.tlvs.channel_type = Bytes{0x40, 0x10, 0x00}; }},
      {"channel_type anchors for static_remotekey",
       [](auto& m) { m.tlvs.channel_type = wire::encode_channel_type({true, false, false}); }},
      {"no channel_type", [](auto& m) { m.tlvs.channel_type.reset(); }},
      {"invalid first point", [](auto& m) { m.first_per_commitment_point = wire::Point(); }},
  };
  for (const auto& c : cases) {
    Pair p;
    Outputs out;
    auto b = ChannelMachine::accept(test_config(), seed_of(2), 0, p.open_msg, out);
    ASSERT_TRUE(b.ok());
    auto accept = sent<msg::AcceptChannel>(out).at(0);
    c.mutate(accept);
    auto r = p.m[0]->handle(accept);
    ASSERT_TRUE(r.rejected) << c.name;
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel) << c.name;
    EXPECT_EQ(p.m[0]->state().phase, Phase::Aborted) << c.name;
    EXPECT_EQ(sent<msg::Error>(r).size(), 1u) << c.name;
  }
}

TEST(MachineOpen, RejectsBadFundingSignatures) {
  // funding_created with a wrong signature: the fundee fails and never signs.
  {
    Pair p;
    Outputs out;
    auto b = ChannelMachine::accept(p.m_cfg[1], p.m_seeds[1], 0, p.open_msg, out);
    p.m[1].emplace(std::move(*b));
    p.take(1, out);
    p.deliver(0);
    auto created = p.m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 0, {});
    auto fc = sent<msg::FundingCreated>(*created).at(0);
    fc.signature.data()[5] ^= 1;
    auto r = p.m[1]->handle(fc);
    ASSERT_TRUE(r.rejected);
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
    EXPECT_TRUE(sent<msg::FundingSigned>(r).empty());
    EXPECT_TRUE(all_of<PersistState>(r).empty());
  }
  // funding_signed with a wrong signature: the funder never broadcasts.
  {
    Pair p;
    Outputs out;
    auto b = ChannelMachine::accept(p.m_cfg[1], p.m_seeds[1], 0, p.open_msg, out);
    p.m[1].emplace(std::move(*b));
    p.take(1, out);
    p.deliver(0);
    p.take(0, *p.m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 0, {}));
    auto signed_out = p.deliver(1);
    auto fs = sent<msg::FundingSigned>(signed_out).at(0);
    fs.signature.data()[7] ^= 1;
    auto r = p.m[0]->handle(fs);
    ASSERT_TRUE(r.rejected);
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
    EXPECT_TRUE(all_of<BroadcastTx>(r).empty());
    EXPECT_EQ(p.m[0]->state().phase, Phase::Aborted);
  }
}

TEST(MachineOpen, OutOfOrderEstablishmentMessagesFail) {
  Pair p;
  // funding_signed before accept_channel.
  auto r = p.m[0]->handle(msg::FundingSigned{});
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
  // Updates before the channel is ready.
  Pair q;
  auto r2 = q.m[0]->handle(msg::UpdateAddHtlc{});
  ASSERT_TRUE(r2.rejected);
  EXPECT_EQ(r2.rejected->action, PeerAction::FailChannel);
}

// BOLT #2: "The sender MUST wait until the funding transaction has reached minimum_depth
// before sending [channel_ready]". A reorg can take the depth back below it: a side that
// could not send channel_ready in time (disconnected, or restarted) must wait again.
TEST(MachineOpen, ChannelReadyWaitsAgainAfterAReorg) {
  Pair p;
  Outputs out;
  auto b = ChannelMachine::accept(p.m_cfg[1], p.m_seeds[1], 0, p.open_msg, out);
  p.m[1].emplace(std::move(*b));
  p.take(1, out);
  p.deliver(0);
  p.take(0, *p.m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 0, {}));
  p.deliver_all();
  ASSERT_EQ(p.m[0]->state().phase, Phase::AwaitingLockin);
  // A is disconnected when the funding tx reaches depth 3, then a reorg takes it to 1.
  (void)p.m[0]->disconnected();
  EXPECT_TRUE(sent<msg::ChannelReady>(p.m[0]->on_block(BlockHeight(103), 3)).empty());
  EXPECT_TRUE(sent<msg::ChannelReady>(p.m[0]->on_block(BlockHeight(104), 1)).empty());
  auto re = p.m[0]->reconnected();
  EXPECT_EQ(sent<msg::ChannelReestablish>(re).size(), 1u);
  msg::ChannelReestablish theirs{p.m[0]->state().channel_id, 1, 0, {}, {}, {}};
  theirs.my_current_per_commitment_point = p.m[1]->state().remote_commit.per_commitment_point;
  auto r = p.m[0]->handle(theirs);
  ASSERT_FALSE(r.rejected) << r.rejected->message;
  EXPECT_TRUE(sent<msg::ChannelReady>(r).empty());
  EXPECT_FALSE(p.m[0]->state().channel_ready_sent);
  // Back to depth 3: now it goes.
  EXPECT_EQ(sent<msg::ChannelReady>(p.m[0]->on_block(BlockHeight(106), 3)).size(), 1u);

  // A restart forgets the depth it had seen (the chain may have moved back since): no
  // channel_ready on reestablish until on_block says the depth again.
  Pair q;
  Outputs qout;
  auto qb = ChannelMachine::accept(q.m_cfg[1], q.m_seeds[1], 0, q.open_msg, qout);
  q.m[1].emplace(std::move(*qb));
  q.take(1, qout);
  q.deliver(0);
  q.take(0, *q.m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 0, {}));
  q.deliver_all();
  (void)q.m[1]->disconnected();
  (void)q.m[1]->on_block(BlockHeight(103), 3);  // B cannot send: disconnected
  ChannelState s = q.m[1]->state();
  EXPECT_EQ(s.funding_depth, 3u);
  auto restored = ChannelMachine::restore(q.m_cfg[1], q.m_seeds[1], serialize(s));
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->state().funding_depth, 0u);
  (void)restored->reconnected();
  msg::ChannelReestablish from_a{s.channel_id, 1, 0, {}, {}, {}};
  from_a.my_current_per_commitment_point = s.remote_commit.per_commitment_point;
  auto r2 = restored->handle(from_a);
  ASSERT_FALSE(r2.rejected) << r2.rejected->message;
  EXPECT_TRUE(sent<msg::ChannelReady>(r2).empty());
  EXPECT_EQ(sent<msg::ChannelReady>(restored->on_block(BlockHeight(104), 2)).size(), 0u);
  EXPECT_EQ(sent<msg::ChannelReady>(restored->on_block(BlockHeight(105), 3)).size(), 1u);
}

}  // namespace
}  // namespace fulgur::channel::test
