// Normal operation: HTLCs both ways batched into commitments, persist-before-send ordering,
// and every rejection path of update_add_htlc, the removals, update_fee, commitment_signed
// and revoke_and_ack (hostile peer cases included).
#include <algorithm>

#include "machine_harness.h"

namespace fulgur::channel::test {
namespace {

// The index of the first action of type T in `out`, or SIZE_MAX.
template <typename M>
size_t index_of_send(const Outputs& out) {
  for (size_t i = 0; i < out.actions.size(); ++i) {
    if (auto* s = std::get_if<SendMessage>(&out.actions[i])) {
      if (std::holds_alternative<M>(s->message)) return i;
    }
  }
  return SIZE_MAX;
}
size_t index_of_persist(const Outputs& out) {
  for (size_t i = 0; i < out.actions.size(); ++i) {
    if (std::holds_alternative<PersistState>(out.actions[i])) return i;
  }
  return SIZE_MAX;
}

TEST(MachineUpdate, BatchedHtlcsBothWaysSettle) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.add(0, Msat(20000000), preimage(2));
  p.add(1, Msat(5000000), preimage(3));
  // One commitment_signed carries both of A's HTLCs.
  auto c = p.m[0]->commit();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(sent<msg::CommitmentSigned>(*c).size(), 1u);
  // Persist before send.
  EXPECT_LT(index_of_persist(*c), index_of_send<msg::CommitmentSigned>(*c));
  p.take(0, *c);
  p.commit_and_settle(1);
  EXPECT_EQ(p.m[0]->state().local_commit.spec.htlcs.size(), 3u);
  EXPECT_EQ(p.m[1]->pending_incoming().size(), 2u);
  EXPECT_EQ(p.m[0]->pending_incoming().size(), 1u);
  // Fulfill A's two, fail B's one.
  for (const auto& h : p.m[1]->pending_incoming()) {
    auto r = p.m[1]->fulfill_htlc(h.id, h.id == 0 ? preimage(1) : preimage(2));
    ASSERT_TRUE(r.ok()) << r.error().message;
    p.take(1, *r);
  }
  auto f = p.m[0]->fail_htlc(0, Bytes{1});
  ASSERT_TRUE(f.ok());
  p.take(0, *f);
  p.commit_and_settle(1);
  p.commit_and_settle(0);
  const auto& a = p.m[0]->state().local_commit.spec;
  EXPECT_TRUE(a.htlcs.empty());
  EXPECT_EQ(a.to_us, Msat(700000000 - 30000000));
  EXPECT_EQ(a.to_them, Msat(300000000 + 30000000));
  EXPECT_EQ(p.m[1]->state().local_commit.spec.to_us, a.to_them);
  EXPECT_EQ(p.m[1]->state().remote_commit.spec.to_us, a.to_them);
}

TEST(MachineUpdate, RevokeAndAckIsPersistedFirstAndPipelines) {
  Pair p;
  p.establish();
  p.add(0, Msat(1000000), preimage(1));
  p.take(0, *p.m[0]->commit());
  // While A waits for the revocation it keeps adding (pipelining), and cannot sign again.
  p.add(0, Msat(2000000), preimage(2));
  auto again = p.m[0]->commit();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(sent<msg::CommitmentSigned>(*again).empty());
  p.deliver(1);  // add 1
  auto rev = p.deliver(1);  // commitment_signed
  EXPECT_LT(index_of_persist(rev), index_of_send<msg::RevokeAndAck>(rev));
  p.deliver_all();
  // After the revocation A signs the pipelined add.
  auto c2 = p.m[0]->commit();
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(sent<msg::CommitmentSigned>(*c2).size(), 1u);
}

TEST(MachineUpdate, LocalAddLimits) {
  ChannelConfig b = test_config();
  b.max_accepted_htlcs = 5;
  b.htlc_minimum = Msat(5000);
  Pair p(ChannelType::StaticRemoteKey, test_config(), b);
  p.establish();
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(0), hash_of(preimage(1)), BlockHeight(100), {}));
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(4999), hash_of(preimage(1)), BlockHeight(100), {}));
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(10000), hash_of(preimage(1)), BlockHeight(500000000), {}));
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(uint64_t{1} << 32), hash_of(preimage(1)), BlockHeight(100), {}));
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(699000000), hash_of(preimage(1)), BlockHeight(100), {}));  // reserve
  for (int i = 0; i < 5; ++i) p.add(0, Msat(10000), preimage(1));
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(10000), hash_of(preimage(1)), BlockHeight(100), {}));  // 6th
}

// A hostile A: bypasses its own checks by sending a hand-made update_add_htlc.
struct AddCase {
  const char* name;
  std::function<void(msg::UpdateAddHtlc&)> mutate;
};

TEST(MachineUpdate, RejectsBadUpdateAddHtlc) {
  std::vector<AddCase> cases = {
      {"amount 0", [](auto& m) { m.amount_msat = Msat(0); }},
      {"below htlc_minimum", [](auto& m) { m.amount_msat = Msat(999); }},
      {"top bytes of amount", [](auto& m) { m.amount_msat = Msat(uint64_t{1} << 32); }},
      {"cltv >= 500000000", [](auto& m) { m.cltv_expiry = BlockHeight(500000000); }},
      {"id not next", [](auto& m) { m.id = 7; }},
      {"cannot afford", [](auto& m) { m.amount_msat = Msat(699999999); }},
      {"over in-flight", [](auto& m) { m.amount_msat = Msat(2000000000); }},
  };
  for (const auto& c : cases) {
    ChannelConfig b = test_config();
    b.htlc_minimum = Msat(1000);
    Pair p(ChannelType::StaticRemoteKey, test_config(), b);
    p.establish();
    msg::UpdateAddHtlc add{p.m[1]->state().channel_id, 0, Msat(50000), hash_of(preimage(1)), BlockHeight(100), {}, {}};
    c.mutate(add);
    auto r = p.m[1]->handle(add);
    ASSERT_TRUE(r.rejected) << c.name;
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel) << c.name;
    EXPECT_EQ(sent<msg::Error>(r).size(), 1u) << c.name;
    // Failing the channel hands out our latest commitment.
    auto tx = all_of<BroadcastTx>(r);
    ASSERT_EQ(tx.size(), 1u) << c.name;
    EXPECT_EQ(tx[0].kind, TxKind::Commitment);
    EXPECT_EQ(tx[0].commitment_number, p.m[1]->state().local_commit.number);
  }
}

TEST(MachineUpdate, RejectsTooManyHtlcs) {
  ChannelConfig b = test_config();
  b.max_accepted_htlcs = 5;
  Pair p(ChannelType::StaticRemoteKey, test_config(), b);
  p.establish();
  for (uint64_t id = 0; id < 6; ++id) {
    msg::UpdateAddHtlc add{p.m[1]->state().channel_id, id, Msat(50000), hash_of(preimage(1)), BlockHeight(100), {}, {}};
    auto r = p.m[1]->handle(add);
    if (id < 5) {
      EXPECT_FALSE(r.rejected);
    } else {
      ASSERT_TRUE(r.rejected);
      EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
    }
  }
}

TEST(MachineUpdate, RejectsAddAfterShutdown) {
  Pair p;
  p.establish();
  auto s = p.m[0]->shutdown(Bytes{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                  16, 17, 18, 19, 20});
  ASSERT_TRUE(s.ok());
  p.take(0, *s);
  p.deliver(1);
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(10000), hash_of(preimage(1)), BlockHeight(100), {}));
  msg::UpdateAddHtlc add{p.m[1]->state().channel_id, 0, Msat(50000), hash_of(preimage(1)), BlockHeight(100), {}, {}};
  auto r = p.m[1]->handle(add);
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
}

TEST(MachineUpdate, RejectsBadRemovals) {
  Pair p;
  p.establish();
  uint64_t id = p.add(0, Msat(10000000), preimage(1));
  ChannelId cid = p.m[0]->state().channel_id;
  // Before the HTLC is irrevocably committed neither side may remove it.
  EXPECT_FALSE(p.m[1]->fulfill_htlc(id, preimage(1)));
  p.deliver(1);
  auto early = p.m[0]->handle(msg::UpdateFulfillHtlc{cid, id, preimage(1), {}});
  ASSERT_TRUE(early.rejected);
  EXPECT_EQ(early.rejected->action, PeerAction::FailChannel);

  Pair q;
  q.establish();
  id = q.add(0, Msat(10000000), preimage(1));
  q.commit_and_settle(0);
  ChannelId qid = q.m[0]->state().channel_id;
  EXPECT_FALSE(q.m[1]->fulfill_htlc(id, preimage(2)));  // local: wrong preimage
  EXPECT_FALSE(q.m[1]->fail_malformed_htlc(id, Hash256(), 0x1234));  // local: no BADONION
  struct Case {
    const char* name;
    Update u;
  };
  std::vector<Case> cases = {
      {"unknown id", msg::UpdateFulfillHtlc{qid, 42, preimage(1), {}}},
      {"wrong preimage", msg::UpdateFulfillHtlc{qid, id, preimage(2), {}}},
      {"malformed without BADONION", msg::UpdateFailMalformedHtlc{qid, id, Hash256(), 0x4001, {}}},
      {"fail unknown id", msg::UpdateFailHtlc{qid, 9, {}, {}}},
  };
  for (const auto& c : cases) {
    auto copy = ChannelMachine::restore(q.m_cfg[0], q.m_seeds[0], q.durable[0]);
    ASSERT_TRUE(copy.ok());
    (void)copy->reconnected();
    // Skip reestablish by delivering the peer's view of it.
    msg::ChannelReestablish re{qid, copy->state().remote_commit.number + 1,
                               copy->state().local_commit.number, {}, {}, {}};
    if (re.next_revocation_number > 0) {
      auto sec = generate_from_seed(derive_channel_secrets(q.m_seeds[0], 0).shachain_seed,
                                    shachain_index(re.next_revocation_number - 1));
      re.your_last_per_commitment_secret = *wire::PerCommitmentSecret::from_span(sec.expose());
    }
    auto ok = copy->handle(re);
    ASSERT_FALSE(ok.rejected) << ok.rejected->message;
    auto r = copy->handle(std::visit([](const auto& x) -> wire::Message { return x; }, c.u));
    ASSERT_TRUE(r.rejected) << c.name;
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel) << c.name;
  }
  // A double fulfill.
  auto once = q.m[0]->handle(msg::UpdateFulfillHtlc{qid, id, preimage(1), {}});
  EXPECT_FALSE(once.rejected);
  EXPECT_TRUE(has_event<event::OutgoingFulfilled>(once));
  auto twice = q.m[0]->handle(msg::UpdateFulfillHtlc{qid, id, preimage(1), {}});
  ASSERT_TRUE(twice.rejected);
  EXPECT_EQ(twice.rejected->action, PeerAction::FailChannel);
}

TEST(MachineUpdate, RejectsBadCommitmentSigned) {
  for (int variant = 0; variant < 3; ++variant) {
    Pair p;
    p.establish();
    p.add(0, Msat(10000000), preimage(1));
    auto c = p.m[0]->commit();
    auto cs = sent<msg::CommitmentSigned>(*c).at(0);
    p.deliver(1);  // the add
    if (variant == 0) cs.signature.data()[10] ^= 1;                   // invalid signature
    if (variant == 1) cs.htlc_signature.clear();                     // wrong num_htlcs
    if (variant == 2) cs.htlc_signature.at(0).data()[3] ^= 1;        // invalid htlc signature
    auto r = p.m[1]->handle(cs);
    ASSERT_TRUE(r.rejected) << variant;
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
    EXPECT_TRUE(sent<msg::RevokeAndAck>(r).empty());
    EXPECT_EQ(p.m[1]->state().phase, Phase::ForceClosed);
  }
  // commitment_signed without any update.
  Pair q;
  q.establish();
  auto r = q.m[1]->handle(msg::CommitmentSigned{q.m[1]->state().channel_id, {}, {}, {}});
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
}

TEST(MachineUpdate, RejectsWrongRevocationSecret) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.take(0, *p.m[0]->commit());
  p.deliver(1);
  auto rev_out = p.deliver(1);
  auto rev = sent<msg::RevokeAndAck>(rev_out).at(0);
  p.queue[1].clear();
  auto bad = rev;
  bad.per_commitment_secret.data()[0] ^= 1;
  auto r = p.m[0]->handle(bad);
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
  // And an unexpected revoke_and_ack (none pending).
  Pair q;
  q.establish();
  auto r2 = q.m[0]->handle(rev);
  ASSERT_TRUE(r2.rejected);
  EXPECT_EQ(r2.rejected->action, PeerAction::FailChannel);
}

TEST(MachineUpdate, UpdateFeeRules) {
  Pair p;
  p.establish();
  EXPECT_FALSE(p.m[1]->update_fee(FeeratePerKw(2000)));  // not the opener
  auto ok = p.m[0]->update_fee(FeeratePerKw(2000));
  ASSERT_TRUE(ok.ok());
  p.take(0, *ok);
  p.commit_and_settle(0);
  EXPECT_EQ(p.m[1]->state().local_commit.spec.feerate, FeeratePerKw(2000));
  EXPECT_EQ(p.m[0]->state().local_commit.spec.feerate, FeeratePerKw(2000));
  // The opener receiving update_fee fails the channel; so does an absurd feerate.
  auto r = p.m[0]->handle(msg::UpdateFee{p.m[0]->state().channel_id, FeeratePerKw(3000), {}});
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
  auto r2 = p.m[1]->handle(msg::UpdateFee{p.m[1]->state().channel_id, FeeratePerKw(1), {}});
  ASSERT_TRUE(r2.rejected);
  EXPECT_EQ(r2.rejected->action, PeerAction::FailChannel);
}

TEST(MachineUpdate, ForceCloseHandsOutLatestCommitment) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.commit_and_settle(0);
  auto out = p.m[0]->force_close("user");
  auto tx = all_of<BroadcastTx>(out);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].commitment_number, p.m[0]->state().local_commit.number);
  EXPECT_GE(tx[0].commitment_number, 1u);
  EXPECT_EQ(tx[0].spec.total(), Msat(1000000000));
  EXPECT_LT(index_of_persist(out), out.actions.size());
}

TEST(MachineUpdate, ChannelRecordRoundTripsAndRejectsGarbage) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.take(0, *p.m[0]->commit());
  Bytes rec = serialize(p.m[0]->state());
  auto back = deserialize_channel_state(rec);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p.m[0]->state());
  for (size_t cut : {size_t{0}, size_t{1}, rec.size() / 2, rec.size() - 1}) {
    EXPECT_FALSE(deserialize_channel_state(ByteSpan(rec.data(), cut)).ok()) << cut;
  }
  for (uint8_t version : {1, 3}) {  // version 1 (never deployed) and an unknown one
    Bytes other = rec;
    other[1] = version;
    EXPECT_FALSE(deserialize_channel_state(other).ok()) << int{version};
  }
  Bytes extra = rec;
  extra.push_back(0);
  EXPECT_FALSE(deserialize_channel_state(extra).ok());
}

// The machine takes whatever wire::decode_message gives: channel messages are handled,
// connection-level and gossip ones are left to the caller, unsupported features warned.
TEST(MachineWire, DispatchesByMessageKind) {
  Pair p;
  p.establish();
  ChannelId cid = p.m[0]->state().channel_id;
  EXPECT_EQ(channel_id_of(wire::Message(msg::UpdateFee{cid, FeeratePerKw(300), {}})), cid);
  EXPECT_EQ(channel_id_of(wire::Message(p.open_msg)), p.open_msg.temporary_channel_id);
  EXPECT_FALSE(channel_id_of(wire::Message(msg::Ping{})));
  EXPECT_FALSE(channel_id_of(wire::Message(wire::IgnoredMessage{99})));
  for (const wire::Message& m :
       {wire::Message(msg::Ping{}), wire::Message(msg::Init{}), wire::Message(msg::ChannelUpdate{}),
        wire::Message(wire::IgnoredMessage{99}),
        wire::Message(msg::AnnouncementSignatures{cid, {}, {}, {}, {}})}) {
    auto r = p.m[0]->handle(m);
    ASSERT_TRUE(r.rejected);
    EXPECT_EQ(r.rejected->action, PeerAction::Ignore);
    EXPECT_TRUE(r.actions.empty());
  }
  for (const wire::Message& m :
       {wire::Message(msg::Stfu{cid, 1, {}}), wire::Message(msg::TxComplete{cid, {}}),
        wire::Message(msg::ClosingComplete{})}) {
    auto r = p.m[0]->handle(m);
    ASSERT_TRUE(r.rejected);
    EXPECT_EQ(r.rejected->action, PeerAction::Warn);
    EXPECT_EQ(sent<msg::Warning>(r).size(), 1u);
  }
  EXPECT_EQ(p.m[0]->state().phase, Phase::Normal);
  // A warning from the peer changes nothing.
  auto w = p.m[0]->handle(msg::Warning{cid, Bytes{'h', 'i'}, {}});
  EXPECT_FALSE(w.rejected);
  EXPECT_TRUE(w.actions.empty());
}

// Every update keeps its TLV extension (unknown odd records included) through the
// persisted record, so a retransmission after a restart is the message first sent.
TEST(MachineWire, PersistedUpdatesKeepTheirTlvs) {
  Pair p;
  p.establish();
  ChannelState s = p.m[0]->state();
  msg::UpdateAddHtlc add{s.channel_id, 0, Msat(5000), hash_of(preimage(1)), BlockHeight(700),
                         wire::OnionPacket(), {}};
  add.onion_routing_packet.data()[0] = 0x00;
  add.onion_routing_packet.data()[100] = 0x42;
  add.tlvs.blinded_path = s.remote_keys.htlc_basepoint;
  add.tlvs.unknown.push_back(wire::TlvRecord{7, Bytes{1, 2, 3}});
  msg::UpdateFulfillHtlc ful{s.channel_id, 3, preimage(2), {}};
  ful.tlvs.unknown.push_back(wire::TlvRecord{5, Bytes{9}});
  s.ours.proposed.push_back(add);
  s.theirs.acked.push_back(ful);
  auto back = deserialize_channel_state(serialize(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(std::get<msg::UpdateAddHtlc>(back->ours.proposed.at(0)), add);
  // A record whose update is some other message is refused.
  Bytes good = serialize(s);
  Bytes enc = wire::encode_message(ful);
  auto pos = std::search(good.begin(), good.end(), enc.begin(), enc.end());
  ASSERT_NE(pos, good.end());
  pos[1] = 0x12;  // update_fulfill_htlc (130) -> ping (18)
  EXPECT_FALSE(deserialize_channel_state(good).ok());
}

}  // namespace
}  // namespace fulgur::channel::test
