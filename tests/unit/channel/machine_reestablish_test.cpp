// channel_reestablish (retransmission in the original order, data loss detection, messages
// before reestablish) and the mutual close (shutdown, closing_signed negotiation, hostile
// closing messages).
#include "machine_harness.h"

namespace fulgur::channel::test {
namespace {

Bytes p2wpkh(uint8_t b) {
  Bytes s{0x00, 0x14};
  s.resize(22, b);
  return s;
}

TEST(MachineReestablish, RetransmitsLostCommitmentSigned) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.take(0, *p.m[0]->commit());
  // The add and commitment_signed are lost with the connection.
  p.reconnect();
  p.deliver(1);  // reestablish to B
  auto a_out = p.deliver(0);  // reestablish to A: A re-sends the add and the commitment
  EXPECT_EQ(sent<msg::UpdateAddHtlc>(a_out).size(), 1u);
  EXPECT_EQ(sent<msg::CommitmentSigned>(a_out).size(), 1u);
  p.deliver_all();
  p.commit_and_settle(1);
  EXPECT_EQ(p.m[1]->pending_incoming().size(), 1u);
}

TEST(MachineReestablish, RetransmitsLostRevokeAndAck) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.take(0, *p.m[0]->commit());
  p.deliver(1);
  p.deliver(1);  // B revokes; the revoke_and_ack is lost
  p.reconnect();
  p.deliver(0);
  auto b_out = p.deliver(1);
  EXPECT_EQ(sent<msg::RevokeAndAck>(b_out).size(), 1u);
  p.deliver_all();
  EXPECT_FALSE(p.m[0]->state().waiting.has_value());
}

TEST(MachineReestablish, UncommittedUpdatesAreForgotten) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.deliver(1);
  EXPECT_EQ(p.m[1]->state().theirs.proposed.size(), 1u);
  p.queue[0].clear();
  auto dropped = p.m[0]->disconnected();
  EXPECT_TRUE(has_event<event::OutgoingDropped>(dropped));
  (void)p.m[1]->disconnected();
  EXPECT_TRUE(p.m[1]->state().theirs.proposed.empty());
  EXPECT_EQ(p.m[0]->state().next_htlc_id_ours, 0u);
  EXPECT_EQ(p.m[1]->state().next_htlc_id_theirs, 0u);
}

TEST(MachineReestablish, RestartFromRecordLosesNothing) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.take(0, *p.m[0]->commit());
  p.deliver(1);
  p.deliver(1);  // B persisted and revoked
  // B crashes: rebuilt from its last record.
  auto b = ChannelMachine::restore(p.m_cfg[1], p.m_seeds[1], p.durable[1]);
  ASSERT_TRUE(b.ok());
  p.m[1].emplace(std::move(*b));
  p.reconnect();
  p.deliver_all();
  p.commit_and_settle(1);
  EXPECT_EQ(p.m[1]->pending_incoming().size(), 1u);
  EXPECT_EQ(p.m[0]->state().remote_commit.spec, p.m[0]->state().local_commit.spec);
}

TEST(MachineReestablish, DetectsThatWeFellBehind) {
  Pair p;
  p.establish();
  Bytes old_b = p.durable[1];
  for (int k = 0; k < 2; ++k) {
    p.add(0, Msat(10000000), preimage(static_cast<uint8_t>(k + 1)));
    p.commit_and_settle(0);
  }
  // B restored from a stale backup: A proves B revoked more than B remembers.
  auto b = ChannelMachine::restore(p.m_cfg[1], p.m_seeds[1], old_b);
  ASSERT_TRUE(b.ok());
  p.m[1].emplace(std::move(*b));
  p.reconnect();
  // A sees B's stale numbers: B is behind, A fails the channel with its latest commitment.
  auto a_out = p.deliver(0);
  auto out = p.deliver(1);
  EXPECT_TRUE(has_event<event::WeAreBehind>(out));
  EXPECT_TRUE(all_of<BroadcastTx>(out).empty());  // never broadcast a possibly revoked state
  ASSERT_TRUE(a_out.rejected);
  EXPECT_EQ(a_out.rejected->action, PeerAction::FailChannel);
  auto tx = all_of<BroadcastTx>(a_out);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].commitment_number, p.m[0]->state().local_commit.number);
}

TEST(MachineReestablish, RejectsWrongLastSecret) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.commit_and_settle(0);
  p.reconnect();
  auto re = std::get<msg::ChannelReestablish>(p.queue[1].front());
  p.queue[1].pop_front();
  re.your_last_per_commitment_secret.data()[0] ^= 1;
  auto r = p.m[0]->handle(re);
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
}

TEST(MachineReestablish, MessagesBeforeReestablishDisconnect) {
  Pair p;
  p.establish();
  p.reconnect();
  auto r = p.m[0]->handle(msg::UpdateFee{p.m[0]->state().channel_id, FeeratePerKw(1000), {}});
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::Disconnect);
  EXPECT_FALSE(all_of<Disconnect>(r).empty());
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(10000), hash_of(preimage(1)), BlockHeight(100), {}));
}

TEST(MachineClose, MutualCloseNegotiates) {
  Pair p;
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.commit_and_settle(0);
  auto s = p.m[1]->shutdown(p2wpkh(2));
  ASSERT_TRUE(s.ok());
  p.take(1, *s);
  p.deliver_all();
  // An HTLC is pending: no negotiation yet, and no new HTLCs.
  EXPECT_EQ(p.m[0]->state().phase, Phase::Shutdown);
  EXPECT_FALSE(p.m[0]->add_htlc(Msat(10000), hash_of(preimage(2)), BlockHeight(100), {}));
  p.take(1, *p.m[1]->fulfill_htlc(0, preimage(1)));
  p.commit_and_settle(1);
  p.deliver_all();
  EXPECT_EQ(p.m[0]->state().phase, Phase::Closed);
  EXPECT_EQ(p.m[1]->state().phase, Phase::Closed);
  auto tx = all_of<BroadcastTx>(p.last[0]);
  bool any_close = !tx.empty() || !all_of<BroadcastTx>(p.last[1]).empty();
  EXPECT_TRUE(any_close);
  EXPECT_EQ(p.m[0]->state().local_commit.spec.to_them, Msat(310000000));
}

TEST(MachineClose, ShutdownAndClosingSignedRejections) {
  Pair p;
  p.establish();
  ChannelId cid = p.m[0]->state().channel_id;
  EXPECT_FALSE(p.m[0]->shutdown(Bytes{0x51}));  // not a standard form
  auto bad = p.m[1]->handle(msg::Shutdown{cid, Bytes{0x6a, 0x01, 0x00}, {}});
  ASSERT_TRUE(bad.rejected);
  EXPECT_EQ(bad.rejected->action, PeerAction::Disconnect);
  auto early = p.m[1]->handle(msg::ClosingSigned{cid, Sat(100), {}, {}});
  ASSERT_TRUE(early.rejected);
  EXPECT_EQ(early.rejected->action, PeerAction::Disconnect);
  // Reach negotiation, then hand B a forged and an overpriced closing_signed.
  p.take(0, *p.m[0]->shutdown(p2wpkh(1)));
  p.deliver(1);
  auto reply = p.m[1]->state();
  EXPECT_EQ(reply.phase, Phase::Negotiating);
  msg::ClosingSigned forged{cid, Sat(200), wire::Signature(), {}};
  auto r = p.m[1]->handle(forged);
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::Disconnect);
  // The real offers then converge.
  p.deliver_all();
  EXPECT_EQ(p.m[0]->state().phase, Phase::Closed);
  EXPECT_EQ(p.m[1]->state().phase, Phase::Closed);
}

// BOLT 2 option_upfront_shutdown_script: B commits to a script in accept_channel; a shutdown
// paying elsewhere fails the connection, and B itself cannot ask for another script.
TEST(MachineClose, UpfrontShutdownScriptBinds) {
  ChannelConfig a_cfg = test_config();
  a_cfg.upfront_shutdown_script = p2wpkh(1);
  ChannelConfig b_cfg = test_config();
  b_cfg.upfront_shutdown_script = p2wpkh(2);
  Pair p(ChannelType::StaticRemoteKey, a_cfg, b_cfg);
  EXPECT_EQ(p.open_msg.tlvs.upfront_shutdown_script, p2wpkh(1));
  p.establish();
  EXPECT_EQ(p.m[0]->state().remote_upfront_shutdown_script, p2wpkh(2));
  EXPECT_EQ(p.m[1]->state().remote_upfront_shutdown_script, p2wpkh(1));
  ChannelId cid = p.m[0]->state().channel_id;
  // B's own command with another script is refused and changes nothing.
  EXPECT_FALSE(p.m[1]->shutdown(p2wpkh(3)));
  EXPECT_EQ(p.m[1]->state().phase, Phase::Normal);
  // A hand-made shutdown from B paying elsewhere: warning and disconnect, nothing recorded.
  auto r = p.m[0]->handle(msg::Shutdown{cid, p2wpkh(3), {}});
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::Disconnect);
  EXPECT_EQ(sent<msg::Warning>(r).size(), 1u);
  EXPECT_FALSE(all_of<Disconnect>(r).empty());
  EXPECT_FALSE(p.m[0]->state().shutdown_received);
  EXPECT_EQ(p.m[0]->state().phase, Phase::Normal);
  // The committed script closes the channel, and A's reply pays A's own upfront script
  // (its config's shutdown_script is ignored).
  p.take(1, *p.m[1]->shutdown(p2wpkh(2)));
  p.deliver_all();
  EXPECT_EQ(p.m[0]->state().local_shutdown_script, p2wpkh(1));
  EXPECT_EQ(p.m[0]->state().remote_shutdown_script, p2wpkh(2));
  EXPECT_EQ(p.m[0]->state().phase, Phase::Closed);
  EXPECT_EQ(p.m[1]->state().phase, Phase::Closed);
}

// Without an upfront script (a zero-length one is sent), any valid script is accepted.
TEST(MachineClose, EmptyUpfrontShutdownScriptCommitsToNothing) {
  Pair p;
  ASSERT_TRUE(p.open_msg.tlvs.upfront_shutdown_script.has_value());
  EXPECT_TRUE(p.open_msg.tlvs.upfront_shutdown_script->empty());
  p.establish();
  p.take(1, *p.m[1]->shutdown(p2wpkh(7)));
  p.deliver_all();
  EXPECT_EQ(p.m[0]->state().remote_shutdown_script, p2wpkh(7));
  EXPECT_EQ(p.m[0]->state().phase, Phase::Closed);
}

// BOLT #2 (closing_signed): "if one of the outputs in the closing transaction is below the
// dust limit for its scriptpubkey (see BOLT 3): MUST fail the channel." B holds 400 sat to
// a P2PKH script (dust below 546) with dust limits of 354 on both sides.
TEST(MachineClose, ClosingOutputBelowItsScriptsDustFailsTheChannel) {
  ChannelConfig cfg = test_config();
  cfg.dust_limit = Sat(354);
  Pair p(ChannelType::StaticRemoteKey, cfg, cfg, Msat(400000));
  p.establish();
  Bytes p2pkh{0x76, 0xa9, 0x14};
  p2pkh.resize(23, 0x05);
  p2pkh.push_back(0x88);
  p2pkh.push_back(0xac);
  auto s = p.m[1]->shutdown(p2pkh);
  ASSERT_TRUE(s.ok()) << s.error().message;
  p.take(1, *s);
  p.deliver(0);  // A: shutdown, replies with shutdown and its closing_signed
  auto r = p.deliver(1);  // B's shutdown reply is queued first
  ASSERT_FALSE(r.rejected);
  r = p.deliver(1);  // A's closing_signed
  ASSERT_TRUE(r.rejected);
  EXPECT_EQ(r.rejected->action, PeerAction::FailChannel);
  EXPECT_EQ(p.m[1]->state().phase, Phase::ForceClosed);
  EXPECT_EQ(all_of<BroadcastTx>(r).size(), 1u);
}

}  // namespace
}  // namespace fulgur::channel::test
