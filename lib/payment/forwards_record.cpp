// The forward record: u16 version 1, then a TLV stream (even types required, odd optional).
// Decoding refuses an unknown state and resolution fields that do not match the state, so a
// decoded record can be loaded as is and re-encodes to the same bytes.
#include <string>

#include "payment/forwards.h"
#include "payment/record_io.h"
#include "wire/record_codec.h"

namespace fulgur::payment {

// The field tables (named, not anonymous: their generated operator== must not be an
// unused internal function).
namespace record_fields {
#define PAYMENT_FORWARD_RECORD(R)                                                                \
  R(0, ChannelId, incoming_channel_id, fixed)                                                    \
  R(2, uint64_t, incoming_htlc_id, u64)                                                          \
  R(4, ChannelId, outgoing_channel_id, fixed)                                                    \
  R(6, uint64_t, outgoing_htlc_id, u64)                                                          \
  R(8, ShortChannelId, outgoing_short_channel_id, short_channel_id)                              \
  R(10, PaymentHash, payment_hash, fixed)                                                        \
  R(12, Msat, incoming_amount_msat, u64)                                                         \
  R(14, Msat, outgoing_amount_msat, u64)                                                         \
  R(16, BlockHeight, incoming_cltv_expiry, u32)                                                  \
  R(18, BlockHeight, outgoing_cltv_expiry, u32)                                                  \
  R(20, Hash256, shared_secret, fixed)                                                           \
  R(22, uint64_t, received_at, u64)                                                              \
  R(24, uint8_t, state, u8)                                                                      \
  R(25, uint64_t, resolved_at, u64)                                                              \
  R(27, Preimage, payment_preimage, fixed)                                                       \
  R(29, Bytes, failure_reason, rest_bytes)                                                       \
  R(31, uint16_t, failure_code, u16)                                                             \
  R(33, wire::Flag, outgoing_dropped, empty)
FULGUR_WIRE_DECLARE_TLVS(ForwardFields, PAYMENT_FORWARD_RECORD)
FULGUR_WIRE_DEFINE_TLVS(ForwardFields, PAYMENT_FORWARD_RECORD)
}  // namespace record_fields

using namespace record_fields;

namespace {

constexpr const char* WHAT = "forward record";

Status check_invariants(const ForwardRecord& r) {
  auto bad = [](const char* why) { return fail(std::string(WHAT) + ": " + why); };
  const bool resolved = r.state != ForwardState::offered;
  if (r.resolved_at.has_value() != resolved) return bad("resolved_at does not match the state");
  if (r.payment_preimage.has_value() != (r.state == ForwardState::settled)) {
    return bad("preimage does not match the state");
  }
  if (r.failure_reason.has_value() != (r.state == ForwardState::failed)) {
    return bad("failure reason does not match the state");
  }
  if (r.failure_code && r.state != ForwardState::failed) return bad("failure code while not failed");
  if (r.outgoing_dropped && (r.state != ForwardState::failed || !r.failure_code)) {
    return bad("a dropped outgoing HTLC is a failure of ours");
  }
  return {};
}

}  // namespace

Bytes encode_forward_record(const ForwardRecord& r) {
  ForwardFields f;
  f.incoming_channel_id = r.incoming.channel_id;
  f.incoming_htlc_id = r.incoming.htlc_id;
  f.outgoing_channel_id = r.outgoing.channel_id;
  f.outgoing_htlc_id = r.outgoing.htlc_id;
  f.outgoing_short_channel_id = r.outgoing_short_channel_id;
  f.payment_hash = r.payment_hash;
  f.incoming_amount_msat = r.incoming_amount_msat;
  f.outgoing_amount_msat = r.outgoing_amount_msat;
  f.incoming_cltv_expiry = r.incoming_cltv_expiry;
  f.outgoing_cltv_expiry = r.outgoing_cltv_expiry;
  f.shared_secret = *Hash256::from_span(r.shared_secret.expose());
  f.received_at = r.received_at;
  f.state = static_cast<uint8_t>(r.state);
  f.resolved_at = r.resolved_at;
  f.payment_preimage = r.payment_preimage;
  f.failure_reason = r.failure_reason;
  f.failure_code = r.failure_code;
  if (r.outgoing_dropped) f.outgoing_dropped = wire::Flag{};
  f.unknown = r.extensions;
  return detail::write_versioned(ForwardRecord::VERSION, f);
}

Result<ForwardRecord> decode_forward_record(ByteSpan bytes) {
  FULGUR_TRY(ForwardFields f,
             detail::read_versioned<ForwardFields>(bytes, ForwardRecord::VERSION, WHAT));
  using detail::required;
  ForwardRecord r;
  FULGUR_TRY(r.incoming.channel_id, required(f.incoming_channel_id, WHAT, "incoming_channel_id"));
  FULGUR_TRY(r.incoming.htlc_id, required(f.incoming_htlc_id, WHAT, "incoming_htlc_id"));
  FULGUR_TRY(r.outgoing.channel_id, required(f.outgoing_channel_id, WHAT, "outgoing_channel_id"));
  FULGUR_TRY(r.outgoing.htlc_id, required(f.outgoing_htlc_id, WHAT, "outgoing_htlc_id"));
  FULGUR_TRY(r.outgoing_short_channel_id,
             required(f.outgoing_short_channel_id, WHAT, "outgoing_short_channel_id"));
  FULGUR_TRY(r.payment_hash, required(f.payment_hash, WHAT, "payment_hash"));
  FULGUR_TRY(r.incoming_amount_msat,
             required(f.incoming_amount_msat, WHAT, "incoming_amount_msat"));
  FULGUR_TRY(r.outgoing_amount_msat,
             required(f.outgoing_amount_msat, WHAT, "outgoing_amount_msat"));
  FULGUR_TRY(r.incoming_cltv_expiry,
             required(f.incoming_cltv_expiry, WHAT, "incoming_cltv_expiry"));
  FULGUR_TRY(r.outgoing_cltv_expiry,
             required(f.outgoing_cltv_expiry, WHAT, "outgoing_cltv_expiry"));
  FULGUR_TRY(Hash256 secret, required(f.shared_secret, WHAT, "shared_secret"));
  r.shared_secret = crypto::Secret32(secret.span());
  FULGUR_TRY(r.received_at, required(f.received_at, WHAT, "received_at"));
  FULGUR_TRY(uint8_t state, required(f.state, WHAT, "state"));
  if (state > static_cast<uint8_t>(ForwardState::failed)) {
    return fail(std::string(WHAT) + ": unknown state " + std::to_string(state));
  }
  r.state = static_cast<ForwardState>(state);
  r.resolved_at = f.resolved_at;
  r.payment_preimage = f.payment_preimage;
  r.failure_reason = std::move(f.failure_reason);
  r.failure_code = f.failure_code;
  r.outgoing_dropped = f.outgoing_dropped.has_value();
  r.extensions = std::move(f.unknown);
  FULGUR_TRY_STATUS(check_invariants(r));
  return r;
}

}  // namespace fulgur::payment
