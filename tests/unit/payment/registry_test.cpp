// The invoice registry: invoices it creates decode and verify with lib/invoice; every
// final-node rule of BOLT 4 (amount, secret, expiry, CLTV, sets, keysend) refuses what it
// should with the right failure code, encrypted for the sender; sets collect and time out;
// state survives a restart through the persisted records.
#include <gtest/gtest.h>

#include "harness.h"

namespace fulgur::payment::test {
namespace {

using onion::FailureCode;
using onion::to_u16;

crypto::Secret32 secret_for(uint64_t htlc_id) {
  std::array<uint8_t, 32> bytes{};
  bytes.fill(static_cast<uint8_t>(0x80 + htlc_id));
  return crypto::Secret32(bytes);
}

// The failure inside a Fail, decrypted as the origin would (one hop: this node).
std::optional<onion::FailureMessage> failure_in(const Resolution& resolution) {
  const auto* failure = std::get_if<Fail>(&resolution);
  if (failure == nullptr) return std::nullopt;
  std::vector<crypto::Secret32> secrets;
  secrets.push_back(secret_for(failure->htlc.htlc_id));
  auto decrypted = onion::decrypt_failure_packet(secrets, failure->reason);
  EXPECT_TRUE(decrypted.ok());
  if (!decrypted || !decrypted->message) return std::nullopt;
  EXPECT_EQ(failure->failure_code, decrypted->message->code);
  return decrypted->message;
}

uint16_t code_in(const RegistryOutput& out, size_t index = 0) {
  EXPECT_GT(out.resolutions.size(), index);
  if (out.resolutions.size() <= index) return 0;
  auto message = failure_in(out.resolutions[index]);
  return message ? message->code : 0;
}

class RegistryTest : public ::testing::Test {
 protected:
  crypto::SecretKey node = key_from_seed(0xC);
  InvoiceRegistry registry{RegistryConfig{"bcrt"}};
  BlockHeight height{800000};
  uint64_t now = 1700000000;
  ChannelId channel = channel_id_of(0xBC);

  CreatedInvoice invoice(std::optional<Msat> amount, uint8_t entropy, uint64_t expiry = 3600) {
    InvoiceRequest request;
    request.amount_msat = amount;
    request.description = "tea";
    request.expiry_seconds = expiry;
    auto created = registry.create(
        request, InvoiceEntropy{filled<Preimage>(entropy), filled<PaymentSecret>(entropy ^ 0xff)},
        node, now);
    EXPECT_TRUE(created.ok());
    return std::move(created).value();
  }

  // A final-hop HTLC paying `created` (its secret), `amount` of a `total`.
  FinalHtlc htlc(const CreatedInvoice& created, Msat amount, uint64_t id,
                 std::optional<Msat> total = std::nullopt) {
    const InvoiceRecord* record = registry.find(created.payment_hash);
    FinalHtlc h{HtlcKey{channel, id},
                amount,
                created.payment_hash,
                BlockHeight(height.value() + 30),
                amount,
                BlockHeight(height.value() + 30),
                record->payment_secret,
                total.value_or(amount),
                std::nullopt,
                std::nullopt,
                secret_for(id)};
    return h;
  }

  FinalHtlc keysend(const Preimage& preimage, Msat amount, uint64_t id) {
    return FinalHtlc{HtlcKey{channel, id},
                     amount,
                     PaymentHash(crypto::sha256(preimage.span()).array()),
                     BlockHeight(height.value() + 30),
                     amount,
                     BlockHeight(height.value() + 30),
                     std::nullopt,
                     amount,
                     preimage,
                     std::nullopt,
                     secret_for(id)};
  }
};

TEST_F(RegistryTest, CreatedInvoiceDecodesAndVerifies) {
  InvoiceRequest request;
  request.amount_msat = Msat(2'500'000);
  request.description = "one coffee";
  request.expiry_seconds = 600;
  request.min_final_cltv_expiry_delta = CltvDelta(40);
  invoice::RouteHintHop hint{key_from_seed(0xB).public_key().node_id(),
                             *ShortChannelId::from_parts(700000, 1, 0), 1000, 100, 40};
  request.route_hints.push_back({hint});
  auto created = registry.create(
      request, InvoiceEntropy{filled<Preimage>(1), filled<PaymentSecret>(2)}, node, now);
  ASSERT_TRUE(created.ok()) << created.error().message;

  auto decoded = invoice::decode_invoice(created->bolt11);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(created->bolt11.substr(0, 6), "lnbcrt");
  EXPECT_EQ(decoded->payee, node.public_key().node_id());  // recovered from the signature
  EXPECT_EQ(decoded->payment_hash, PaymentHash(crypto::sha256(filled<Preimage>(1).span()).array()));
  EXPECT_EQ(decoded->payment_hash, created->payment_hash);
  EXPECT_EQ(decoded->payment_secret, filled<PaymentSecret>(2));
  EXPECT_EQ(decoded->amount, Msat(2'500'000));
  EXPECT_EQ(decoded->description, "one coffee");
  EXPECT_EQ(decoded->timestamp, now);
  EXPECT_EQ(decoded->expiry_seconds(), 600u);
  EXPECT_EQ(decoded->min_final_cltv(), 40u);
  ASSERT_EQ(decoded->route_hints.size(), 1u);
  EXPECT_EQ(decoded->route_hints[0], invoice::RouteHint{hint});
  EXPECT_TRUE(decoded->features.is_required(wire::Feature::var_onion_optin));
  EXPECT_TRUE(decoded->features.is_required(wire::Feature::payment_secret));
  EXPECT_TRUE(decoded->features.offers(wire::Feature::basic_mpp));
  EXPECT_FALSE(decoded->features.is_required(wire::Feature::basic_mpp));

  const InvoiceRecord* record = registry.find(created->payment_hash);
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->state, InvoiceState::unpaid);
  EXPECT_EQ(record->bolt11, created->bolt11);
  auto persisted = decode_invoice_record(created->persist.record);
  ASSERT_TRUE(persisted.ok());
  EXPECT_EQ(*persisted, *record);
  EXPECT_EQ(created->persist.key, Bytes(created->payment_hash.begin(), created->payment_hash.end()));
}

TEST_F(RegistryTest, CreateRefusesReusedEntropyAndZeroAmount) {
  invoice(Msat(1000), 7);
  InvoiceRequest request;
  request.amount_msat = Msat(1000);
  EXPECT_FALSE(registry.create(request, InvoiceEntropy{filled<Preimage>(7), filled<PaymentSecret>(9)},
                               node, now)
                   .ok());
  request.amount_msat = Msat(0);
  EXPECT_FALSE(registry.create(request, InvoiceEntropy{filled<Preimage>(8), filled<PaymentSecret>(9)},
                               node, now)
                   .ok());
  EXPECT_EQ(registry.size(), 1u);
}

TEST_F(RegistryTest, SinglePartSettlesWithThePreimage) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  RegistryOutput out = registry.on_htlc(htlc(created, Msat(10'000), 0), height, now);
  ASSERT_EQ(out.resolutions.size(), 1u);
  EXPECT_EQ(std::get<Fulfill>(out.resolutions[0]),
            (Fulfill{HtlcKey{channel, 0}, filled<Preimage>(1)}));
  EXPECT_EQ(out.paid, std::vector<PaymentHash>{created.payment_hash});
  ASSERT_EQ(out.persist.size(), 1u);
  const InvoiceRecord* record = registry.find(created.payment_hash);
  EXPECT_EQ(record->state, InvoiceState::paid);
  EXPECT_EQ(record->paid_at, now);
  EXPECT_EQ(*decode_invoice_record(out.persist[0].record), *record);
}

TEST_F(RegistryTest, UnknownHashIsIncorrectOrUnknownPaymentDetails) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  FinalHtlc h = htlc(created, Msat(10'000), 0);
  h.payment_hash = filled<PaymentHash>(0x99);
  RegistryOutput out = registry.on_htlc(std::move(h), height, now);
  auto message = failure_in(out.resolutions.at(0));
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->code, to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(message->htlc_msat, Msat(10'000));
  EXPECT_EQ(message->height, height);
  EXPECT_TRUE(out.persist.empty());
}

TEST_F(RegistryTest, HtlcBelowItsOnionIsFinalIncorrectHtlcAmount) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  FinalHtlc h = htlc(created, Msat(10'000), 0);
  h.amount_msat = Msat(9'999);
  RegistryOutput out = registry.on_htlc(std::move(h), height, now);
  auto message = failure_in(out.resolutions.at(0));
  EXPECT_EQ(message->code, to_u16(FailureCode::final_incorrect_htlc_amount));
  EXPECT_EQ(message->incoming_htlc_amt, Msat(9'999));
}

TEST_F(RegistryTest, HtlcExpiryBelowItsOnionIsFinalIncorrectCltvExpiry) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  FinalHtlc h = htlc(created, Msat(10'000), 0);
  h.cltv_expiry = BlockHeight(h.outgoing_cltv_value.value() - 1);
  RegistryOutput out = registry.on_htlc(std::move(h), height, now);
  auto message = failure_in(out.resolutions.at(0));
  EXPECT_EQ(message->code, to_u16(FailureCode::final_incorrect_cltv_expiry));
  EXPECT_EQ(message->cltv_expiry, BlockHeight(height.value() + 29));
}

TEST_F(RegistryTest, SecretMissingOrWrongIsRefused) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  FinalHtlc missing = htlc(created, Msat(10'000), 0);
  missing.payment_secret.reset();
  EXPECT_EQ(code_in(registry.on_htlc(std::move(missing), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  FinalHtlc wrong = htlc(created, Msat(10'000), 1);
  wrong.payment_secret = filled<PaymentSecret>(0x01);
  EXPECT_EQ(code_in(registry.on_htlc(std::move(wrong), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(registry.find(created.payment_hash)->state, InvoiceState::unpaid);
}

TEST_F(RegistryTest, AmountFromTheInvoiceAmountUpToTwiceIt) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  EXPECT_EQ(code_in(registry.on_htlc(htlc(created, Msat(9'999), 0), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(code_in(registry.on_htlc(htlc(created, Msat(20'001), 1), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  RegistryOutput twice = registry.on_htlc(htlc(created, Msat(20'000), 2), height, now);
  ASSERT_EQ(twice.resolutions.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Fulfill>(twice.resolutions[0]));
  EXPECT_EQ(registry.find(created.payment_hash)->received_msat, Msat(20'000));
}

TEST_F(RegistryTest, AnyAmountInvoiceTakesWhatIsSent) {
  CreatedInvoice created = invoice(std::nullopt, 1);
  RegistryOutput out = registry.on_htlc(htlc(created, Msat(1), 0), height, now);
  ASSERT_EQ(out.resolutions.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Fulfill>(out.resolutions[0]));
}

TEST_F(RegistryTest, ExpiryTooCloseToTheTipIsRefused) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  FinalHtlc close = htlc(created, Msat(10'000), 0);
  close.cltv_expiry = close.outgoing_cltv_value = BlockHeight(height.value() + 17);
  EXPECT_EQ(code_in(registry.on_htlc(std::move(close), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  FinalHtlc enough = htlc(created, Msat(10'000), 1);
  enough.cltv_expiry = enough.outgoing_cltv_value = BlockHeight(height.value() + 18);
  RegistryOutput out = registry.on_htlc(std::move(enough), height, now);
  EXPECT_TRUE(std::holds_alternative<Fulfill>(out.resolutions.at(0)));
}

TEST_F(RegistryTest, ExpiredInvoiceIsRefusedAndMarkedExpired) {
  CreatedInvoice created = invoice(Msat(10'000), 1, 100);
  EXPECT_TRUE(registry.on_tick(now + 100).persist.empty());  // expiry is after timestamp + 100
  EXPECT_EQ(code_in(registry.on_htlc(htlc(created, Msat(10'000), 0), height, now + 101)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  RegistryOutput tick = registry.on_tick(now + 101);
  ASSERT_EQ(tick.persist.size(), 1u);
  EXPECT_EQ(registry.find(created.payment_hash)->state, InvoiceState::expired);
  EXPECT_EQ(decode_invoice_record(tick.persist[0].record)->state, InvoiceState::expired);
  EXPECT_TRUE(registry.on_tick(now + 1000).persist.empty());
}

TEST_F(RegistryTest, PaidInvoiceRefusesNewHtlcsAndReplaysTheFulfil) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  registry.on_htlc(htlc(created, Msat(10'000), 0), height, now);
  // The same HTLC again (a replay after a restart): fulfilled again, nothing changes.
  RegistryOutput replay = registry.on_htlc(htlc(created, Msat(10'000), 0), height, now + 5);
  ASSERT_EQ(replay.resolutions.size(), 1u);
  EXPECT_EQ(std::get<Fulfill>(replay.resolutions[0]).payment_preimage, filled<Preimage>(1));
  EXPECT_TRUE(replay.persist.empty());
  EXPECT_TRUE(replay.paid.empty());
  EXPECT_EQ(registry.find(created.payment_hash)->paid_at, now);
  // A new HTLC for the paid hash: treated as unknown.
  EXPECT_EQ(code_in(registry.on_htlc(htlc(created, Msat(10'000), 1), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
}

TEST_F(RegistryTest, SetCollectsUntilTotalAndIgnoresReplayedParts) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  RegistryOutput first = registry.on_htlc(htlc(created, Msat(4'000), 0, Msat(10'000)), height, now);
  EXPECT_TRUE(first.resolutions.empty());
  EXPECT_EQ(first.persist.size(), 1u);
  // The first part replayed: not counted twice.
  EXPECT_TRUE(registry.on_htlc(htlc(created, Msat(4'000), 0, Msat(10'000)), height, now)
                  .resolutions.empty());
  RegistryOutput second =
      registry.on_htlc(htlc(created, Msat(4'000), 1, Msat(10'000)), height, now + 1);
  EXPECT_TRUE(second.resolutions.empty());
  RegistryOutput third =
      registry.on_htlc(htlc(created, Msat(2'000), 2, Msat(10'000)), height, now + 2);
  ASSERT_EQ(third.resolutions.size(), 3u);
  for (uint64_t id = 0; id < 3; ++id) {
    EXPECT_EQ(std::get<Fulfill>(third.resolutions[id]),
              (Fulfill{HtlcKey{channel, id}, filled<Preimage>(1)}));
  }
  EXPECT_EQ(registry.find(created.payment_hash)->received_msat, Msat(10'000));
}

TEST_F(RegistryTest, SetWithDifferentTotalsFailsEntirely) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  registry.on_htlc(htlc(created, Msat(4'000), 0, Msat(10'000)), height, now);
  RegistryOutput out = registry.on_htlc(htlc(created, Msat(7'000), 1, Msat(11'000)), height, now);
  ASSERT_EQ(out.resolutions.size(), 2u);
  EXPECT_EQ(htlc_of(out.resolutions[0]), (HtlcKey{channel, 0}));
  EXPECT_EQ(htlc_of(out.resolutions[1]), (HtlcKey{channel, 1}));
  EXPECT_EQ(code_in(out, 0), to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(code_in(out, 1), to_u16(FailureCode::incorrect_or_unknown_payment_details));
  const InvoiceRecord* record = registry.find(created.payment_hash);
  EXPECT_TRUE(record->parts.empty());
  EXPECT_FALSE(record->held_set.has_value());
}

TEST_F(RegistryTest, SetTimesOutAfterSixtySecondsFromItsFirstPart) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  registry.on_htlc(htlc(created, Msat(3'000), 0, Msat(10'000)), height, now);
  registry.on_htlc(htlc(created, Msat(3'000), 1, Msat(10'000)), height, now + 30);
  EXPECT_TRUE(registry.on_tick(now + 59).resolutions.empty());
  RegistryOutput out = registry.on_tick(now + 60);
  ASSERT_EQ(out.resolutions.size(), 2u);
  EXPECT_EQ(code_in(out, 0), to_u16(FailureCode::mpp_timeout));
  EXPECT_EQ(code_in(out, 1), to_u16(FailureCode::mpp_timeout));
  ASSERT_EQ(out.persist.size(), 1u);
  // The invoice can still be paid afterwards.
  RegistryOutput paid = registry.on_htlc(htlc(created, Msat(10'000), 2), height, now + 61);
  EXPECT_TRUE(std::holds_alternative<Fulfill>(paid.resolutions.at(0)));
}

TEST_F(RegistryTest, SetIsBoundedInParts) {
  registry = InvoiceRegistry(RegistryConfig{"bcrt", 60, 3});
  CreatedInvoice created = invoice(Msat(10'000), 1);
  for (uint64_t id = 0; id < 3; ++id) {
    EXPECT_TRUE(registry.on_htlc(htlc(created, Msat(1), id, Msat(10'000)), height, now)
                    .resolutions.empty());
  }
  EXPECT_EQ(code_in(registry.on_htlc(htlc(created, Msat(1), 3, Msat(10'000)), height, now)),
            to_u16(FailureCode::temporary_node_failure));
  EXPECT_EQ(registry.find(created.payment_hash)->parts.size(), 3u);
}

TEST_F(RegistryTest, NewBlockFailsHeldPartsThatCameTooClose) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  FinalHtlc early = htlc(created, Msat(4'000), 0, Msat(10'000));
  early.cltv_expiry = early.outgoing_cltv_value = BlockHeight(height.value() + 20);
  FinalHtlc late = htlc(created, Msat(4'000), 1, Msat(10'000));
  late.cltv_expiry = late.outgoing_cltv_value = BlockHeight(height.value() + 40);
  EXPECT_TRUE(registry.on_htlc(std::move(early), height, now).resolutions.empty());
  EXPECT_TRUE(registry.on_htlc(std::move(late), height, now).resolutions.empty());
  EXPECT_TRUE(registry.on_block(BlockHeight(height.value() + 2)).resolutions.empty());
  RegistryOutput out = registry.on_block(BlockHeight(height.value() + 3));
  ASSERT_EQ(out.resolutions.size(), 1u);
  EXPECT_EQ(htlc_of(out.resolutions[0]), (HtlcKey{channel, 0}));
  EXPECT_EQ(code_in(out), to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(registry.find(created.payment_hash)->parts.size(), 1u);
  EXPECT_TRUE(registry.find(created.payment_hash)->held_set.has_value());
}

TEST_F(RegistryTest, KeysendReceipt) {
  Preimage preimage = filled<Preimage>(0x55);
  RegistryOutput out = registry.on_htlc(keysend(preimage, Msat(777), 0), height, now);
  ASSERT_EQ(out.resolutions.size(), 1u);
  EXPECT_EQ(std::get<Fulfill>(out.resolutions[0]).payment_preimage, preimage);
  const InvoiceRecord* receipt = registry.find(PaymentHash(crypto::sha256(preimage.span()).array()));
  ASSERT_NE(receipt, nullptr);
  EXPECT_TRUE(receipt->is_keysend());
  EXPECT_EQ(receipt->received_msat, Msat(777));
  EXPECT_EQ(*decode_invoice_record(out.persist.at(0).record), *receipt);
  // The same preimage again in a new HTLC: one keysend is one payment.
  EXPECT_EQ(code_in(registry.on_htlc(keysend(preimage, Msat(777), 1), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
}

TEST_F(RegistryTest, ListsInvoicesAndReceiptsOldestFirst) {
  CreatedInvoice first = invoice(Msat(1000), 0x61);
  now += 5;
  Preimage preimage = filled<Preimage>(0x62);
  registry.on_htlc(keysend(preimage, Msat(10), 0), height, now);
  now += 5;
  CreatedInvoice third = invoice(std::nullopt, 0x63);
  auto list = registry.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]->payment_hash, first.payment_hash);
  EXPECT_TRUE(list[1]->is_keysend());
  EXPECT_EQ(list[1]->state, InvoiceState::paid);
  EXPECT_EQ(list[2]->payment_hash, third.payment_hash);
  EXPECT_EQ(list[2]->state, InvoiceState::unpaid);
}

TEST_F(RegistryTest, KeysendRefusals) {
  FinalHtlc wrong_hash = keysend(filled<Preimage>(0x56), Msat(777), 0);
  wrong_hash.payment_hash = filled<PaymentHash>(0x56);
  EXPECT_EQ(code_in(registry.on_htlc(std::move(wrong_hash), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  FinalHtlc multipart = keysend(filled<Preimage>(0x57), Msat(777), 1);
  multipart.total_msat = Msat(1554);
  EXPECT_EQ(code_in(registry.on_htlc(std::move(multipart), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  FinalHtlc close = keysend(filled<Preimage>(0x58), Msat(777), 2);
  close.cltv_expiry = close.outgoing_cltv_value = BlockHeight(height.value() + 17);
  EXPECT_EQ(code_in(registry.on_htlc(std::move(close), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  // The preimage of one of our invoices, sent as keysend, is refused too.
  CreatedInvoice created = invoice(Msat(10'000), 0x59);
  EXPECT_EQ(code_in(registry.on_htlc(keysend(filled<Preimage>(0x59), Msat(10'000), 3), height, now)),
            to_u16(FailureCode::incorrect_or_unknown_payment_details));
  EXPECT_EQ(registry.find(created.payment_hash)->state, InvoiceState::unpaid);
  EXPECT_EQ(registry.size(), 1u);
}

TEST_F(RegistryTest, HeldPartSurvivesARestart) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  std::map<Bytes, Bytes> store{{created.persist.key, created.persist.record}};
  auto keep = [&](const RegistryOutput& out) {
    for (const auto& p : out.persist) store[p.key] = p.record;
  };
  keep(registry.on_htlc(htlc(created, Msat(6'000), 0, Msat(10'000)), height, now));

  InvoiceRegistry restarted(RegistryConfig{"bcrt"});
  for (const auto& [key, record] : store) ASSERT_TRUE(restarted.load(record).ok());
  EXPECT_FALSE(restarted.load(store.begin()->second).ok());  // duplicate
  // The restored part counts, and times out 60 s after it arrived, with its own secret.
  registry = std::move(restarted);
  RegistryOutput out = registry.on_tick(now + 60);
  ASSERT_EQ(out.resolutions.size(), 1u);
  EXPECT_EQ(code_in(out), to_u16(FailureCode::mpp_timeout));
}

TEST_F(RegistryTest, RestoredSetCompletesWithTheNextPart) {
  CreatedInvoice created = invoice(Msat(10'000), 1);
  RegistryOutput first = registry.on_htlc(htlc(created, Msat(6'000), 0, Msat(10'000)), height, now);
  InvoiceRegistry restarted(RegistryConfig{"bcrt"});
  ASSERT_TRUE(restarted.load(first.persist.at(0).record).ok());
  const CreatedInvoice copy = created;
  FinalHtlc second = htlc(copy, Msat(4'000), 1, Msat(10'000));
  RegistryOutput out = restarted.on_htlc(std::move(second), height, now + 1);
  ASSERT_EQ(out.resolutions.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Fulfill>(out.resolutions[0]));
  EXPECT_TRUE(std::holds_alternative<Fulfill>(out.resolutions[1]));
  EXPECT_EQ(restarted.find(created.payment_hash)->state, InvoiceState::paid);
}

}  // namespace
}  // namespace fulgur::payment::test
