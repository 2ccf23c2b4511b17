// The forward tracker at B: fulfils and failures go upstream (the failure wrapped so that
// A still attributes it to C), update_fail_malformed_htlc becomes B's own failure,
// replays change nothing, contradictions are refused, and the records bring it all back
// after a restart.
#include <gtest/gtest.h>

#include "harness.h"

namespace fulgur::payment::test {
namespace {

using onion::FailureCode;
using onion::to_u16;

class ForwardsTest : public ::testing::Test {
 protected:
  Line line;
  Preimage preimage = filled<Preimage>(0x21);
  PaymentHash hash = PaymentHash(crypto::sha256(filled<Preimage>(0x21).span()).array());
  PaymentOnion onion;
  uint64_t now = 1700000000;

  // A forward decided by B's switch for a real onion A -> B -> C.
  Forward forward(uint64_t incoming_id = 3) {
    FinalHopData final_data{filled<PaymentSecret>(1), Msat(500'000), std::nullopt, std::nullopt};
    auto built = build_payment_onion(line.route_to_c(), Msat(500'000),
                                     BlockHeight(Line::START_HEIGHT + 18), final_data, hash,
                                     key_from_seed(0x5E55 + incoming_id));
    EXPECT_TRUE(built.ok());
    onion = std::move(built).value();
    Decision decision = decide_incoming(
        IncomingHtlc{HtlcKey{line.ab_id, incoming_id}, onion.htlcs[0].amount_msat, hash,
                     onion.htlcs[0].cltv_expiry, onion.onion_routing_packet},
        line.b_key, line.b_channels, line.b_config, BlockHeight(Line::START_HEIGHT));
    EXPECT_TRUE(std::holds_alternative<Forward>(decision));
    return std::move(std::get<Forward>(decision));
  }

  // C's secret for this onion, as C's switch would find it.
  crypto::Secret32 c_secret() {
    return onion.shared_secrets[1].clone();
  }
};

TEST_F(ForwardsTest, FulfilGoesUpstreamWithTheSamePreimage) {
  ForwardTracker tracker;
  Forward f = forward();
  auto added = tracker.add(f, 9, now);
  ASSERT_TRUE(added.ok());
  ASSERT_EQ(added->persist.size(), 1u);
  EXPECT_EQ(added->persist[0].key, encode_htlc_key(HtlcKey{line.ab_id, 3}));
  EXPECT_TRUE(added->resolutions.empty());
  const HtlcKey outgoing{line.bc_id, 9};
  EXPECT_EQ(tracker.find_outgoing(outgoing), tracker.find_incoming(HtlcKey{line.ab_id, 3}));

  auto settled = tracker.on_fulfilled(outgoing, preimage, now + 2);
  ASSERT_TRUE(settled.ok());
  ASSERT_EQ(settled->resolutions.size(), 1u);
  EXPECT_EQ(std::get<Fulfill>(settled->resolutions[0]), (Fulfill{HtlcKey{line.ab_id, 3}, preimage}));
  const ForwardRecord* record = tracker.find_incoming(HtlcKey{line.ab_id, 3});
  EXPECT_EQ(record->state, ForwardState::settled);
  EXPECT_EQ(record->resolved_at, now + 2);
  EXPECT_EQ(record->fee_earned(), Msat(1000 + 50));
  EXPECT_EQ(*decode_forward_record(settled->persist.at(0).record), *record);

  // A replay: the same fulfil again, and the fee is not counted twice.
  auto replay = tracker.on_fulfilled(outgoing, preimage, now + 9);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->resolutions, settled->resolutions);
  EXPECT_EQ(tracker.find_incoming(HtlcKey{line.ab_id, 3})->resolved_at, now + 2);
  EXPECT_EQ(tracker.total_fees_earned(), Msat(1050));
  // A settled forward cannot fail any more.
  EXPECT_FALSE(tracker.on_failed(outgoing, Bytes(256, 0), now).ok());
  EXPECT_FALSE(tracker.on_malformed(outgoing, to_u16(FailureCode::invalid_onion_hmac), Hash256{}, now).ok());
}

TEST_F(ForwardsTest, WrongPreimageIsRefused) {
  ForwardTracker tracker;
  ASSERT_TRUE(tracker.add(forward(), 9, now).ok());
  EXPECT_FALSE(tracker.on_fulfilled(HtlcKey{line.bc_id, 9}, filled<Preimage>(0x22), now).ok());
  EXPECT_EQ(tracker.find_outgoing(HtlcKey{line.bc_id, 9})->state, ForwardState::offered);
  EXPECT_FALSE(tracker.on_fulfilled(HtlcKey{line.bc_id, 10}, preimage, now).ok());  // unknown
}

TEST_F(ForwardsTest, DownstreamFailureIsWrappedAndStillAttributedToC) {
  ForwardTracker tracker;
  ASSERT_TRUE(tracker.add(forward(), 9, now).ok());
  // C fails with temporary_node_failure, encrypted with its own secret.
  Fail at_c = fail_with(HtlcKey{line.bc_id, 9}, c_secret(),
                        onion::FailureMessage(FailureCode::temporary_node_failure));
  auto out = tracker.on_failed(HtlcKey{line.bc_id, 9}, at_c.reason, now + 1);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->resolutions.size(), 1u);
  const Fail& upstream = std::get<Fail>(out->resolutions[0]);
  EXPECT_EQ(upstream.htlc, (HtlcKey{line.ab_id, 3}));
  EXPECT_FALSE(upstream.failure_code.has_value());  // B cannot read it
  EXPECT_NE(upstream.reason, at_c.reason);
  auto decrypted = onion::decrypt_failure_packet(onion.shared_secrets, upstream.reason);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 1u);
  EXPECT_EQ(decrypted->message->code, to_u16(FailureCode::temporary_node_failure));
  EXPECT_EQ(tracker.total_fees_earned(), Msat(0));

  // Replays give the same bytes, whatever the replayed reason says.
  auto replay = tracker.on_failed(HtlcKey{line.bc_id, 9}, Bytes(300, 7), now + 5);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->resolutions, out->resolutions);
  EXPECT_FALSE(tracker.on_fulfilled(HtlcKey{line.bc_id, 9}, preimage, now).ok());
}

TEST_F(ForwardsTest, MalformedDownstreamBecomesBsOwnFailure) {
  ForwardTracker tracker;
  ASSERT_TRUE(tracker.add(forward(), 9, now).ok());
  const Hash256 sha = filled<Hash256>(0x5a);
  // BOLT 2: BADONION must be set; otherwise the peer broke the protocol.
  auto bad = tracker.on_malformed(HtlcKey{line.bc_id, 9}, to_u16(FailureCode::temporary_node_failure),
                                  sha, now);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().action, PeerAction::FailChannel);
  EXPECT_EQ(tracker.find_outgoing(HtlcKey{line.bc_id, 9})->state, ForwardState::offered);

  auto out = tracker.on_malformed(HtlcKey{line.bc_id, 9}, to_u16(FailureCode::invalid_onion_key),
                                  sha, now);
  ASSERT_TRUE(out.ok());
  const Fail& upstream = std::get<Fail>(out->resolutions.at(0));
  EXPECT_EQ(upstream.failure_code, to_u16(FailureCode::invalid_onion_key));
  auto decrypted = onion::decrypt_failure_packet(onion.shared_secrets, upstream.reason);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 0u);
  EXPECT_EQ(decrypted->message->code, to_u16(FailureCode::invalid_onion_key));
  EXPECT_EQ(decrypted->message->sha256_of_onion, sha);
}

TEST_F(ForwardsTest, AddIsIdempotentAndRefusesConflictingLinks) {
  ForwardTracker tracker;
  Forward f = forward(3);
  auto first = tracker.add(f, 9, now);
  ASSERT_TRUE(first.ok());
  auto again = tracker.add(f, 9, now + 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->persist, first->persist);  // the record from the first time
  EXPECT_FALSE(tracker.add(f, 10, now).ok());  // the same incoming HTLC elsewhere
  Forward other = forward(4);
  EXPECT_FALSE(tracker.add(other, 9, now).ok());  // an outgoing HTLC already linked
  EXPECT_EQ(tracker.list().size(), 1u);
}

TEST_F(ForwardsTest, AtRiskListsOfferedForwardsNearTheirIncomingExpiry) {
  ForwardTracker tracker;
  Forward f = forward(3);
  ASSERT_TRUE(tracker.add(f, 9, now).ok());
  const uint32_t expiry = f.incoming_cltv_expiry.value();  // START + 58
  EXPECT_TRUE(tracker.at_risk(BlockHeight(expiry - 19), CltvDelta(18)).empty());
  auto risky = tracker.at_risk(BlockHeight(expiry - 18), CltvDelta(18));
  ASSERT_EQ(risky.size(), 1u);
  EXPECT_EQ(risky[0]->outgoing, (HtlcKey{line.bc_id, 9}));
  ASSERT_TRUE(tracker.on_fulfilled(HtlcKey{line.bc_id, 9}, preimage, now).ok());
  EXPECT_TRUE(tracker.at_risk(BlockHeight(expiry), CltvDelta(18)).empty());
}

TEST_F(ForwardsTest, DroppedOutgoingFailsUpstreamAsOursAndFreesTheId) {
  ForwardTracker tracker;
  Forward f = forward(4);
  ASSERT_TRUE(tracker.add(f, 12, now).ok());
  const HtlcKey outgoing{line.bc_id, 12};
  auto dropped = tracker.on_dropped(outgoing, line.b_update(), now + 1);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  ASSERT_EQ(dropped->resolutions.size(), 1u);
  const Fail& upstream = std::get<Fail>(dropped->resolutions[0]);
  EXPECT_EQ(upstream.htlc, (HtlcKey{line.ab_id, 4}));
  EXPECT_EQ(upstream.failure_code, to_u16(FailureCode::temporary_channel_failure));
  // The origin reads B's failure (hop 0), with B's channel_update.
  auto decrypted = onion::decrypt_failure_packet(onion.shared_secrets, upstream.reason);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 0u);
  EXPECT_EQ(decrypted->message->code, to_u16(FailureCode::temporary_channel_failure));
  EXPECT_EQ(decrypted->message->channel_update, line.b_update());
  // The outgoing id is free for the next forward; a replay of the incoming HTLC finds its
  // failure; nothing resolves the dropped HTLC any more.
  EXPECT_EQ(tracker.find_outgoing(outgoing), nullptr);
  EXPECT_FALSE(tracker.on_dropped(outgoing, {}, now).ok());
  EXPECT_FALSE(tracker.on_fulfilled(outgoing, preimage, now).ok());
  EXPECT_EQ(tracker.find_incoming(HtlcKey{line.ab_id, 4})->state, ForwardState::failed);
  auto next = tracker.add(forward(5), 12, now + 2);
  ASSERT_TRUE(next.ok()) << next.error().message;
  // Both records load again after a restart (the dropped one holds no link).
  ForwardTracker restarted;
  ASSERT_TRUE(restarted.load(dropped->persist[0].record).ok());
  ASSERT_TRUE(restarted.load(next->persist[0].record).ok());
  EXPECT_TRUE(restarted.find_incoming(HtlcKey{line.ab_id, 4})->outgoing_dropped);
  EXPECT_EQ(restarted.find_outgoing(outgoing)->incoming, (HtlcKey{line.ab_id, 5}));
  // A settled forward cannot be dropped.
  ASSERT_TRUE(tracker.on_fulfilled(outgoing, preimage, now + 3).ok());
  EXPECT_FALSE(tracker.on_dropped(outgoing, {}, now + 4).ok());
}

TEST_F(ForwardsTest, OutgoingTimedOutOnChainFailsUpstreamAsPermanentChannelFailure) {
  ForwardTracker tracker;
  ASSERT_TRUE(tracker.add(forward(6), 14, now).ok());
  const HtlcKey outgoing{line.bc_id, 14};
  auto out = tracker.on_timed_out(outgoing, now + 1);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->resolutions.size(), 1u);
  const Fail& upstream = std::get<Fail>(out->resolutions[0]);
  EXPECT_EQ(upstream.htlc, (HtlcKey{line.ab_id, 6}));
  // The origin reads B's own failure (hop 0).
  auto decrypted = onion::decrypt_failure_packet(onion.shared_secrets, upstream.reason);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 0u);
  EXPECT_EQ(decrypted->message->code, to_u16(FailureCode::permanent_channel_failure));
  const ForwardRecord* record = tracker.find_incoming(HtlcKey{line.ab_id, 6});
  EXPECT_EQ(record->state, ForwardState::failed);
  EXPECT_FALSE(record->outgoing_dropped);
  EXPECT_EQ(record->fee_earned(), Msat(0));
  // A replay gives the same bytes; the preimage cannot come after the timeout.
  auto replay = tracker.on_timed_out(outgoing, now + 9);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->resolutions, out->resolutions);
  EXPECT_FALSE(tracker.on_fulfilled(outgoing, preimage, now + 2).ok());
  // Nor a timeout after the preimage.
  ASSERT_TRUE(tracker.add(forward(7), 15, now).ok());
  ASSERT_TRUE(tracker.on_fulfilled(HtlcKey{line.bc_id, 15}, preimage, now + 3).ok());
  EXPECT_FALSE(tracker.on_timed_out(HtlcKey{line.bc_id, 15}, now + 4).ok());
  EXPECT_FALSE(tracker.on_timed_out(HtlcKey{line.bc_id, 99}, now + 4).ok());
}

TEST_F(ForwardsTest, ListAndFeesAcrossForwards) {
  ForwardTracker tracker;
  for (uint64_t id = 0; id < 3; ++id) ASSERT_TRUE(tracker.add(forward(id), 20 + id, now).ok());
  ASSERT_TRUE(tracker.on_fulfilled(HtlcKey{line.bc_id, 20}, preimage, now).ok());
  ASSERT_TRUE(tracker.on_fulfilled(HtlcKey{line.bc_id, 22}, preimage, now).ok());
  ASSERT_TRUE(tracker.on_failed(HtlcKey{line.bc_id, 21}, Bytes(256, 1), now).ok());
  auto list = tracker.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]->incoming.htlc_id, 0u);
  EXPECT_EQ(list[1]->state, ForwardState::failed);
  EXPECT_EQ(list[2]->state, ForwardState::settled);
  EXPECT_EQ(tracker.total_fees_earned(), Msat(2 * 1050));
}

TEST_F(ForwardsTest, RecordsBringTheLinksBackAfterARestart) {
  std::map<Bytes, Bytes> store;
  auto keep = [&](const ForwardOutput& out) {
    for (const auto& p : out.persist) store[p.key] = p.record;
  };
  {
    ForwardTracker tracker;
    keep(*tracker.add(forward(1), 30, now));
    keep(*tracker.add(forward(2), 31, now));
    keep(*tracker.on_fulfilled(HtlcKey{line.bc_id, 30}, preimage, now + 1));
  }
  Forward pending = forward(2);  // the same onion again, to check the restored secret
  ForwardTracker restarted;
  for (const auto& [key, record] : store) ASSERT_TRUE(restarted.load(record).ok());
  EXPECT_FALSE(restarted.load(store.begin()->second).ok());
  EXPECT_EQ(restarted.total_fees_earned(), Msat(1050));
  EXPECT_EQ(restarted.find_outgoing(HtlcKey{line.bc_id, 30})->state, ForwardState::settled);
  // The pending forward fails after the restart: wrapped with the restored secret.
  Fail at_c = fail_with(HtlcKey{line.bc_id, 31}, c_secret(),
                        onion::FailureMessage(FailureCode::mpp_timeout));
  auto out = restarted.on_failed(HtlcKey{line.bc_id, 31}, at_c.reason, now + 2);
  ASSERT_TRUE(out.ok());
  auto decrypted =
      onion::decrypt_failure_packet(onion.shared_secrets, std::get<Fail>(out->resolutions.at(0)).reason);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->hop_index, 1u);
  EXPECT_EQ(decrypted->message->code, to_u16(FailureCode::mpp_timeout));
  (void)pending;
}

}  // namespace
}  // namespace fulgur::payment::test
