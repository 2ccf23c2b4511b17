// Outgoing payments: route amounts and CLTVs (BOLT 7's routing example), the onion's
// payloads as each hop reads them, the payer's refusals (BOLT 4, BOLT 11), and the
// tracking of attempts: success, attributed and unattributed failures, replays, restart.
#include <gtest/gtest.h>

#include "harness.h"
#include "onion/payload.h"
#include "onion/sphinx.h"

namespace fulgur::payment::test {
namespace {

using onion::FailureCode;
using onion::to_u16;

RouteHop hop(uint64_t seed, uint64_t scid, uint32_t base, uint32_t ppm, uint32_t delta) {
  return RouteHop{key_from_seed(seed).public_key().node_id(), ShortChannelId(scid), Msat(base),
                  ppm, CltvDelta(delta)};
}

// BOLT 7 "Routing Example": A -> B -> C and A -> D -> C for 4,999,999 msat, C's
// min_final_cltv_expiry_delta 18 plus a shadow route of 42 blocks.
TEST(RouteHtlcs, Bolt7RoutingExample) {
  const BlockHeight now{700000};
  const BlockHeight final_cltv{700000 + 18 + 42};
  // A -> B (A's policy, unused), B -> C: 200 base, 2000 millionths, 20 blocks.
  std::vector<RouteHop> via_b{hop(0xB, 1, 100, 1000, 10), hop(0xC, 2, 200, 2000, 20)};
  auto htlcs = compute_route_htlcs(via_b, Msat(4'999'999), final_cltv);
  ASSERT_TRUE(htlcs.ok());
  EXPECT_EQ((*htlcs)[0], (HopHtlc{Msat(5'010'198), BlockHeight(now.value() + 20 + 18 + 42)}));
  EXPECT_EQ((*htlcs)[1], (HopHtlc{Msat(4'999'999), final_cltv}));
  // A -> D -> C: D charges 400 base, 4000 millionths, 40 blocks.
  std::vector<RouteHop> via_d{hop(0xD, 3, 100, 1000, 10), hop(0xC, 4, 400, 4000, 40)};
  htlcs = compute_route_htlcs(via_d, Msat(4'999'999), final_cltv);
  ASSERT_TRUE(htlcs.ok());
  EXPECT_EQ((*htlcs)[0], (HopHtlc{Msat(5'020'398), BlockHeight(now.value() + 40 + 18 + 42)}));
  // B -> C directly: no fee, no delta.
  std::vector<RouteHop> direct{hop(0xC, 2, 200, 2000, 20)};
  htlcs = compute_route_htlcs(direct, Msat(4'999'999), final_cltv);
  ASSERT_TRUE(htlcs.ok());
  EXPECT_EQ((*htlcs)[0], (HopHtlc{Msat(4'999'999), final_cltv}));
}

TEST(RouteHtlcs, FeesCompoundBackwards) {
  // Three hops: the fee of channel 2 is paid on the amount that includes channel 3's.
  std::vector<RouteHop> route{hop(1, 1, 0, 0, 0), hop(2, 2, 1000, 1000, 10),
                              hop(3, 3, 2000, 500'000, 20)};
  auto htlcs = compute_route_htlcs(route, Msat(1'000'000), BlockHeight(100));
  ASSERT_TRUE(htlcs.ok());
  EXPECT_EQ((*htlcs)[2].amount_msat, Msat(1'000'000));
  EXPECT_EQ((*htlcs)[1].amount_msat, Msat(1'000'000 + 2000 + 500'000));
  EXPECT_EQ((*htlcs)[0].amount_msat, Msat(1'502'000 + 1000 + 1502));
  EXPECT_EQ((*htlcs)[0].cltv_expiry, BlockHeight(130));
}

TEST(RouteHtlcs, Refusals) {
  EXPECT_FALSE(compute_route_htlcs({}, Msat(1), BlockHeight(1)).ok());
  std::vector<RouteHop> long_route(21, hop(1, 1, 0, 0, 1));
  EXPECT_FALSE(compute_route_htlcs(long_route, Msat(1), BlockHeight(1)).ok());
  long_route.resize(20);
  EXPECT_TRUE(compute_route_htlcs(long_route, Msat(1), BlockHeight(1)).ok());
  std::vector<RouteHop> overflow{hop(1, 1, 0, 0, 0), hop(2, 2, 0, 0, UINT32_MAX)};
  EXPECT_FALSE(compute_route_htlcs(overflow, Msat(1), BlockHeight(2)).ok());
  std::vector<RouteHop> minimum{hop(1, 1, 0, 0, 0), hop(2, 2, 0, 0, 0)};
  minimum[1].htlc_minimum_msat = Msat(1001);
  EXPECT_FALSE(compute_route_htlcs(minimum, Msat(1000), BlockHeight(2)).ok());
  minimum[1].htlc_minimum_msat = Msat(1000);
  minimum[0].htlc_maximum_msat = Msat(999);
  EXPECT_FALSE(compute_route_htlcs(minimum, Msat(1000), BlockHeight(2)).ok());
}

TEST(PaymentOnionPayloads, EachHopReadsWhatItNeeds) {
  Line line;
  FinalHopData final_data{filled<PaymentSecret>(5), Msat(900'000), std::nullopt, Bytes{9, 9}};
  const PaymentHash hash = filled<PaymentHash>(6);
  auto built = build_payment_onion(line.route_to_c(), Msat(600'000), BlockHeight(800'018),
                                   final_data, hash, key_from_seed(77));
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built->shared_secrets.size(), 2u);
  auto packet = onion::OnionPacket::parse(built->onion_routing_packet);
  auto at_b = onion::peel_onion(line.b_key, *packet, hash.span());
  ASSERT_TRUE(at_b.ok());
  auto b_payload = onion::decode_hop_payload(at_b->payload);
  ASSERT_TRUE(b_payload.ok());
  EXPECT_EQ(b_payload->amt_to_forward, Msat(600'000));
  EXPECT_EQ(b_payload->outgoing_cltv_value, BlockHeight(800'018));
  EXPECT_EQ(b_payload->short_channel_id, line.bc_scid);
  EXPECT_FALSE(b_payload->payment_data.has_value());
  auto at_c = onion::peel_onion(line.c_key, *at_b->next, hash.span());
  ASSERT_TRUE(at_c.ok());
  EXPECT_TRUE(at_c->is_final());
  auto c_payload = onion::decode_hop_payload(at_c->payload);
  ASSERT_TRUE(c_payload.ok());
  EXPECT_EQ(c_payload->amt_to_forward, Msat(600'000));
  EXPECT_FALSE(c_payload->short_channel_id.has_value());
  EXPECT_EQ(c_payload->payment_data, (onion::PaymentData{filled<PaymentSecret>(5), Msat(900'000)}));
  EXPECT_EQ(c_payload->payment_metadata, (Bytes{9, 9}));
  EXPECT_FALSE(c_payload->keysend_preimage.has_value());
}

TEST(PaymentOnionPayloads, InvalidNodeIdIsRefused) {
  Line line;
  auto route = line.route_to_c();
  route[1].node_id = filled<NodeId>(0x04);
  EXPECT_FALSE(build_payment_onion(route, Msat(1), BlockHeight(800'018), FinalHopData{},
                                   filled<PaymentHash>(6), key_from_seed(77))
                   .ok());
}

class PayTest : public ::testing::Test {
 protected:
  Line line;
  CreatedInvoice created = line.create_invoice(Msat(100'000), 0x31);
  invoice::Invoice inv = Line::decode(created.bolt11);

  Result<PreparedPayment> prepare(const PayOptions& options = {}) {
    return line.a_payments.prepare_invoice(inv, line.route_to_c(), options, line.session_key(),
                                           line.a_height, line.now);
  }
};

TEST_F(PayTest, PreparedAttemptDescribesTheHtlcAndTheRecord) {
  PayOptions options;
  options.final_cltv_offset = CltvDelta(7);
  auto prepared = prepare(options);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  EXPECT_EQ(prepared->htlc.payment_hash, created.payment_hash);
  EXPECT_EQ(prepared->htlc.amount_msat, Msat(100'000 + 1000 + 10));
  EXPECT_EQ(prepared->htlc.cltv_expiry, BlockHeight(Line::START_HEIGHT + 18 + 7 + 40));
  EXPECT_EQ(prepared->htlc.onion_routing_packet.size(), onion::ONION_PACKET_SIZE);
  const PaymentRecord& r = prepared->record;
  EXPECT_EQ(r.destination, line.c);
  EXPECT_EQ(r.amount_msat, Msat(100'000));
  EXPECT_EQ(r.total_msat, Msat(100'000));
  EXPECT_EQ(r.fee_msat(), Msat(1010));
  EXPECT_EQ(r.state, PaymentState::pending);
  EXPECT_FALSE(r.is_keysend());
  EXPECT_EQ(r.shared_secrets.size(), 2u);

  auto sent = line.a_payments.sent(std::move(prepared).value(), HtlcKey{line.ab_id, 0});
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->state, PaymentState::pending);
  EXPECT_EQ(*decode_payment_record(sent->persist.record), *line.a_payments.find(HtlcKey{line.ab_id, 0}));
  EXPECT_EQ(sent->persist.key, encode_payment_key(created.payment_hash, HtlcKey{line.ab_id, 0}));
  // The same payment again while it is fully in flight: refused (BOLT 4).
  EXPECT_FALSE(prepare().ok());
  EXPECT_FALSE(line.a_payments.sent(PreparedPayment{}, HtlcKey{line.ab_id, 0}).ok());
}

TEST_F(PayTest, PayerRefusals) {
  PayOptions options;
  options.amount_msat = Msat(99'999);
  EXPECT_FALSE(prepare(options).ok());  // below the invoice amount
  options.amount_msat = Msat(200'001);
  EXPECT_FALSE(prepare(options).ok());  // over twice it
  options.amount_msat = Msat(200'000);
  EXPECT_TRUE(prepare(options).ok());
  options = {};
  options.part_msat = Msat(100'001);
  EXPECT_FALSE(prepare(options).ok());  // a part over the total
  options.part_msat = Msat(0);
  EXPECT_FALSE(prepare(options).ok());
  // An invoice without basic_mpp is paid in one part.
  invoice::Invoice single = inv;
  single.features.clear_bit(17);
  options.part_msat = Msat(50'000);
  EXPECT_FALSE(line.a_payments
                   .prepare_invoice(single, line.route_to_c(), options, line.session_key(),
                                    line.a_height, line.now)
                   .ok());
  // Expired (BOLT 11 payer: "SHOULD NOT attempt a payment").
  EXPECT_FALSE(line.a_payments
                   .prepare_invoice(inv, line.route_to_c(), {}, line.session_key(), line.a_height,
                                    line.now + 3601)
                   .ok());
  // A route that does not end at the payee.
  auto to_b = line.route_to_c();
  to_b.pop_back();
  EXPECT_FALSE(line.a_payments
                   .prepare_invoice(inv, to_b, {}, line.session_key(), line.a_height, line.now)
                   .ok());
  // A route whose first HTLC would expire beyond max_htlc_cltv.
  options = {};
  options.final_cltv_offset = CltvDelta(2016 - 18 - 40 + 1);
  EXPECT_FALSE(prepare(options).ok());
  options.final_cltv_offset = CltvDelta(2016 - 18 - 40);
  EXPECT_TRUE(prepare(options).ok());
}

TEST_F(PayTest, AnyAmountInvoiceNeedsAnAmount) {
  invoice::Invoice any = Line::decode(line.create_invoice(std::nullopt, 0x32).bolt11);
  EXPECT_FALSE(line.a_payments
                   .prepare_invoice(any, line.route_to_c(), {}, line.session_key(), line.a_height,
                                    line.now)
                   .ok());
  PayOptions options;
  options.amount_msat = Msat(12'345);
  auto prepared = line.a_payments.prepare_invoice(any, line.route_to_c(), options,
                                                  line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->record.total_msat, Msat(12'345));
}

TEST_F(PayTest, UnattributableFailureIsKeptAsSuch) {
  auto prepared = prepare();
  ASSERT_TRUE(prepared.ok());
  const HtlcKey key{line.ab_id, 4};
  ASSERT_TRUE(line.a_payments.sent(std::move(prepared).value(), key).ok());
  auto failed = line.a_payments.on_failed(key, Bytes(292, 0xee), line.now);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, PaymentState::failed);
  const PaymentRecord* record = line.a_payments.find(key);
  ASSERT_TRUE(record->failure.has_value());
  EXPECT_FALSE(record->failure->hop_index.has_value());
  EXPECT_FALSE(record->failure->erring_node.has_value());
  EXPECT_FALSE(record->failure->failure_code.has_value());
  EXPECT_EQ(line.a_payments.status(created.payment_hash).state, PaymentState::failed);
  // A failed attempt does not count as in flight: the payment can be tried again.
  EXPECT_TRUE(prepare().ok());
  EXPECT_FALSE(line.a_payments.on_fulfilled(key, filled<Preimage>(0x31), line.now).ok());
}

TEST_F(PayTest, FulfilReplaysAndContradictions) {
  auto prepared = prepare();
  const HtlcKey key{line.ab_id, 5};
  ASSERT_TRUE(line.a_payments.sent(std::move(prepared).value(), key).ok());
  EXPECT_FALSE(line.a_payments.on_fulfilled(key, filled<Preimage>(0x30), line.now).ok());
  auto done = line.a_payments.on_fulfilled(key, filled<Preimage>(0x31), line.now + 1);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, PaymentState::succeeded);
  auto replay = line.a_payments.on_fulfilled(key, filled<Preimage>(0x31), line.now + 2);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->persist, done->persist);
  EXPECT_FALSE(line.a_payments.on_failed(key, Bytes(292, 0), line.now).ok());
  EXPECT_FALSE(line.a_payments.on_malformed(key, 0xc005, Hash256{}, line.now).ok());
  PaymentStatus status = line.a_payments.status(created.payment_hash);
  EXPECT_EQ(status.state, PaymentState::succeeded);
  EXPECT_EQ(status.payment_preimage, filled<Preimage>(0x31));
  EXPECT_FALSE(prepare().ok());  // already paid
  EXPECT_FALSE(line.a_payments.on_fulfilled(HtlcKey{line.ab_id, 99}, filled<Preimage>(0x31), line.now).ok());
}

TEST_F(PayTest, RestoredAttemptStillReadsItsFailure) {
  line.b_channels.remove(line.bc_scid);  // B will answer unknown_next_peer
  auto prepared = prepare();
  ASSERT_TRUE(prepared.ok());
  PreparedPayment copy{prepared->htlc, PaymentRecord{}};
  const HtlcKey key{line.ab_id, 0};
  auto sent = line.a_payments.sent(std::move(prepared).value(), key);
  ASSERT_TRUE(sent.ok());

  PaymentTracker restarted;
  ASSERT_TRUE(restarted.load(sent->persist.record).ok());
  EXPECT_FALSE(restarted.load(sent->persist.record).ok());
  Decision at_b = decide_incoming(
      IncomingHtlc{key, copy.htlc.amount_msat, copy.htlc.payment_hash, copy.htlc.cltv_expiry,
                   copy.htlc.onion_routing_packet},
      line.b_key, line.b_channels, line.b_config, line.b_height);
  ASSERT_TRUE(std::holds_alternative<Fail>(at_b));
  auto failed = restarted.on_failed(key, std::get<Fail>(at_b).reason, line.now);
  ASSERT_TRUE(failed.ok());
  const PaymentRecord* record = restarted.find(key);
  EXPECT_EQ(record->failure->hop_index, 0u);
  EXPECT_EQ(record->failure->erring_node, line.b);
  EXPECT_EQ(record->failure->failure_code, to_u16(FailureCode::unknown_next_peer));
  EXPECT_EQ(*decode_payment_record(failed->persist.record), *record);
}

TEST_F(PayTest, AttemptTimedOutOnChainFailsAtOurChannel) {
  const HtlcKey key{line.ab_id, 8};
  ASSERT_TRUE(line.a_payments.sent(std::move(prepare()).value(), key).ok());
  auto timed_out = line.a_payments.on_timed_out(key, line.now + 1);
  ASSERT_TRUE(timed_out.ok()) << timed_out.error().message;
  EXPECT_EQ(timed_out->state, PaymentState::failed);
  auto record = decode_payment_record(timed_out->persist.record);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_FALSE(record->dropped);  // it did leave: the channel closed with it
  EXPECT_FALSE(record->failure->hop_index.has_value());
  EXPECT_EQ(record->failure->failure_code, to_u16(FailureCode::permanent_channel_failure));
  auto replay = line.a_payments.on_timed_out(key, line.now + 5);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->persist, timed_out->persist);
  EXPECT_FALSE(line.a_payments.on_fulfilled(key, filled<Preimage>(0x31), line.now).ok());
  EXPECT_FALSE(line.a_payments.on_timed_out(HtlcKey{line.ab_id, 99}, line.now).ok());
}

TEST_F(PayTest, DroppedAttemptFailsAndFreesItsHtlcId) {
  const HtlcKey key{line.ab_id, 7};
  auto first = line.a_payments.sent(std::move(prepare()).value(), key);
  ASSERT_TRUE(first.ok());
  auto dropped = line.a_payments.on_dropped(key, line.now + 1);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ(dropped->state, PaymentState::failed);
  EXPECT_EQ(dropped->persist.key, first->persist.key);
  auto record = decode_payment_record(dropped->persist.record);
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->dropped);
  EXPECT_FALSE(record->failure->hop_index.has_value());
  // The id is free: nothing resolves on it any more, a second drop is refused.
  EXPECT_EQ(line.a_payments.find(key), nullptr);
  EXPECT_FALSE(line.a_payments.on_dropped(key, line.now).ok());
  EXPECT_FALSE(line.a_payments.on_fulfilled(key, filled<Preimage>(0x31), line.now).ok());
  EXPECT_EQ(line.a_payments.status(created.payment_hash).state, PaymentState::failed);

  // The channel gives the same id to a keysend: another payment, another record.
  PayOptions ks;
  ks.amount_msat = Msat(777);
  auto keysend = line.a_payments.prepare_keysend(line.route_to_c(), filled<Preimage>(3), ks,
                                                 line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(keysend.ok());
  auto second = line.a_payments.sent(std::move(keysend).value(), key);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->persist.key, first->persist.key);
  EXPECT_EQ(line.a_payments.list().size(), 2u);
  EXPECT_EQ(line.a_payments.find(key)->amount_msat, Msat(777));
  // And a retry of the invoice on the same id again replaces its own dropped attempt.
  auto keysend_dropped = line.a_payments.on_dropped(key, line.now + 2);
  ASSERT_TRUE(keysend_dropped.ok());
  auto retry = line.a_payments.sent(std::move(prepare()).value(), key);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->persist.key, first->persist.key);
  EXPECT_EQ(line.a_payments.attempts(created.payment_hash).size(), 1u);
  EXPECT_EQ(line.a_payments.status(created.payment_hash).state, PaymentState::pending);

  // After a restart: the dropped keysend does not claim the id, the invoice's attempt does.
  PaymentTracker restarted;
  std::map<Bytes, Bytes> store{{retry->persist.key, retry->persist.record},
                               {keysend_dropped->persist.key, keysend_dropped->persist.record}};
  ASSERT_EQ(store.size(), 2u);
  for (const auto& [k, v] : store) ASSERT_TRUE(restarted.load(v).ok());
  EXPECT_EQ(restarted.list().size(), 2u);
  EXPECT_EQ(restarted.find(key)->payment_hash, created.payment_hash);
}

TEST_F(PayTest, KeysendRecordKnowsItsPreimageFromTheStart) {
  PayOptions options;
  EXPECT_FALSE(line.a_payments
                   .prepare_keysend(line.route_to_c(), filled<Preimage>(1), options,
                                    line.session_key(), line.a_height, line.now)
                   .ok());  // no amount
  options.amount_msat = Msat(5000);
  auto prepared = line.a_payments.prepare_keysend(line.route_to_c(), filled<Preimage>(1), options,
                                                  line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(prepared.ok());
  EXPECT_TRUE(prepared->record.is_keysend());
  EXPECT_EQ(prepared->record.payment_preimage, filled<Preimage>(1));
  EXPECT_EQ(prepared->htlc.payment_hash, PaymentHash(crypto::sha256(filled<Preimage>(1).span()).array()));
  EXPECT_EQ(prepared->htlc.cltv_expiry, BlockHeight(Line::START_HEIGHT + 22 + 40));
  auto sent = line.a_payments.sent(std::move(prepared).value(), HtlcKey{line.ab_id, 1});
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*decode_payment_record(sent->persist.record), *line.a_payments.find(HtlcKey{line.ab_id, 1}));
}

}  // namespace
}  // namespace fulgur::payment::test
