// A -> B -> C with real keys and real onions: A builds the onion and tracks the payment,
// B's switch forwards with its fee and CLTV checked, C's registry settles. Each failure
// comes back through B to A, where it is decrypted and attributed to the hop that sent it.
#include <gtest/gtest.h>

#include "harness.h"

namespace fulgur::payment::test {
namespace {

using onion::FailureCode;
using onion::to_u16;

PayOptions no_offset() {
  PayOptions options;
  options.final_cltv_offset = CltvDelta(0);
  return options;
}

TEST(PaymentLine, InvoicePaidThroughBWithTheFeeChecked) {
  Line line;
  CreatedInvoice created = line.create_invoice(Msat(5'000'000), 0x11);
  invoice::Invoice inv = Line::decode(created.bolt11);
  EXPECT_EQ(inv.payee, line.c);

  auto prepared = line.a_payments.prepare_invoice(inv, line.route_to_c(), no_offset(),
                                                  line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  // B's fee on 5,000,000 msat: 1000 + 5,000,000 * 100 / 1,000,000 = 1500.
  EXPECT_EQ(prepared->htlc.amount_msat, Msat(5'001'500));
  EXPECT_EQ(prepared->htlc.cltv_expiry, BlockHeight(Line::START_HEIGHT + 18 + 40));
  HtlcKey ab = line.send(std::move(prepared).value());

  Outcome outcome = line.outcome(ab);
  EXPECT_EQ(outcome.state, PaymentState::succeeded);
  ASSERT_TRUE(outcome.preimage.has_value());
  EXPECT_EQ(*outcome.preimage, filled<Preimage>(0x11));
  EXPECT_EQ(line.a_payments.status(created.payment_hash).state, PaymentState::succeeded);

  const InvoiceRecord* record = line.c_registry.find(created.payment_hash);
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->state, InvoiceState::paid);
  EXPECT_EQ(record->received_msat, Msat(5'000'000));

  const ForwardRecord* forward = line.b_forwards.find_incoming(ab);
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->state, ForwardState::settled);
  EXPECT_EQ(forward->fee_earned(), Msat(1500));
  EXPECT_EQ(line.b_forwards.total_fees_earned(), Msat(1500));
  EXPECT_EQ(line.a_payments.find(ab)->fee_msat(), Msat(1500));
}

TEST(PaymentLine, UnknownNextPeerIsBs) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(100'000), 0x12).bolt11);
  auto route = line.route_to_c(std::nullopt, *ShortChannelId::from_parts(123, 4, 5));
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(inv, route, no_offset(),
                                                          line.session_key(), line.a_height,
                                                          line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 0u);
  EXPECT_EQ(outcome.failure->erring_node, line.b);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::unknown_next_peer));
  EXPECT_EQ(line.forwards_seen, 0u);
}

TEST(PaymentLine, InsufficientFeeComesBackWithBsChannelUpdate) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(2'000'000), 0x13).bolt11);
  ForwardingPolicy stale = line.b_policy;
  stale.fee_base_msat = Msat(999);  // one msat short
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(stale), no_offset(), line.session_key(), line.a_height, line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 0u);
  EXPECT_EQ(outcome.failure->erring_node, line.b);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::fee_insufficient));
  ASSERT_TRUE(outcome.message.has_value());
  // "report the amount of the incoming HTLC and the current channel setting".
  EXPECT_EQ(outcome.message->htlc_msat, Msat(2'000'000 + 999 + 200));
  EXPECT_EQ(outcome.message->channel_update, line.b_update());
  auto update = wire::decode_as<wire::msg::ChannelUpdate>(outcome.message->channel_update);
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->short_channel_id, line.bc_scid);
  EXPECT_EQ(update->fee_base_msat, Msat(1000));
}

TEST(PaymentLine, ExpiryTooSoonAtB) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(100'000), 0x14).bolt11);
  auto prepared = line.a_payments.prepare_invoice(inv, line.route_to_c(), no_offset(),
                                                  line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(prepared.ok());
  // B is 7 blocks ahead: the outgoing expiry (A's height + 18) is within its 12-block margin.
  line.b_height = BlockHeight(Line::START_HEIGHT + 7);
  HtlcKey ab = line.send(std::move(prepared).value());
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 0u);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::expiry_too_soon));
  EXPECT_EQ(outcome.message->channel_update, line.b_update());
}

TEST(PaymentLine, IncorrectCltvExpiryAtB) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(100'000), 0x15).bolt11);
  ForwardingPolicy stale = line.b_policy;
  stale.cltv_expiry_delta = CltvDelta(39);
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(stale), no_offset(), line.session_key(), line.a_height, line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 0u);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::incorrect_cltv_expiry));
  // "report the cltv_expiry of the outgoing HTLC".
  EXPECT_EQ(outcome.message->cltv_expiry, BlockHeight(Line::START_HEIGHT + 18));
}

TEST(PaymentLine, WrongPaymentSecretIsCs) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(300'000), 0x16).bolt11);
  inv.payment_secret = filled<PaymentSecret>(0x42);
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), no_offset(), line.session_key(), line.a_height, line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 1u);
  EXPECT_EQ(outcome.failure->erring_node, line.c);
  EXPECT_EQ(outcome.failure->failure_code,
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(outcome.message->htlc_msat, Msat(300'000));
  EXPECT_EQ(outcome.message->height, line.c_height);
  EXPECT_EQ(line.c_registry.find(inv.payment_hash)->state, InvoiceState::unpaid);
  // B relayed the failure and earned nothing.
  EXPECT_EQ(line.b_forwards.find_incoming(ab)->state, ForwardState::failed);
  EXPECT_EQ(line.b_forwards.total_fees_earned(), Msat(0));
}

TEST(PaymentLine, AmountBelowTheInvoiceIsRefusedByC) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(300'000), 0x17).bolt11);
  inv.amount = Msat(299'999);  // A pays less than C asked for
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), no_offset(), line.session_key(), line.a_height, line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 1u);
  EXPECT_EQ(outcome.failure->failure_code,
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(outcome.message->htlc_msat, Msat(299'999));
}

TEST(PaymentLine, FinalExpiryBelowTheInvoiceMinimumIsRefusedByC) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(300'000), 0x18, CltvDelta(30)).bolt11);
  inv.min_final_cltv_expiry_delta = 29;
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), no_offset(), line.session_key(), line.a_height, line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 1u);
  EXPECT_EQ(outcome.failure->failure_code,
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
}

TEST(PaymentLine, BadOnionAtCBecomesMalformedAndBEncryptsIt) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(300'000), 0x19).bolt11);
  line.corrupt_b_to_c = true;
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), no_offset(), line.session_key(), line.a_height, line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  // C sent update_fail_malformed_htlc; B turned it into a failure it encrypted itself, so
  // A attributes it to B (whose outgoing channel carried the broken onion).
  EXPECT_EQ(outcome.failure->hop_index, 0u);
  EXPECT_EQ(outcome.failure->erring_node, line.b);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::invalid_onion_hmac));
  ASSERT_TRUE(outcome.message.has_value());
  const ForwardRecord* forward = line.b_forwards.find_incoming(ab);
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->failure_code, to_u16(FailureCode::invalid_onion_hmac));
  EXPECT_EQ(line.finals_seen, 0u);
}

TEST(PaymentLine, BadOnionAtBIsMalformedFromTheFirstHop) {
  Line line;
  invoice::Invoice inv = Line::decode(line.create_invoice(Msat(300'000), 0x1a).bolt11);
  auto prepared = line.a_payments.prepare_invoice(inv, line.route_to_c(), no_offset(),
                                                  line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(prepared.ok());
  prepared->htlc.onion_routing_packet[0] = 1;  // an onion version B does not know
  HtlcKey ab = line.send(std::move(prepared).value());
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 0u);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::invalid_onion_version));
}

TEST(PaymentLine, TwoPartMppThroughB) {
  Line line;
  CreatedInvoice created = line.create_invoice(Msat(1'000'000), 0x1b);
  invoice::Invoice inv = Line::decode(created.bolt11);
  PayOptions first = no_offset();
  first.part_msat = Msat(600'000);
  PayOptions second = no_offset();
  second.part_msat = Msat(400'000);

  HtlcKey ab1 = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), first, line.session_key(), line.a_height, line.now));
  EXPECT_EQ(line.outcome(ab1).state, PaymentState::pending);  // C holds the first part
  EXPECT_EQ(line.c_registry.find(created.payment_hash)->parts.size(), 1u);
  EXPECT_EQ(line.a_payments.status(created.payment_hash).state, PaymentState::pending);

  line.now += 5;
  HtlcKey ab2 = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), second, line.session_key(), line.a_height, line.now));
  EXPECT_EQ(line.outcome(ab1).state, PaymentState::succeeded);
  EXPECT_EQ(line.outcome(ab2).state, PaymentState::succeeded);
  EXPECT_EQ(line.c_registry.find(created.payment_hash)->received_msat, Msat(1'000'000));
  // Fees: 1000 + 60 on the first part, 1000 + 40 on the second.
  EXPECT_EQ(line.b_forwards.total_fees_earned(), Msat(2100));
  // BOLT 4: no more HTLCs once the set is complete.
  EXPECT_FALSE(line.a_payments
                   .prepare_invoice(inv, line.route_to_c(), first, line.session_key(),
                                    line.a_height, line.now)
                   .ok());
}

TEST(PaymentLine, MppTimeoutFailsTheHeldPartBackToA) {
  Line line;
  CreatedInvoice created = line.create_invoice(Msat(1'000'000), 0x1c);
  invoice::Invoice inv = Line::decode(created.bolt11);
  PayOptions part = no_offset();
  part.part_msat = Msat(700'000);
  HtlcKey ab = line.send(*line.a_payments.prepare_invoice(
      inv, line.route_to_c(), part, line.session_key(), line.a_height, line.now));
  EXPECT_EQ(line.outcome(ab).state, PaymentState::pending);

  EXPECT_TRUE(line.c_registry.on_tick(line.now + 59).resolutions.empty());
  RegistryOutput timeout = line.c_registry.on_tick(line.now + 60);
  ASSERT_EQ(timeout.resolutions.size(), 1u);
  line.deliver_from_c(timeout.resolutions);
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 1u);
  EXPECT_EQ(outcome.failure->erring_node, line.c);
  EXPECT_EQ(outcome.failure->failure_code, to_u16(FailureCode::mpp_timeout));
  EXPECT_EQ(line.c_registry.find(created.payment_hash)->state, InvoiceState::unpaid);
  EXPECT_TRUE(line.c_registry.find(created.payment_hash)->parts.empty());
}

TEST(PaymentLine, KeysendThroughB) {
  Line line;
  PayOptions options = no_offset();
  options.amount_msat = Msat(42'000);
  Preimage preimage = filled<Preimage>(0x77);
  auto prepared = line.a_payments.prepare_keysend(line.route_to_c(), preimage, options,
                                                  line.session_key(), line.a_height, line.now);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  HtlcKey ab = line.send(std::move(prepared).value());
  Outcome outcome = line.outcome(ab);
  EXPECT_EQ(outcome.state, PaymentState::succeeded);
  EXPECT_EQ(outcome.preimage, preimage);
  PaymentHash hash(crypto::sha256(preimage.span()).array());
  const InvoiceRecord* receipt = line.c_registry.find(hash);
  ASSERT_NE(receipt, nullptr);
  EXPECT_TRUE(receipt->is_keysend());
  EXPECT_EQ(receipt->state, InvoiceState::paid);
  EXPECT_EQ(receipt->received_msat, Msat(42'000));
}

TEST(PaymentLine, KeysendRefusedWhenDisabled) {
  Line line;
  line.c_registry = InvoiceRegistry(RegistryConfig{"bcrt", 60, 64, false});
  PayOptions options = no_offset();
  options.amount_msat = Msat(42'000);
  HtlcKey ab = line.send(*line.a_payments.prepare_keysend(
      line.route_to_c(), filled<Preimage>(0x78), options, line.session_key(), line.a_height,
      line.now));
  Outcome outcome = line.outcome(ab);
  ASSERT_EQ(outcome.state, PaymentState::failed);
  EXPECT_EQ(outcome.failure->hop_index, 1u);
  EXPECT_EQ(outcome.failure->failure_code,
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
}

}  // namespace
}  // namespace fulgur::payment::test
