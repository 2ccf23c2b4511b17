// The forward tracker: links, resolutions relayed upstream, replays, listforwards.
#include "payment/forwards.h"

#include "common/assert.h"
#include "crypto/hash.h"
#include "onion/failure.h"

namespace fulgur::payment {

const char* to_string(ForwardState state) {
  switch (state) {
    case ForwardState::offered: return "offered";
    case ForwardState::settled: return "settled";
    case ForwardState::failed: return "failed";
  }
  return "?";
}

Msat ForwardRecord::fee_earned() const {
  if (state != ForwardState::settled) return Msat(0);
  return incoming_amount_msat.saturating_sub(outgoing_amount_msat);
}

std::optional<Resolution> incoming_resolution(const ForwardRecord& record) {
  switch (record.state) {
    case ForwardState::offered: return std::nullopt;
    case ForwardState::settled: return Fulfill{record.incoming, *record.payment_preimage};
    case ForwardState::failed:
      return Fail{record.incoming, *record.failure_reason, record.failure_code};
  }
  return std::nullopt;
}

ForwardOutput ForwardTracker::output_of(const ForwardRecord& record) {
  ForwardOutput out;
  out.persist.push_back(Persist{encode_htlc_key(record.incoming), encode_forward_record(record)});
  if (auto resolution = incoming_resolution(record)) out.resolutions.push_back(std::move(*resolution));
  return out;
}

Status ForwardTracker::insert(ForwardRecord record) {
  if (m_forwards.contains(record.incoming)) return fail("forward: incoming HTLC already linked");
  if (!record.outgoing_dropped) {
    if (m_by_outgoing.contains(record.outgoing)) {
      return fail("forward: outgoing HTLC already linked");
    }
    m_by_outgoing.emplace(record.outgoing, record.incoming);
  }
  HtlcKey key = record.incoming;
  m_forwards.emplace(key, std::move(record));
  return {};
}

Result<ForwardOutput> ForwardTracker::add(const Forward& forward, uint64_t outgoing_htlc_id,
                                          uint64_t now) {
  const HtlcKey outgoing{forward.outgoing_channel_id, outgoing_htlc_id};
  if (const ForwardRecord* known = find_incoming(forward.incoming)) {
    if (known->outgoing != outgoing) return fail("forward: incoming HTLC already linked elsewhere");
    return output_of(*known);
  }
  ForwardRecord record;
  record.incoming = forward.incoming;
  record.outgoing = outgoing;
  record.outgoing_short_channel_id = forward.outgoing_short_channel_id;
  record.payment_hash = forward.payment_hash;
  record.incoming_amount_msat = forward.incoming_amount_msat;
  record.outgoing_amount_msat = forward.amount_msat;
  record.incoming_cltv_expiry = forward.incoming_cltv_expiry;
  record.outgoing_cltv_expiry = forward.cltv_expiry;
  record.shared_secret = forward.shared_secret.clone();
  record.received_at = now;
  ForwardOutput out = output_of(record);
  FULGUR_TRY_STATUS(insert(std::move(record)));
  return out;
}

Result<ForwardRecord*> ForwardTracker::resolving(const HtlcKey& outgoing) {
  auto link = m_by_outgoing.find(outgoing);
  if (link == m_by_outgoing.end()) return fail("forward: no forward for this outgoing HTLC");
  return &m_forwards.at(link->second);
}

Result<ForwardOutput> ForwardTracker::on_fulfilled(const HtlcKey& outgoing,
                                                   const Preimage& preimage, uint64_t now) {
  FULGUR_TRY(ForwardRecord * record, resolving(outgoing));
  if (crypto::sha256(preimage.span()) != Hash256(record->payment_hash.array())) {
    return fail("forward: preimage does not match the payment hash");
  }
  if (record->state == ForwardState::failed) return fail("forward: fulfilled after it failed");
  // BOLT 2: "upon receiving an update_fulfill_htlc for an outgoing HTLC, OR upon discovering
  // the payment_preimage from an on-chain HTLC spend: MUST fulfill the incoming HTLC that
  // corresponds to that outgoing HTLC." A replay finds it settled and says it again.
  if (record->state == ForwardState::offered) {
    record->state = ForwardState::settled;
    record->payment_preimage = preimage;
    record->resolved_at = now;
  }
  return output_of(*record);
}

Result<ForwardOutput> ForwardTracker::on_failed(const HtlcKey& outgoing, ByteSpan reason,
                                                uint64_t now) {
  FULGUR_TRY(ForwardRecord * record, resolving(outgoing));
  if (record->state == ForwardState::settled) return fail("forward: failed after it settled");
  if (record->state == ForwardState::offered) {
    // BOLT 4 "Returning Errors": "The obfuscation step is repeated by every hop along the
    // return path. Upon receiving a return packet, each hop generates its ammag, generates
    // the pseudo-random byte stream, and applies the result to the return packet before
    // return-forwarding it."
    Bytes wrapped(reason.begin(), reason.end());
    onion::wrap_failure_packet(record->shared_secret, wrapped);
    record->state = ForwardState::failed;
    record->failure_reason = std::move(wrapped);
    record->resolved_at = now;
  }
  return output_of(*record);
}

Result<ForwardOutput> ForwardTracker::on_malformed(const HtlcKey& outgoing, uint16_t failure_code,
                                                   const Hash256& sha256_of_onion, uint64_t now) {
  FULGUR_TRY(ForwardRecord * record, resolving(outgoing));
  if (record->state == ForwardState::settled) return fail("forward: failed after it settled");
  if (record->state == ForwardState::offered) {
    // BOLT 2: "if the BADONION bit in failure_code is not set for
    // update_fail_malformed_htlc: MUST send a warning and close the connection, or send an
    // error and fail the channel." Otherwise "MUST return an error in the update_fail_htlc
    // sent to the link which originally sent the HTLC, using the failure_code given and
    // setting the data to sha256_of_onion."
    FULGUR_TRY(onion::FailureMessage message,
               onion::failure_from_malformed(failure_code, sha256_of_onion));
    Fail failure = fail_with(record->incoming, record->shared_secret, message);
    record->state = ForwardState::failed;
    record->failure_reason = std::move(failure.reason);
    record->failure_code = failure_code;
    record->resolved_at = now;
  }
  return output_of(*record);
}

Result<ForwardOutput> ForwardTracker::on_dropped(const HtlcKey& outgoing,
                                                 const Bytes& channel_update, uint64_t now) {
  FULGUR_TRY(ForwardRecord * record, resolving(outgoing));
  if (record->state != ForwardState::offered) return fail("forward: dropped after it resolved");
  // BOLT 4: "if during forwarding to its receiving peer, an otherwise unspecified, transient
  // error occurs in the outgoing channel (e.g. channel capacity reached, too many in-flight
  // HTLCs, etc.): return a temporary_channel_failure error."
  onion::FailureMessage message(onion::FailureCode::temporary_channel_failure);
  message.channel_update = channel_update;
  Fail failure = fail_with(record->incoming, record->shared_secret, message);
  record->state = ForwardState::failed;
  record->failure_reason = std::move(failure.reason);
  record->failure_code = failure.failure_code;
  record->outgoing_dropped = true;
  record->resolved_at = now;
  m_by_outgoing.erase(outgoing);
  return output_of(*record);
}

Result<ForwardOutput> ForwardTracker::on_timed_out(const HtlcKey& outgoing, uint64_t now) {
  FULGUR_TRY(ForwardRecord * record, resolving(outgoing));
  if (record->state == ForwardState::settled) return fail("forward: timed out after it settled");
  if (record->state == ForwardState::offered) {
    // BOLT 4: "if an otherwise unspecified permanent error occurs during forwarding to its
    // receiving peer (e.g. channel recently closed): return a permanent_channel_failure
    // error."
    onion::FailureMessage message(onion::FailureCode::permanent_channel_failure);
    Fail failure = fail_with(record->incoming, record->shared_secret, message);
    record->state = ForwardState::failed;
    record->failure_reason = std::move(failure.reason);
    record->failure_code = failure.failure_code;
    record->resolved_at = now;
  }
  return output_of(*record);
}

std::vector<const ForwardRecord*> ForwardTracker::at_risk(BlockHeight height,
                                                          CltvDelta deadline) const {
  std::vector<const ForwardRecord*> out;
  auto limit = height.checked_add(deadline);
  for (const auto& [key, record] : m_forwards) {
    if (record.state != ForwardState::offered) continue;
    if (!limit || record.incoming_cltv_expiry <= *limit) out.push_back(&record);
  }
  return out;
}

Status ForwardTracker::load(ByteSpan bytes) {
  FULGUR_TRY(ForwardRecord record, decode_forward_record(bytes));
  return insert(std::move(record));
}

const ForwardRecord* ForwardTracker::find_incoming(const HtlcKey& incoming) const {
  auto it = m_forwards.find(incoming);
  return it == m_forwards.end() ? nullptr : &it->second;
}

const ForwardRecord* ForwardTracker::find_outgoing(const HtlcKey& outgoing) const {
  auto link = m_by_outgoing.find(outgoing);
  return link == m_by_outgoing.end() ? nullptr : find_incoming(link->second);
}

std::vector<const ForwardRecord*> ForwardTracker::list() const {
  std::vector<const ForwardRecord*> out;
  out.reserve(m_forwards.size());
  for (const auto& [key, record] : m_forwards) out.push_back(&record);
  return out;
}

Msat ForwardTracker::total_fees_earned() const {
  Msat total{0};
  for (const auto& [key, record] : m_forwards) {
    total = total.checked_add(record.fee_earned()).value_or(Msat::max());
  }
  return total;
}

}  // namespace fulgur::payment
