// The invoice record: u16 version 1, then a TLV stream. Even types are required, odd ones
// optional; parts are fixed-size subrecords. Decoding refuses what the registry could not
// hold (an unknown state, a held set on a paid invoice, parts without a set...) and every
// form that would not re-encode to the same bytes (an empty bolt11).
#include <string>

#include "payment/record_io.h"
#include "payment/registry.h"
#include "wire/record_codec.h"

namespace fulgur::payment {

// The field tables (named, not anonymous: their generated operator== must not be an
// unused internal function).
namespace record_fields {
#define PAYMENT_RECEIVED_PART(F)                                                                 \
  F(ChannelId, channel_id, fixed)                                                                \
  F(uint64_t, htlc_id, u64)                                                                      \
  F(Msat, amount_msat, u64)                                                                      \
  F(Msat, amt_to_forward, u64)                                                                   \
  F(BlockHeight, cltv_expiry, u32)                                                               \
  F(Hash256, shared_secret, fixed)
FULGUR_WIRE_DECLARE_RECORD(PartFields, PAYMENT_RECEIVED_PART)
FULGUR_WIRE_DEFINE_RECORD(PartFields, PAYMENT_RECEIVED_PART)

#define PAYMENT_HELD_SET(F) F(Msat, total_msat, u64) F(uint64_t, started_at, u64)
FULGUR_WIRE_DECLARE_RECORD(HeldSetFields, PAYMENT_HELD_SET)
FULGUR_WIRE_DEFINE_RECORD(HeldSetFields, PAYMENT_HELD_SET)

#define PAYMENT_INVOICE_RECORD(R)                                                                \
  R(0, PaymentHash, payment_hash, fixed)                                                         \
  R(2, Preimage, payment_preimage, fixed)                                                        \
  R(4, uint64_t, created_at, u64)                                                                \
  R(6, uint64_t, expiry_seconds, u64)                                                            \
  R(8, CltvDelta, min_final_cltv_expiry_delta, u32)                                              \
  R(10, uint8_t, state, u8)                                                                      \
  R(12, Msat, received_msat, u64)                                                                \
  R(14, uint64_t, paid_at, u64)                                                                  \
  R(16, std::vector<PartFields>, parts, rest_array<record>)                                      \
  R(17, PaymentSecret, payment_secret, fixed)                                                    \
  R(19, Bytes, bolt11, rest_bytes)                                                               \
  R(21, Msat, amount_msat, u64)                                                                  \
  R(23, HeldSetFields, held_set, record)
FULGUR_WIRE_DECLARE_TLVS(InvoiceFields, PAYMENT_INVOICE_RECORD)
FULGUR_WIRE_DEFINE_TLVS(InvoiceFields, PAYMENT_INVOICE_RECORD)
}  // namespace record_fields

using namespace record_fields;

namespace {

constexpr const char* WHAT = "invoice record";

Status check_invariants(const InvoiceRecord& r) {
  auto bad = [](const char* why) { return fail(std::string(WHAT) + ": " + why); };
  if (r.bolt11 && r.bolt11->empty()) return bad("empty bolt11");
  if (r.is_keysend() && r.payment_secret) return bad("keysend receipt with a payment_secret");
  if (!r.is_keysend() && !r.payment_secret) return bad("invoice without payment_secret");
  switch (r.state) {
    case InvoiceState::unpaid:
      if (r.held_set.has_value() == r.parts.empty()) return bad("parts and held set disagree");
      if (r.is_keysend()) return bad("unpaid keysend receipt");
      return {};
    case InvoiceState::paid:
      if (r.held_set || r.parts.empty()) return bad("paid without fulfilled parts");
      return {};
    case InvoiceState::expired:
      if (r.held_set || !r.parts.empty()) return bad("expired with held parts");
      return {};
  }
  return bad("unknown state");
}

}  // namespace

Bytes encode_invoice_record(const InvoiceRecord& r) {
  InvoiceFields f;
  f.payment_hash = r.payment_hash;
  f.payment_preimage = r.payment_preimage;
  f.created_at = r.created_at;
  f.expiry_seconds = r.expiry_seconds;
  f.min_final_cltv_expiry_delta = r.min_final_cltv_expiry_delta;
  f.state = static_cast<uint8_t>(r.state);
  f.received_msat = r.received_msat;
  f.paid_at = r.paid_at;
  f.parts.emplace();
  for (const auto& p : r.parts) {
    f.parts->push_back(PartFields{p.htlc.channel_id, p.htlc.htlc_id, p.amount_msat,
                                  p.amt_to_forward, p.cltv_expiry,
                                  Hash256(*Hash256::from_span(p.shared_secret.expose()))});
  }
  f.payment_secret = r.payment_secret;
  if (r.bolt11) f.bolt11 = Bytes(r.bolt11->begin(), r.bolt11->end());
  f.amount_msat = r.amount_msat;
  if (r.held_set) f.held_set = HeldSetFields{r.held_set->total_msat, r.held_set->started_at};
  f.unknown = r.extensions;
  return detail::write_versioned(InvoiceRecord::VERSION, f);
}

Result<InvoiceRecord> decode_invoice_record(ByteSpan bytes) {
  FULGUR_TRY(InvoiceFields f, detail::read_versioned<InvoiceFields>(bytes, InvoiceRecord::VERSION,
                                                                    WHAT));
  using detail::required;
  InvoiceRecord r;
  FULGUR_TRY(r.payment_hash, required(f.payment_hash, WHAT, "payment_hash"));
  FULGUR_TRY(r.payment_preimage, required(f.payment_preimage, WHAT, "payment_preimage"));
  FULGUR_TRY(r.created_at, required(f.created_at, WHAT, "created_at"));
  FULGUR_TRY(r.expiry_seconds, required(f.expiry_seconds, WHAT, "expiry_seconds"));
  FULGUR_TRY(r.min_final_cltv_expiry_delta,
             required(f.min_final_cltv_expiry_delta, WHAT, "min_final_cltv_expiry_delta"));
  FULGUR_TRY(uint8_t state, required(f.state, WHAT, "state"));
  if (state > static_cast<uint8_t>(InvoiceState::expired)) {
    return fail(std::string(WHAT) + ": unknown state " + std::to_string(state));
  }
  r.state = static_cast<InvoiceState>(state);
  FULGUR_TRY(r.received_msat, required(f.received_msat, WHAT, "received_msat"));
  FULGUR_TRY(r.paid_at, required(f.paid_at, WHAT, "paid_at"));
  FULGUR_TRY(std::vector<PartFields> parts, required(f.parts, WHAT, "parts"));
  for (const auto& p : parts) {
    r.parts.push_back(ReceivedPart{HtlcKey{p.channel_id, p.htlc_id}, p.amount_msat,
                                   p.amt_to_forward, p.cltv_expiry,
                                   crypto::Secret32(p.shared_secret.span())});
  }
  r.payment_secret = f.payment_secret;
  if (f.bolt11) r.bolt11 = std::string(f.bolt11->begin(), f.bolt11->end());
  r.amount_msat = f.amount_msat;
  if (f.held_set) r.held_set = HeldSet{f.held_set->total_msat, f.held_set->started_at};
  r.extensions = std::move(f.unknown);
  FULGUR_TRY_STATUS(check_invariants(r));
  return r;
}

}  // namespace fulgur::payment
