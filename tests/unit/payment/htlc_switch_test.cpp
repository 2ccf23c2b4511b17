// The switch's decision on one incoming HTLC at B (of A -> B -> C), with onions built for
// real: each forwarding check fails with its code and data, exactly at its boundary; a
// forward carries the right amount, expiry and next onion; a bad onion is malformed.
#include <gtest/gtest.h>

#include "harness.h"
#include "onion/payload.h"
#include "onion/sphinx.h"

namespace fulgur::payment::test {
namespace {

using onion::FailureCode;
using onion::to_u16;

constexpr Msat FINAL_AMOUNT{1'000'000};

class SwitchTest : public ::testing::Test {
 protected:
  Line line;
  BlockHeight height{Line::START_HEIGHT};
  BlockHeight final_cltv{Line::START_HEIGHT + 18};
  PaymentHash hash = filled<PaymentHash>(0x33);

  PaymentOnion build(std::optional<ForwardingPolicy> believed = std::nullopt,
                     Msat final_amount = FINAL_AMOUNT) {
    FinalHopData final_data{filled<PaymentSecret>(0x44), final_amount, std::nullopt, std::nullopt};
    auto onion = build_payment_onion(line.route_to_c(believed), final_amount, final_cltv,
                                     final_data, hash, key_from_seed(0x5E55));
    EXPECT_TRUE(onion.ok()) << (onion.ok() ? "" : onion.error().message);
    return std::move(onion).value();
  }

  Decision at_b(const PaymentOnion& onion, std::optional<Msat> amount = std::nullopt,
                std::optional<BlockHeight> cltv = std::nullopt, bool blinded = false) {
    IncomingHtlc htlc{HtlcKey{line.ab_id, 7}, amount.value_or(onion.htlcs[0].amount_msat), hash,
                      cltv.value_or(onion.htlcs[0].cltv_expiry), onion.onion_routing_packet,
                      blinded};
    return decide_incoming(htlc, line.b_key, line.b_channels, line.b_config, height);
  }

  // The failure B encrypted, as A decrypts it: it must come from hop 0.
  onion::FailureMessage failure(const Decision& decision, const PaymentOnion& onion) {
    const Fail* fail = std::get_if<Fail>(&decision);
    EXPECT_NE(fail, nullptr) << "expected a Fail, got variant " << decision.index();
    if (fail == nullptr) return onion::FailureMessage{};
    EXPECT_EQ(fail->htlc, (HtlcKey{line.ab_id, 7}));
    auto decrypted = onion::decrypt_failure_packet(onion.shared_secrets, fail->reason);
    EXPECT_TRUE(decrypted.ok());
    if (!decrypted || !decrypted->message) return onion::FailureMessage{};
    EXPECT_EQ(decrypted->hop_index, 0u);
    EXPECT_EQ(fail->failure_code, decrypted->message->code);
    return *decrypted->message;
  }

  void update_channel(const std::function<void(OutgoingChannel&)>& change) {
    OutgoingChannel channel = *line.b_channels.find(line.bc_scid);
    change(channel);
    line.b_channels.upsert(channel);
  }
};

TEST_F(SwitchTest, ForwardCarriesAmountExpiryAndTheNextOnion) {
  PaymentOnion onion = build();
  Decision decision = at_b(onion);
  Forward* forward = std::get_if<Forward>(&decision);
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->incoming, (HtlcKey{line.ab_id, 7}));
  EXPECT_EQ(forward->outgoing_channel_id, line.bc_id);
  EXPECT_EQ(forward->outgoing_short_channel_id, line.bc_scid);
  EXPECT_EQ(forward->next_node, line.c);
  EXPECT_EQ(forward->amount_msat, FINAL_AMOUNT);
  EXPECT_EQ(forward->cltv_expiry, final_cltv);
  EXPECT_EQ(forward->incoming_amount_msat, onion.htlcs[0].amount_msat);
  EXPECT_EQ(forward->fee(), Msat(1000 + 100));
  EXPECT_TRUE(forward->shared_secret == onion.shared_secrets[0]);
  // C peels the next onion into its final payload.
  auto packet = onion::OnionPacket::parse(forward->onion_routing_packet);
  ASSERT_TRUE(packet.ok());
  auto peeled = onion::peel_onion(line.c_key, *packet, hash.span());
  ASSERT_TRUE(peeled.ok());
  EXPECT_TRUE(peeled->is_final());
  auto payload = onion::decode_hop_payload(peeled->payload);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->amt_to_forward, FINAL_AMOUNT);
  EXPECT_EQ(payload->payment_data->payment_secret, filled<PaymentSecret>(0x44));
}

TEST_F(SwitchTest, FeeBoundaryIsExact) {
  PaymentOnion onion = build();
  const Msat exact = onion.htlcs[0].amount_msat;
  EXPECT_TRUE(std::holds_alternative<Forward>(at_b(onion, exact)));
  onion::FailureMessage message = failure(at_b(onion, Msat(exact.value() - 1)), onion);
  EXPECT_EQ(message.code, to_u16(FailureCode::fee_insufficient));
  EXPECT_EQ(message.htlc_msat, Msat(exact.value() - 1));
  EXPECT_EQ(message.channel_update, line.b_update());
}

TEST_F(SwitchTest, CltvBoundaryIsExact) {
  PaymentOnion onion = build();
  const BlockHeight exact = onion.htlcs[0].cltv_expiry;  // final_cltv + 40
  EXPECT_TRUE(std::holds_alternative<Forward>(at_b(onion, std::nullopt, exact)));
  onion::FailureMessage message =
      failure(at_b(onion, std::nullopt, BlockHeight(exact.value() - 1)), onion);
  EXPECT_EQ(message.code, to_u16(FailureCode::incorrect_cltv_expiry));
  EXPECT_EQ(message.cltv_expiry, final_cltv);
}

TEST_F(SwitchTest, ExpiryTooSoonAtTheMargin) {
  PaymentOnion onion = build();
  // The outgoing expiry is START + 18; the margin is 12 blocks.
  height = BlockHeight(Line::START_HEIGHT + 5);
  EXPECT_TRUE(std::holds_alternative<Forward>(at_b(onion)));
  height = BlockHeight(Line::START_HEIGHT + 6);
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::expiry_too_soon));
}

TEST_F(SwitchTest, ExpiryTooFar) {
  final_cltv = BlockHeight(Line::START_HEIGHT + 2016 - 40);
  PaymentOnion onion = build();
  EXPECT_TRUE(std::holds_alternative<Forward>(at_b(onion)));
  final_cltv = BlockHeight(Line::START_HEIGHT + 2016 - 39);
  PaymentOnion too_far = build();
  EXPECT_EQ(failure(at_b(too_far), too_far).code, to_u16(FailureCode::expiry_too_far));
}

TEST_F(SwitchTest, AmountBelowMinimumOfPolicyOrPeer) {
  PaymentOnion onion = build();
  update_channel([](OutgoingChannel& c) { c.htlc_minimum_msat = Msat(1'000'001); });
  onion::FailureMessage message = failure(at_b(onion), onion);
  EXPECT_EQ(message.code, to_u16(FailureCode::amount_below_minimum));
  EXPECT_EQ(message.htlc_msat, FINAL_AMOUNT);  // the outgoing amount
  EXPECT_EQ(message.channel_update, line.b_update());

  update_channel([](OutgoingChannel& c) { c.htlc_minimum_msat = Msat(1); });
  line.b_config.policy.htlc_minimum_msat = Msat(1'000'000);
  EXPECT_TRUE(std::holds_alternative<Forward>(at_b(onion)));
  line.b_config.policy.htlc_minimum_msat = Msat(1'000'001);
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::amount_below_minimum));
}

TEST_F(SwitchTest, ChannelPolicyOverridesTheNodeDefault) {
  ForwardingPolicy cheap{Msat(0), 0, CltvDelta(10), Msat(1), Msat::max()};
  update_channel([&](OutgoingChannel& c) { c.policy = cheap; });
  PaymentOnion onion = build(cheap);
  Decision decision = at_b(onion);
  ASSERT_TRUE(std::holds_alternative<Forward>(decision));
  EXPECT_EQ(std::get<Forward>(decision).fee(), Msat(0));
}

TEST_F(SwitchTest, ChannelStateFailures) {
  PaymentOnion onion = build();
  update_channel([](OutgoingChannel& c) { c.peer_connected = false; });
  onion::FailureMessage disconnected = failure(at_b(onion), onion);
  EXPECT_EQ(disconnected.code, to_u16(FailureCode::temporary_channel_failure));
  EXPECT_EQ(disconnected.channel_update, line.b_update());

  update_channel([](OutgoingChannel& c) { c.disabled = true; });
  onion::FailureMessage disabled = failure(at_b(onion), onion);
  EXPECT_EQ(disabled.code, to_u16(FailureCode::channel_disabled));
  EXPECT_EQ(disabled.disabled_flags, 0);
  EXPECT_EQ(disabled.channel_update, line.b_update());

  update_channel([](OutgoingChannel& c) { c.usable = false; });
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::permanent_channel_failure));

  line.b_channels.remove(line.bc_scid);
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::unknown_next_peer));
}

TEST_F(SwitchTest, CapacityFailuresAreTemporary) {
  PaymentOnion onion = build();
  update_channel([](OutgoingChannel& c) { c.available_msat = Msat(999'999); });
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::temporary_channel_failure));
  update_channel([](OutgoingChannel& c) { c.available_msat = Msat(1'000'000); });
  EXPECT_TRUE(std::holds_alternative<Forward>(at_b(onion)));
  update_channel([](OutgoingChannel& c) { c.htlc_maximum_msat = Msat(999'999); });
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::temporary_channel_failure));
  update_channel([](OutgoingChannel& c) {
    c.htlc_maximum_msat = Msat::max();
    c.free_htlc_slots = 0;
  });
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::temporary_channel_failure));
  update_channel([](OutgoingChannel& c) { c.free_htlc_slots = 1; });
  line.b_config.policy.htlc_maximum_msat = Msat(999'999);
  EXPECT_EQ(failure(at_b(onion), onion).code, to_u16(FailureCode::temporary_channel_failure));
}

TEST_F(SwitchTest, BadHmacIsMalformedWithTheOnionsHash) {
  PaymentOnion onion = build();
  onion.onion_routing_packet[50] ^= 0x80;
  Decision decision = at_b(onion);
  const FailMalformed* malformed = std::get_if<FailMalformed>(&decision);
  ASSERT_NE(malformed, nullptr);
  EXPECT_EQ(malformed->failure_code, to_u16(FailureCode::invalid_onion_hmac));
  EXPECT_EQ(malformed->sha256_of_onion, crypto::sha256(onion.onion_routing_packet));
}

TEST_F(SwitchTest, BadEphemeralKeyIsMalformed) {
  PaymentOnion onion = build();
  onion.onion_routing_packet[1] = 0x05;  // not a compressed point prefix
  Decision decision = at_b(onion);
  ASSERT_TRUE(std::holds_alternative<FailMalformed>(decision));
  EXPECT_EQ(std::get<FailMalformed>(decision).failure_code, to_u16(FailureCode::invalid_onion_key));
}

TEST_F(SwitchTest, BlindedHtlcIsMalformedInvalidOnionBlinding) {
  PaymentOnion onion = build();
  Decision decision = at_b(onion, std::nullopt, std::nullopt, true);
  ASSERT_TRUE(std::holds_alternative<FailMalformed>(decision));
  EXPECT_EQ(std::get<FailMalformed>(decision).failure_code,
            to_u16(FailureCode::invalid_onion_blinding));
}

// An onion whose payload for B is `payload` (C's is a plain final payload).
PaymentOnion onion_with_payload_for_b(const Line& line, const PaymentHash& hash,
                                      const onion::HopPayload& payload) {
  onion::HopPayload final_payload;
  final_payload.amt_to_forward = FINAL_AMOUNT;
  final_payload.outgoing_cltv_value = BlockHeight(Line::START_HEIGHT + 18);
  std::vector<onion::OnionHop> hops{{line.b_key.public_key(), onion::encode_hop_payload(payload)},
                                    {line.c_key.public_key(), onion::encode_hop_payload(final_payload)}};
  auto created = onion::create_onion(key_from_seed(0x5E56), hops, hash.span());
  EXPECT_TRUE(created.ok());
  auto packet = created->packet.serialize();
  PaymentOnion out;
  out.onion_routing_packet.assign(packet.begin(), packet.end());
  out.shared_secrets = std::move(created->shared_secrets);
  out.htlcs = {HopHtlc{Msat(2'000'000), BlockHeight(Line::START_HEIGHT + 100)},
               HopHtlc{FINAL_AMOUNT, BlockHeight(Line::START_HEIGHT + 18)}};
  return out;
}

TEST_F(SwitchTest, MissingShortChannelIdIsInvalidOnionPayload) {
  onion::HopPayload payload;
  payload.amt_to_forward = FINAL_AMOUNT;
  payload.outgoing_cltv_value = final_cltv;
  // No short_channel_id in a non-final payload: B cannot know where to forward.
  PaymentOnion onion = onion_with_payload_for_b(line, hash, payload);
  onion::FailureMessage message = failure(at_b(onion), onion);
  EXPECT_EQ(message.code, to_u16(FailureCode::invalid_onion_payload));
  EXPECT_EQ(message.type, onion::payload_type::short_channel_id);
}

TEST_F(SwitchTest, CurrentBlindingPointOutsideTheFinalHopIsInvalidOnionBlinding) {
  onion::HopPayload payload;
  payload.amt_to_forward = FINAL_AMOUNT;
  payload.outgoing_cltv_value = final_cltv;
  payload.short_channel_id = line.bc_scid;
  payload.current_blinding_point = line.a;
  PaymentOnion onion = onion_with_payload_for_b(line, hash, payload);
  onion::FailureMessage message = failure(at_b(onion), onion);
  EXPECT_EQ(message.code, to_u16(FailureCode::invalid_onion_blinding));
  EXPECT_EQ(message.sha256_of_onion, crypto::sha256(onion.onion_routing_packet));
}

TEST_F(SwitchTest, FinalHopHandsThePayloadOver) {
  FinalHopData final_data{filled<PaymentSecret>(0x44), Msat(3'000'000), std::nullopt,
                          Bytes{1, 2, 3}};
  std::vector<RouteHop> direct{RouteHop{line.b, line.ab_scid}};
  auto onion = build_payment_onion(direct, FINAL_AMOUNT, final_cltv, final_data, hash,
                                   key_from_seed(0x5E57));
  ASSERT_TRUE(onion.ok());
  Decision decision = at_b(*onion);
  FinalHtlc* final_htlc = std::get_if<FinalHtlc>(&decision);
  ASSERT_NE(final_htlc, nullptr);
  EXPECT_EQ(final_htlc->htlc, (HtlcKey{line.ab_id, 7}));
  EXPECT_EQ(final_htlc->amt_to_forward, FINAL_AMOUNT);
  EXPECT_EQ(final_htlc->outgoing_cltv_value, final_cltv);
  EXPECT_EQ(final_htlc->payment_secret, filled<PaymentSecret>(0x44));
  EXPECT_EQ(final_htlc->total_msat, Msat(3'000'000));
  EXPECT_EQ(final_htlc->payment_metadata, (Bytes{1, 2, 3}));
  EXPECT_FALSE(final_htlc->keysend_preimage.has_value());
  EXPECT_TRUE(final_htlc->shared_secret == onion->shared_secrets[0]);
}

TEST_F(SwitchTest, FinalPayloadWithoutPaymentDataTotalsItsAmount) {
  FinalHopData final_data{std::nullopt, Msat(0), filled<Preimage>(9), std::nullopt};
  std::vector<RouteHop> direct{RouteHop{line.b, line.ab_scid}};
  auto onion = build_payment_onion(direct, FINAL_AMOUNT, final_cltv, final_data, hash,
                                   key_from_seed(0x5E58));
  ASSERT_TRUE(onion.ok());
  Decision decision = at_b(*onion);
  ASSERT_TRUE(std::holds_alternative<FinalHtlc>(decision));
  EXPECT_EQ(std::get<FinalHtlc>(decision).total_msat, FINAL_AMOUNT);
  EXPECT_EQ(std::get<FinalHtlc>(decision).keysend_preimage, filled<Preimage>(9));
}

TEST_F(SwitchTest, RefusedAddFailsTheIncomingWithTemporaryChannelFailure) {
  PaymentOnion onion = build();
  Decision decision = at_b(onion);
  ASSERT_TRUE(std::holds_alternative<Forward>(decision));
  Fail fail = fail_forward(std::get<Forward>(decision), line.b_update());
  onion::FailureMessage message = failure(Decision(std::move(fail)), onion);
  EXPECT_EQ(message.code, to_u16(FailureCode::temporary_channel_failure));
  EXPECT_EQ(message.channel_update, line.b_update());
}

TEST(ForwardingFee, Bolt7FormulaRoundsDownAndChecksOverflow) {
  EXPECT_EQ(forwarding_fee(Msat(200), 2000, Msat(4'999'999)), Msat(10'199));  // BOLT 7 example
  EXPECT_EQ(forwarding_fee(Msat(0), 1, Msat(999'999)), Msat(0));
  EXPECT_EQ(forwarding_fee(Msat(0), 1, Msat(1'000'000)), Msat(1));
  // amount * ppm overflows 64 bits here; the fee itself does not.
  EXPECT_EQ(forwarding_fee(Msat(0), UINT32_MAX, Msat(1'000'000'000'999'999)),
            Msat(4'294'967'299'294'963'000));
  EXPECT_EQ(forwarding_fee(Msat(0), UINT32_MAX, Msat::max()), std::nullopt);
  EXPECT_EQ(forwarding_fee(Msat::max(), 0, Msat(1)), Msat::max());
  EXPECT_EQ(forwarding_fee(Msat::max(), 1, Msat(1'000'000)), std::nullopt);
}

}  // namespace
}  // namespace fulgur::payment::test
