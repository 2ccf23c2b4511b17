// The persisted records: random records in every state round-trip byte for byte; unknown
// odd fields of a later version are kept; a wrong version, an unknown even field, a
// missing field or a state that contradicts its fields is refused.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "harness.h"
#include "wire/tlv.h"

namespace fulgur::payment::test {
namespace {

template <typename Fixed>
Fixed any_fixed() {
  return filled<Fixed>(*rc::gen::arbitrary<uint8_t>());
}
HtlcKey any_key() { return HtlcKey{any_fixed<ChannelId>(), *rc::gen::arbitrary<uint64_t>()}; }
Msat any_msat() { return Msat(*rc::gen::arbitrary<uint64_t>()); }
crypto::Secret32 any_secret() { return crypto::Secret32(any_fixed<Hash256>().span()); }
// Unknown odd records, as a later version might add (types above the known ones).
wire::TlvRecords any_extensions() {
  wire::TlvRecords out;
  uint64_t type = 101;
  const size_t count = *rc::gen::inRange<size_t>(0, 3);
  for (size_t i = 0; i < count; ++i) {
    out.push_back(wire::TlvRecord{type, *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>())});
    type += 2 * *rc::gen::inRange<uint64_t>(1, 1000);
  }
  return out;
}

InvoiceRecord any_invoice_record() {
  InvoiceRecord r;
  r.payment_hash = any_fixed<PaymentHash>();
  r.payment_preimage = any_fixed<Preimage>();
  r.created_at = *rc::gen::arbitrary<uint64_t>();
  r.expiry_seconds = *rc::gen::arbitrary<uint64_t>();
  r.min_final_cltv_expiry_delta = CltvDelta(*rc::gen::arbitrary<uint32_t>());
  r.state = static_cast<InvoiceState>(*rc::gen::inRange<uint8_t>(0, 3));
  const bool keysend = r.state == InvoiceState::paid && *rc::gen::arbitrary<bool>();
  if (!keysend) {
    r.payment_secret = any_fixed<PaymentSecret>();
    r.bolt11 = *rc::gen::nonEmpty(rc::gen::string<std::string>());
    if (*rc::gen::arbitrary<bool>()) r.amount_msat = any_msat();
  }
  const size_t parts = r.state == InvoiceState::expired ? 0
                       : r.state == InvoiceState::paid  ? *rc::gen::inRange<size_t>(1, 4)
                                                        : *rc::gen::inRange<size_t>(0, 4);
  for (size_t i = 0; i < parts; ++i) {
    r.parts.push_back(ReceivedPart{any_key(), any_msat(), any_msat(),
                                   BlockHeight(*rc::gen::arbitrary<uint32_t>()), any_secret()});
  }
  if (r.state == InvoiceState::unpaid && parts > 0) {
    r.held_set = HeldSet{any_msat(), *rc::gen::arbitrary<uint64_t>()};
  }
  if (r.state == InvoiceState::paid) {
    r.received_msat = any_msat();
    r.paid_at = *rc::gen::arbitrary<uint64_t>();
  }
  r.extensions = any_extensions();
  return r;
}

ForwardRecord any_forward_record() {
  ForwardRecord r;
  r.incoming = any_key();
  r.outgoing = any_key();
  r.outgoing_short_channel_id = ShortChannelId(*rc::gen::arbitrary<uint64_t>());
  r.payment_hash = any_fixed<PaymentHash>();
  r.incoming_amount_msat = any_msat();
  r.outgoing_amount_msat = any_msat();
  r.incoming_cltv_expiry = BlockHeight(*rc::gen::arbitrary<uint32_t>());
  r.outgoing_cltv_expiry = BlockHeight(*rc::gen::arbitrary<uint32_t>());
  r.shared_secret = any_secret();
  r.received_at = *rc::gen::arbitrary<uint64_t>();
  r.state = static_cast<ForwardState>(*rc::gen::inRange<uint8_t>(0, 3));
  if (r.state != ForwardState::offered) r.resolved_at = *rc::gen::arbitrary<uint64_t>();
  if (r.state == ForwardState::settled) r.payment_preimage = any_fixed<Preimage>();
  if (r.state == ForwardState::failed) {
    r.failure_reason = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
    if (*rc::gen::arbitrary<bool>()) r.failure_code = *rc::gen::arbitrary<uint16_t>();
    r.outgoing_dropped = r.failure_code.has_value() && *rc::gen::arbitrary<bool>();
  }
  r.extensions = any_extensions();
  return r;
}

PaymentRecord any_payment_record() {
  PaymentRecord r;
  r.htlc = any_key();
  r.payment_hash = any_fixed<PaymentHash>();
  if (*rc::gen::arbitrary<bool>()) r.payment_secret = any_fixed<PaymentSecret>();
  r.amount_msat = any_msat();
  r.total_msat = any_msat();
  r.sent_msat = any_msat();
  r.cltv_expiry = BlockHeight(*rc::gen::arbitrary<uint32_t>());
  const size_t hops = *rc::gen::inRange<size_t>(1, 21);
  for (size_t i = 0; i < hops; ++i) {
    r.route.push_back(RouteHop{any_fixed<NodeId>(), ShortChannelId(*rc::gen::arbitrary<uint64_t>()),
                               any_msat(), *rc::gen::arbitrary<uint32_t>(),
                               CltvDelta(*rc::gen::arbitrary<uint32_t>()), any_msat(), any_msat()});
    r.shared_secrets.push_back(any_secret());
  }
  r.destination = r.route.back().node_id;
  r.created_at = *rc::gen::arbitrary<uint64_t>();
  r.state = static_cast<PaymentState>(*rc::gen::inRange<uint8_t>(0, 3));
  if (r.state != PaymentState::pending) r.resolved_at = *rc::gen::arbitrary<uint64_t>();
  if (r.is_keysend() || r.state == PaymentState::succeeded) r.payment_preimage = any_fixed<Preimage>();
  if (r.state == PaymentState::failed) {
    PaymentFailure failure;
    if (*rc::gen::arbitrary<bool>()) {
      failure.hop_index = *rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(hops));
      failure.erring_node = r.route[*failure.hop_index].node_id;
      failure.failure_message = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
    }
    if (*rc::gen::arbitrary<bool>()) failure.failure_code = *rc::gen::arbitrary<uint16_t>();
    r.dropped = !failure.hop_index && *rc::gen::arbitrary<bool>();
    r.failure = std::move(failure);
  }
  r.extensions = any_extensions();
  return r;
}

RC_GTEST_PROP(PaymentRecords, InvoiceRecordRoundTrips, ()) {
  InvoiceRecord record = any_invoice_record();
  Bytes bytes = encode_invoice_record(record);
  auto decoded = decode_invoice_record(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == record);
  RC_ASSERT(encode_invoice_record(*decoded) == bytes);
}

RC_GTEST_PROP(PaymentRecords, ForwardRecordRoundTrips, ()) {
  ForwardRecord record = any_forward_record();
  Bytes bytes = encode_forward_record(record);
  auto decoded = decode_forward_record(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == record);
  RC_ASSERT(encode_forward_record(*decoded) == bytes);
}

RC_GTEST_PROP(PaymentRecords, PaymentRecordRoundTrips, ()) {
  PaymentRecord record = any_payment_record();
  Bytes bytes = encode_payment_record(record);
  auto decoded = decode_payment_record(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == record);
  RC_ASSERT(encode_payment_record(*decoded) == bytes);
}

// A settled forward, for the refusals below.
ForwardRecord settled_forward() {
  ForwardRecord r;
  r.incoming = HtlcKey{channel_id_of(1), 1};
  r.outgoing = HtlcKey{channel_id_of(2), 2};
  r.state = ForwardState::settled;
  r.resolved_at = 5;
  r.payment_preimage = filled<Preimage>(3);
  return r;
}

// Appends one TLV record to an encoded record (types above every known one).
Bytes with_field(Bytes bytes, uint64_t type, const Bytes& value) {
  wire::Writer w;
  wire::write_tlv_record(w, type, value);
  append(bytes, w.data());
  return bytes;
}

TEST(PaymentRecords, VersionAndUnknownFields) {
  Bytes good = encode_forward_record(settled_forward());
  ASSERT_TRUE(decode_forward_record(good).ok());
  Bytes v2 = good;
  v2[1] = 2;
  EXPECT_FALSE(decode_forward_record(v2).ok());
  EXPECT_FALSE(decode_forward_record(ByteSpan(good).first(1)).ok());
  EXPECT_FALSE(decode_forward_record(ByteSpan(good).first(good.size() - 1)).ok());
  // A later version's odd field is kept and written back; an even one is refused.
  auto odd = decode_forward_record(with_field(good, 1001, Bytes{7, 7}));
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->extensions.size(), 1u);
  EXPECT_EQ(encode_forward_record(*odd), with_field(good, 1001, Bytes{7, 7}));
  EXPECT_FALSE(decode_forward_record(with_field(good, 1000, Bytes{7, 7})).ok());
}

TEST(PaymentRecords, StateMustMatchItsFields) {
  ForwardRecord r = settled_forward();
  r.payment_preimage.reset();
  EXPECT_FALSE(decode_forward_record(encode_forward_record(r)).ok());
  r = settled_forward();
  r.failure_reason = Bytes{1};
  EXPECT_FALSE(decode_forward_record(encode_forward_record(r)).ok());
  r = settled_forward();
  r.resolved_at.reset();
  EXPECT_FALSE(decode_forward_record(encode_forward_record(r)).ok());
  r = settled_forward();
  r.outgoing_dropped = true;  // only a failure of ours
  EXPECT_FALSE(decode_forward_record(encode_forward_record(r)).ok());

  InvoiceRecord paid;
  paid.bolt11 = "lnbcrt1";
  paid.payment_secret = filled<PaymentSecret>(1);
  paid.state = InvoiceState::paid;  // without any fulfilled part
  EXPECT_FALSE(decode_invoice_record(encode_invoice_record(paid)).ok());
  InvoiceRecord unpaid;
  unpaid.bolt11 = "lnbcrt1";
  unpaid.payment_secret = filled<PaymentSecret>(1);
  EXPECT_TRUE(decode_invoice_record(encode_invoice_record(unpaid)).ok());
  unpaid.held_set = HeldSet{Msat(5), 1};  // a set without parts
  EXPECT_FALSE(decode_invoice_record(encode_invoice_record(unpaid)).ok());
  unpaid.held_set.reset();
  unpaid.payment_secret.reset();  // an invoice without its secret
  EXPECT_FALSE(decode_invoice_record(encode_invoice_record(unpaid)).ok());
  unpaid.payment_secret = filled<PaymentSecret>(1);
  unpaid.bolt11 = "";
  EXPECT_FALSE(decode_invoice_record(encode_invoice_record(unpaid)).ok());

  PaymentRecord attempt;
  attempt.route.push_back(RouteHop{filled<NodeId>(2), ShortChannelId(1)});
  attempt.shared_secrets.emplace_back();
  attempt.destination = filled<NodeId>(2);
  attempt.payment_secret = filled<PaymentSecret>(1);
  EXPECT_TRUE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.shared_secrets.emplace_back();  // one secret too many
  EXPECT_FALSE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.shared_secrets.pop_back();
  attempt.destination = filled<NodeId>(3);
  EXPECT_FALSE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.destination = filled<NodeId>(2);
  attempt.state = PaymentState::failed;
  attempt.resolved_at = 1;
  attempt.failure = PaymentFailure{1u, filled<NodeId>(2), std::nullopt, {}};  // hop 1 of 1
  EXPECT_FALSE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.failure = PaymentFailure{0u, filled<NodeId>(2), std::nullopt, {}};
  EXPECT_TRUE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.dropped = true;  // a dropped HTLC reached no hop that could fail it
  EXPECT_FALSE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.failure = PaymentFailure{};
  EXPECT_TRUE(decode_payment_record(encode_payment_record(attempt)).ok());
  attempt.dropped = false;
  attempt.payment_secret.reset();  // keysend without its preimage
  EXPECT_FALSE(decode_payment_record(encode_payment_record(attempt)).ok());
}

TEST(PaymentRecords, MissingRequiredFieldIsRefused) {
  // A forward record with only its version and an empty stream.
  EXPECT_FALSE(decode_forward_record(Bytes{0, 1}).ok());
  EXPECT_FALSE(decode_invoice_record(Bytes{0, 1}).ok());
  EXPECT_FALSE(decode_payment_record(Bytes{0, 1}).ok());
  EXPECT_FALSE(decode_payment_record(Bytes{}).ok());
}

}  // namespace
}  // namespace fulgur::payment::test
