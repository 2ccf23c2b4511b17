// Route amounts and CLTVs, the payment onion, and the tracking of outgoing attempts.
#include "payment/payments.h"

#include <algorithm>

#include "crypto/hash.h"
#include "invoice/invoice.h"
#include "onion/failure.h"
#include "onion/payload.h"
#include "onion/sphinx.h"
#include "wire/features.h"

namespace fulgur::payment {
namespace {

std::string hop_name(size_t index) { return "hop " + std::to_string(index); }

}  // namespace

const char* to_string(PaymentState state) {
  switch (state) {
    case PaymentState::pending: return "pending";
    case PaymentState::succeeded: return "succeeded";
    case PaymentState::failed: return "failed";
  }
  return "?";
}

Result<std::vector<HopHtlc>> compute_route_htlcs(std::span<const RouteHop> route,
                                                 Msat final_amount, BlockHeight final_cltv) {
  if (route.empty()) return fail("empty route");
  if (route.size() > onion::MAX_HOPS) return fail("route longer than 20 hops");
  std::vector<HopHtlc> htlcs(route.size());
  htlcs.back() = HopHtlc{final_amount, final_cltv};
  for (size_t i = route.size() - 1; i > 0; --i) {
    // BOLT 7 "HTLC Fees": the node forwarding over channel i accepts "HTLCs that pay a fee
    // equal to or greater than: fee_base_msat + ( amount_to_forward *
    // fee_proportional_millionths / 1000000 )" -- exactly that is what we pay.
    auto fee = forwarding_fee(route[i].fee_base_msat, route[i].fee_proportional_millionths,
                              htlcs[i].amount_msat);
    auto amount = fee ? htlcs[i].amount_msat.checked_add(*fee) : std::nullopt;
    // BOLT 4: the forwarding node requires "cltv_expiry - cltv_expiry_delta >=
    // outgoing_cltv_value" for its outgoing channel.
    auto cltv = htlcs[i].cltv_expiry.checked_add(route[i].cltv_expiry_delta);
    if (!amount || !cltv) return fail(hop_name(i - 1) + ": amount or expiry overflows");
    htlcs[i - 1] = HopHtlc{*amount, *cltv};
  }
  for (size_t i = 0; i < route.size(); ++i) {
    if (htlcs[i].amount_msat < route[i].htlc_minimum_msat ||
        htlcs[i].amount_msat > route[i].htlc_maximum_msat) {
      return fail(hop_name(i) + ": amount outside the channel's htlc minimum/maximum");
    }
  }
  return htlcs;
}

Result<PaymentOnion> build_payment_onion(std::span<const RouteHop> route, Msat final_amount,
                                         BlockHeight final_cltv, const FinalHopData& final_data,
                                         const PaymentHash& payment_hash,
                                         const crypto::SecretKey& session_key) {
  FULGUR_TRY(std::vector<HopHtlc> htlcs, compute_route_htlcs(route, final_amount, final_cltv));
  std::vector<onion::OnionHop> hops;
  hops.reserve(route.size());
  for (size_t i = 0; i < route.size(); ++i) {
    auto key = crypto::PublicKey::from_node_id(route[i].node_id);
    if (!key) return fail(hop_name(i) + ": invalid node id");
    // BOLT 4 (writer, outside a blinded route): "MUST include amt_to_forward and
    // outgoing_cltv_value."
    onion::HopPayload payload;
    if (i + 1 < route.size()) {
      // "For every non-final node: MUST include short_channel_id. MUST NOT include
      // payment_data."
      payload.amt_to_forward = htlcs[i + 1].amount_msat;
      payload.outgoing_cltv_value = htlcs[i + 1].cltv_expiry;
      payload.short_channel_id = route[i + 1].short_channel_id;
    } else {
      // "For the final node: MUST NOT include short_channel_id. if the recipient provided
      // payment_secret: MUST include payment_data. MUST set payment_secret to the one
      // provided. MUST set total_msat to the total amount it will send." "if the recipient
      // provided payment_metadata: MUST include payment_metadata with every HTLC."
      payload.amt_to_forward = final_amount;
      payload.outgoing_cltv_value = final_cltv;
      if (final_data.payment_secret) {
        payload.payment_data = onion::PaymentData{*final_data.payment_secret, final_data.total_msat};
      }
      payload.keysend_preimage = final_data.keysend_preimage;
      payload.payment_metadata = final_data.payment_metadata;
    }
    hops.push_back(onion::OnionHop{*key, onion::encode_hop_payload(payload)});
  }
  auto created = onion::create_onion(session_key, hops, payment_hash.span());
  if (!created) return fail("cannot build the onion: " + created.error().message);
  auto packet = created->packet.serialize();
  return PaymentOnion{Bytes(packet.begin(), packet.end()), std::move(created->shared_secrets),
                      std::move(htlcs)};
}

Result<PreparedPayment> PaymentTracker::prepare(std::span<const RouteHop> route, Msat amount,
                                                BlockHeight final_cltv,
                                                const FinalHopData& final_data,
                                                const PaymentHash& payment_hash,
                                                const PayOptions& options,
                                                const crypto::SecretKey& session_key,
                                                BlockHeight height, uint64_t now) const {
  // BOLT 4 (writer of a multi-part payment): "MUST NOT send another HTLC if the total
  // amt_to_forward of the HTLC set is already greater or equal to total_msat."
  PaymentStatus current = status(payment_hash);
  if (current.attempts > 0 && current.state == PaymentState::succeeded) {
    return fail("payment already succeeded");
  }
  if (current.delivered_msat >= final_data.total_msat && current.attempts > 0) {
    return fail("payment already fully in flight");
  }
  FULGUR_TRY(PaymentOnion built,
             build_payment_onion(route, amount, final_cltv, final_data, payment_hash, session_key));
  auto latest = height.checked_add(options.max_total_cltv);
  if (!latest || built.htlcs.front().cltv_expiry > *latest) {
    return fail("route needs an expiry beyond max_htlc_cltv");
  }
  PreparedPayment prepared;
  prepared.htlc = OutgoingHtlc{route.front().short_channel_id, route.front().node_id,
                               built.htlcs.front().amount_msat, payment_hash,
                               built.htlcs.front().cltv_expiry,
                               std::move(built.onion_routing_packet)};
  PaymentRecord& r = prepared.record;
  r.payment_hash = payment_hash;
  r.payment_secret = final_data.payment_secret;
  r.destination = route.back().node_id;
  r.amount_msat = amount;
  r.total_msat = final_data.total_msat;
  r.sent_msat = built.htlcs.front().amount_msat;
  r.cltv_expiry = built.htlcs.front().cltv_expiry;
  r.route.assign(route.begin(), route.end());
  r.shared_secrets = std::move(built.shared_secrets);
  r.created_at = now;
  r.payment_preimage = final_data.keysend_preimage;
  return prepared;
}

Result<PreparedPayment> PaymentTracker::prepare_invoice(const invoice::Invoice& invoice,
                                                        std::span<const RouteHop> route,
                                                        const PayOptions& options,
                                                        const crypto::SecretKey& session_key,
                                                        BlockHeight height, uint64_t now) const {
  // BOLT 11 (payer): "after the timestamp plus expiry has passed: SHOULD NOT attempt a
  // payment."
  if (invoice.is_expired(now)) return fail("invoice expired");
  // BOLT 11 features: a payer "MUST NOT attempt the payment" when a feature's dependency
  // is missing; BOLT 11 readers "MUST fail the payment if ... no valid s".
  if (wire::missing_dependency(invoice.features)) return fail("invoice feature dependency missing");
  if (!invoice.payment_secret) return fail("invoice without payment_secret");
  if (route.empty() || route.back().node_id != invoice.payee) {
    return fail("route does not end at the payee");
  }
  // BOLT 4: "if the invoice specifies an amount: MUST set total_msat to at least that
  // amount, and less than or equal to twice amount. otherwise: MUST set total_msat to the
  // amount it wishes to pay."
  Msat total{0};
  if (invoice.amount) {
    total = options.amount_msat.value_or(*invoice.amount);
    auto twice = invoice.amount->checked_mul(2);
    if (total < *invoice.amount || (twice && total > *twice)) {
      return fail("amount must be between the invoice amount and twice it");
    }
  } else {
    if (!options.amount_msat || options.amount_msat->value() == 0) {
      return fail("invoice has no amount: give one");
    }
    total = *options.amount_msat;
  }
  Msat part = options.part_msat.value_or(total);
  if (part.value() == 0 || part > total) return fail("part must be between 1 msat and the total");
  // "if the invoice offers the basic_mpp feature: MAY send more than one HTLC to pay the
  // invoice"; otherwise "MUST set total_msat equal to amt_to_forward".
  if (part < total && !invoice.features.offers(wire::Feature::basic_mpp)) {
    return fail("invoice does not offer basic_mpp: pay it in one part");
  }
  // "if the c field (min_final_cltv_expiry_delta) is not provided: MUST use an expiry delta
  // of at least 18 when making the payment" (min_final_cltv() defaults to 18).
  auto final_cltv = height.checked_add(CltvDelta(static_cast<uint32_t>(
      std::min<uint64_t>(invoice.min_final_cltv(), UINT32_MAX))));
  if (final_cltv) final_cltv = final_cltv->checked_add(options.final_cltv_offset);
  if (!final_cltv) return fail("final expiry overflows");
  // "if an m field is provided: MUST use that as payment_metadata".
  FinalHopData final_data{invoice.payment_secret, total, std::nullopt, invoice.metadata};
  return prepare(route, part, *final_cltv, final_data, invoice.payment_hash, options, session_key,
                 height, now);
}

Result<PreparedPayment> PaymentTracker::prepare_keysend(std::span<const RouteHop> route,
                                                        const Preimage& preimage,
                                                        const PayOptions& options,
                                                        const crypto::SecretKey& session_key,
                                                        BlockHeight height, uint64_t now) const {
  if (route.empty()) return fail("empty route");
  if (!options.amount_msat || options.amount_msat->value() == 0) {
    return fail("keysend needs an amount");
  }
  auto final_cltv = height.checked_add(options.keysend_final_cltv_expiry_delta);
  if (final_cltv) final_cltv = final_cltv->checked_add(options.final_cltv_offset);
  if (!final_cltv) return fail("final expiry overflows");
  PaymentHash hash(crypto::sha256(preimage.span()).array());
  FinalHopData final_data{std::nullopt, *options.amount_msat, preimage, std::nullopt};
  return prepare(route, *options.amount_msat, *final_cltv, final_data, hash, options, session_key,
                 height, now);
}

Bytes encode_payment_key(const PaymentHash& payment_hash, const HtlcKey& htlc) {
  Bytes key(payment_hash.begin(), payment_hash.end());
  Bytes rest = encode_htlc_key(htlc);
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

PaymentUpdate PaymentTracker::update_of(const PaymentRecord& record) {
  return PaymentUpdate{
      Persist{encode_payment_key(record.payment_hash, record.htlc), encode_payment_record(record)},
      record.state};
}

Result<PaymentUpdate> PaymentTracker::sent(PreparedPayment prepared, const HtlcKey& htlc) {
  if (m_live.contains(htlc)) return fail("payment: HTLC already tracked");
  prepared.record.htlc = htlc;
  PaymentUpdate update = update_of(prepared.record);
  const PaymentHash hash = prepared.record.payment_hash;
  // A dropped attempt of the same payment on the same (reused) HTLC id is replaced: it
  // never left this node, and its store key is this attempt's.
  m_attempts.insert_or_assign(AttemptKey{hash, htlc}, std::move(prepared.record));
  m_live.emplace(htlc, hash);
  return update;
}

Result<PaymentRecord*> PaymentTracker::resolving(const HtlcKey& htlc) {
  auto it = m_live.find(htlc);
  if (it == m_live.end()) return fail("payment: no attempt for this HTLC");
  return &m_attempts.at(AttemptKey{it->second, htlc});
}

Result<PaymentUpdate> PaymentTracker::on_fulfilled(const HtlcKey& htlc, const Preimage& preimage,
                                                   uint64_t now) {
  FULGUR_TRY(PaymentRecord * record, resolving(htlc));
  if (crypto::sha256(preimage.span()) != Hash256(record->payment_hash.array())) {
    return fail("payment: preimage does not match the payment hash");
  }
  if (record->state == PaymentState::failed) return fail("payment: fulfilled after it failed");
  if (record->state == PaymentState::pending) {
    record->state = PaymentState::succeeded;
    record->payment_preimage = preimage;
    record->resolved_at = now;
  }
  return update_of(*record);
}

Result<PaymentUpdate> PaymentTracker::on_failed(const HtlcKey& htlc, ByteSpan reason, uint64_t now) {
  FULGUR_TRY(PaymentRecord * record, resolving(htlc));
  if (record->state == PaymentState::succeeded) return fail("payment: failed after it succeeded");
  if (record->state == PaymentState::pending) {
    PaymentFailure failure;
    // BOLT 4: "The origin node can detect the sender of the error message by matching the
    // hmac field with the computed HMAC." A packet no hop's HMAC matches stays unattributed.
    auto decrypted = onion::decrypt_failure_packet(record->shared_secrets, reason);
    if (decrypted && decrypted->hop_index < record->route.size()) {
      failure.hop_index = static_cast<uint32_t>(decrypted->hop_index);
      failure.erring_node = record->route[decrypted->hop_index].node_id;
      failure.failure_message = decrypted->failure_message;
      // "MUST ignore any extra bytes in failuremsg" (decode_failure_message does).
      if (decrypted->message) failure.failure_code = decrypted->message->code;
    }
    record->state = PaymentState::failed;
    record->failure = std::move(failure);
    record->resolved_at = now;
  }
  return update_of(*record);
}

Result<PaymentUpdate> PaymentTracker::on_malformed(const HtlcKey& htlc, uint16_t failure_code,
                                                   const Hash256& sha256_of_onion, uint64_t now) {
  (void)sha256_of_onion;
  FULGUR_TRY(PaymentRecord * record, resolving(htlc));
  if (record->state == PaymentState::succeeded) return fail("payment: failed after it succeeded");
  if (record->state == PaymentState::pending) {
    // Our peer could not peel the onion we built for it: hop 0 failed it, with its code.
    PaymentFailure failure;
    failure.hop_index = 0;
    failure.erring_node = record->route.front().node_id;
    failure.failure_code = failure_code;
    record->state = PaymentState::failed;
    record->failure = std::move(failure);
    record->resolved_at = now;
  }
  return update_of(*record);
}

Result<PaymentUpdate> PaymentTracker::on_dropped(const HtlcKey& htlc, uint64_t now) {
  FULGUR_TRY(PaymentRecord * record, resolving(htlc));
  // Only an uncommitted HTLC can be dropped, and only a committed one can be resolved.
  if (record->state != PaymentState::pending) return fail("payment: dropped after it resolved");
  record->state = PaymentState::failed;
  record->failure = PaymentFailure{};
  record->dropped = true;
  record->resolved_at = now;
  PaymentUpdate update = update_of(*record);
  m_live.erase(htlc);
  return update;
}

Result<PaymentUpdate> PaymentTracker::on_timed_out(const HtlcKey& htlc, uint64_t now) {
  FULGUR_TRY(PaymentRecord * record, resolving(htlc));
  if (record->state == PaymentState::succeeded) return fail("payment: timed out after it succeeded");
  if (record->state == PaymentState::pending) {
    // No hop sent a failure: our own channel closed with the HTLC in it.
    PaymentFailure failure;
    failure.failure_code = onion::to_u16(onion::FailureCode::permanent_channel_failure);
    record->state = PaymentState::failed;
    record->failure = std::move(failure);
    record->resolved_at = now;
  }
  return update_of(*record);
}

Status PaymentTracker::load(ByteSpan bytes) {
  FULGUR_TRY(PaymentRecord record, decode_payment_record(bytes));
  AttemptKey key{record.payment_hash, record.htlc};
  if (m_attempts.contains(key)) return fail("payment record: duplicate attempt");
  if (!record.dropped) {
    if (m_live.contains(record.htlc)) return fail("payment record: duplicate HTLC");
    m_live.emplace(record.htlc, record.payment_hash);
  }
  m_attempts.emplace(key, std::move(record));
  return {};
}

const PaymentRecord* PaymentTracker::find(const HtlcKey& htlc) const {
  auto it = m_live.find(htlc);
  return it == m_live.end() ? nullptr : &m_attempts.at(AttemptKey{it->second, htlc});
}

std::vector<const PaymentRecord*> PaymentTracker::attempts(const PaymentHash& payment_hash) const {
  std::vector<const PaymentRecord*> out;
  for (auto it = m_attempts.lower_bound(AttemptKey{payment_hash, HtlcKey{}});
       it != m_attempts.end() && it->first.first == payment_hash; ++it) {
    out.push_back(&it->second);
  }
  return out;
}

std::vector<const PaymentRecord*> PaymentTracker::list() const {
  std::vector<const PaymentRecord*> out;
  out.reserve(m_attempts.size());
  for (const auto& [key, record] : m_attempts) out.push_back(&record);
  return out;
}

PaymentStatus PaymentTracker::status(const PaymentHash& payment_hash) const {
  PaymentStatus status;
  bool pending = false;
  for (const PaymentRecord* attempt : attempts(payment_hash)) {
    ++status.attempts;
    if (attempt->state == PaymentState::succeeded) {
      status.state = PaymentState::succeeded;
      status.payment_preimage = attempt->payment_preimage;
    }
    if (attempt->state == PaymentState::pending) pending = true;
    if (attempt->state != PaymentState::failed) {
      status.delivered_msat =
          status.delivered_msat.checked_add(attempt->amount_msat).value_or(Msat::max());
    }
  }
  if (status.state != PaymentState::succeeded && pending) status.state = PaymentState::pending;
  return status;
}

}  // namespace fulgur::payment
