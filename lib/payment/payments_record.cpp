// The payment attempt record: u16 version 1, then a TLV stream (even types required, odd
// optional). The route is a list of fixed-size subrecords, the failure a nested TLV stream.
// Decoding refuses what would break the tracker (secrets not matching the route, state
// fields that disagree) and every form that would not re-encode to the same bytes.
#include <string>

#include "onion/sphinx.h"
#include "payment/payments.h"
#include "payment/record_io.h"
#include "wire/record_codec.h"

namespace fulgur::payment {

// The field tables (named, not anonymous: their generated operator== must not be an
// unused internal function).
namespace record_fields {
#define PAYMENT_ROUTE_HOP(F)                                                                     \
  F(NodeId, node_id, fixed)                                                                      \
  F(ShortChannelId, short_channel_id, short_channel_id)                                          \
  F(Msat, fee_base_msat, u64)                                                                    \
  F(uint32_t, fee_proportional_millionths, u32)                                                  \
  F(CltvDelta, cltv_expiry_delta, u32)                                                           \
  F(Msat, htlc_minimum_msat, u64)                                                                \
  F(Msat, htlc_maximum_msat, u64)
FULGUR_WIRE_DECLARE_RECORD(RouteHopFields, PAYMENT_ROUTE_HOP)
FULGUR_WIRE_DEFINE_RECORD(RouteHopFields, PAYMENT_ROUTE_HOP)

#define PAYMENT_FAILURE(R)                                                                       \
  R(1, uint32_t, hop_index, u32)                                                                 \
  R(3, NodeId, erring_node, fixed)                                                               \
  R(5, uint16_t, failure_code, u16)                                                              \
  R(7, Bytes, failure_message, rest_bytes)
FULGUR_WIRE_DECLARE_TLVS(FailureFields, PAYMENT_FAILURE)
FULGUR_WIRE_DEFINE_TLVS(FailureFields, PAYMENT_FAILURE)

#define PAYMENT_ATTEMPT_RECORD(R)                                                                \
  R(0, ChannelId, channel_id, fixed)                                                             \
  R(2, uint64_t, htlc_id, u64)                                                                   \
  R(4, PaymentHash, payment_hash, fixed)                                                         \
  R(6, NodeId, destination, fixed)                                                               \
  R(8, Msat, amount_msat, u64)                                                                   \
  R(10, Msat, total_msat, u64)                                                                   \
  R(12, Msat, sent_msat, u64)                                                                    \
  R(14, BlockHeight, cltv_expiry, u32)                                                           \
  R(16, std::vector<RouteHopFields>, route, rest_array<record>)                                  \
  R(18, std::vector<Hash256>, shared_secrets, rest_array<fixed>)                                 \
  R(20, uint64_t, created_at, u64)                                                               \
  R(22, uint8_t, state, u8)                                                                      \
  R(23, PaymentSecret, payment_secret, fixed)                                                    \
  R(25, uint64_t, resolved_at, u64)                                                              \
  R(27, Preimage, payment_preimage, fixed)                                                       \
  R(29, FailureFields, failure, record)                                                         \
  R(31, wire::Flag, dropped, empty)
FULGUR_WIRE_DECLARE_TLVS(AttemptFields, PAYMENT_ATTEMPT_RECORD)
FULGUR_WIRE_DEFINE_TLVS(AttemptFields, PAYMENT_ATTEMPT_RECORD)
}  // namespace record_fields

using namespace record_fields;

namespace {

constexpr const char* WHAT = "payment record";

Status check_failure(const PaymentRecord& r, const FailureFields& f) {
  auto bad = [](const char* why) { return fail(std::string(WHAT) + ": " + why); };
  if (!f.unknown.empty()) return bad("unknown failure field");
  if (f.hop_index.has_value() != f.erring_node.has_value()) return bad("erring hop incomplete");
  if (f.hop_index && (*f.hop_index >= r.route.size() || r.route[*f.hop_index].node_id != *f.erring_node)) {
    return bad("erring hop not on the route");
  }
  if (f.failure_message && (f.failure_message->empty() || !f.hop_index)) {
    return bad("failure message without an erring hop");
  }
  return {};
}

Status check_invariants(const PaymentRecord& r) {
  auto bad = [](const char* why) { return fail(std::string(WHAT) + ": " + why); };
  if (r.route.empty() || r.route.size() > onion::MAX_HOPS) return bad("route length");
  if (r.shared_secrets.size() != r.route.size()) return bad("one shared secret per hop");
  if (r.destination != r.route.back().node_id) return bad("destination is not the last hop");
  if (r.resolved_at.has_value() != (r.state != PaymentState::pending)) {
    return bad("resolved_at does not match the state");
  }
  if (r.failure.has_value() != (r.state == PaymentState::failed)) {
    return bad("failure does not match the state");
  }
  if (r.dropped && (r.state != PaymentState::failed || r.failure->hop_index)) {
    return bad("a dropped attempt is an unattributed failure");
  }
  const bool preimage_expected = r.is_keysend() || r.state == PaymentState::succeeded;
  if (r.payment_preimage.has_value() != preimage_expected) {
    return bad("preimage does not match the state");
  }
  return {};
}

}  // namespace

Bytes encode_payment_record(const PaymentRecord& r) {
  AttemptFields f;
  f.channel_id = r.htlc.channel_id;
  f.htlc_id = r.htlc.htlc_id;
  f.payment_hash = r.payment_hash;
  f.destination = r.destination;
  f.amount_msat = r.amount_msat;
  f.total_msat = r.total_msat;
  f.sent_msat = r.sent_msat;
  f.cltv_expiry = r.cltv_expiry;
  f.route.emplace();
  for (const auto& hop : r.route) {
    f.route->push_back(RouteHopFields{hop.node_id, hop.short_channel_id, hop.fee_base_msat,
                                      hop.fee_proportional_millionths, hop.cltv_expiry_delta,
                                      hop.htlc_minimum_msat, hop.htlc_maximum_msat});
  }
  f.shared_secrets.emplace();
  for (const auto& secret : r.shared_secrets) {
    f.shared_secrets->push_back(*Hash256::from_span(secret.expose()));
  }
  f.created_at = r.created_at;
  f.state = static_cast<uint8_t>(r.state);
  f.payment_secret = r.payment_secret;
  f.resolved_at = r.resolved_at;
  f.payment_preimage = r.payment_preimage;
  if (r.failure) {
    FailureFields failure;
    failure.hop_index = r.failure->hop_index;
    failure.erring_node = r.failure->erring_node;
    failure.failure_code = r.failure->failure_code;
    if (!r.failure->failure_message.empty()) failure.failure_message = r.failure->failure_message;
    f.failure = std::move(failure);
  }
  if (r.dropped) f.dropped = wire::Flag{};
  f.unknown = r.extensions;
  return detail::write_versioned(PaymentRecord::VERSION, f);
}

Result<PaymentRecord> decode_payment_record(ByteSpan bytes) {
  FULGUR_TRY(AttemptFields f,
             detail::read_versioned<AttemptFields>(bytes, PaymentRecord::VERSION, WHAT));
  using detail::required;
  PaymentRecord r;
  FULGUR_TRY(r.htlc.channel_id, required(f.channel_id, WHAT, "channel_id"));
  FULGUR_TRY(r.htlc.htlc_id, required(f.htlc_id, WHAT, "htlc_id"));
  FULGUR_TRY(r.payment_hash, required(f.payment_hash, WHAT, "payment_hash"));
  FULGUR_TRY(r.destination, required(f.destination, WHAT, "destination"));
  FULGUR_TRY(r.amount_msat, required(f.amount_msat, WHAT, "amount_msat"));
  FULGUR_TRY(r.total_msat, required(f.total_msat, WHAT, "total_msat"));
  FULGUR_TRY(r.sent_msat, required(f.sent_msat, WHAT, "sent_msat"));
  FULGUR_TRY(r.cltv_expiry, required(f.cltv_expiry, WHAT, "cltv_expiry"));
  FULGUR_TRY(std::vector<RouteHopFields> route, required(f.route, WHAT, "route"));
  for (const auto& hop : route) {
    r.route.push_back(RouteHop{hop.node_id, hop.short_channel_id, hop.fee_base_msat,
                               hop.fee_proportional_millionths, hop.cltv_expiry_delta,
                               hop.htlc_minimum_msat, hop.htlc_maximum_msat});
  }
  FULGUR_TRY(std::vector<Hash256> secrets, required(f.shared_secrets, WHAT, "shared_secrets"));
  for (const auto& secret : secrets) r.shared_secrets.emplace_back(secret.span());
  FULGUR_TRY(r.created_at, required(f.created_at, WHAT, "created_at"));
  FULGUR_TRY(uint8_t state, required(f.state, WHAT, "state"));
  if (state > static_cast<uint8_t>(PaymentState::failed)) {
    return fail(std::string(WHAT) + ": unknown state " + std::to_string(state));
  }
  r.state = static_cast<PaymentState>(state);
  r.payment_secret = f.payment_secret;
  r.resolved_at = f.resolved_at;
  r.payment_preimage = f.payment_preimage;
  if (f.failure) {
    FULGUR_TRY_STATUS(check_failure(r, *f.failure));
    r.failure = PaymentFailure{f.failure->hop_index, f.failure->erring_node,
                               f.failure->failure_code,
                               f.failure->failure_message.value_or(Bytes{})};
  }
  r.dropped = f.dropped.has_value();
  r.extensions = std::move(f.unknown);
  FULGUR_TRY_STATUS(check_invariants(r));
  return r;
}

}  // namespace fulgur::payment
