// Keysend onions and the final node's checks (see keysend.h).
#include "channeld/keysend.h"

#include <cstdio>

#include "crypto/hash.h"
#include "onion/failure.h"
#include "onion/payload.h"
#include "onion/sphinx.h"

namespace fulgur::channeld {

namespace {
using Kind = IncomingDecision::Kind;

std::string code_text(uint16_t code) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%04x", code);
  auto known = onion::failure_code_from_u16(code);
  return std::string(known ? onion::to_string(*known) : "unknown_failure") + " (" + hex + ")";
}

IncomingDecision failed(const crypto::Secret32& shared_secret, onion::FailureMessage message,
                        std::string why) {
  IncomingDecision d;
  d.kind = Kind::Fail;
  d.failure_code = message.code;
  d.why = code_text(message.code) + ": " + why;
  auto packet = onion::create_failure_packet(shared_secret, onion::encode_failure_message(message));
  FULGUR_ASSERT(packet.ok());  // our own messages are far below the size limit
  d.failure_packet = std::move(*packet);
  return d;
}
}  // namespace

Result<KeysendOnion> make_keysend_onion(const crypto::PublicKey& destination, Msat amount,
                                        BlockHeight cltv_expiry, const Preimage& preimage,
                                        const PaymentSecret& payment_secret,
                                        const crypto::SecretKey& session_key) {
  onion::HopPayload payload;
  payload.amt_to_forward = amount;
  payload.outgoing_cltv_value = cltv_expiry;
  payload.payment_data = onion::PaymentData{payment_secret, amount};
  payload.keysend_preimage = preimage;
  onion::OnionHop hop{destination, onion::encode_hop_payload(payload)};
  PaymentHash hash(crypto::sha256(preimage.span()).array());
  FULGUR_TRY(auto created, onion::create_onion(session_key, std::span(&hop, 1), hash.span()));
  return KeysendOnion{wire::OnionPacket(created.packet.serialize()),
                      std::move(created.shared_secrets)};
}

IncomingDecision decide_incoming(const crypto::SecretKey& node_key, Msat amount,
                                 const PaymentHash& payment_hash, BlockHeight cltv_expiry,
                                 ByteSpan onion_bytes, BlockHeight height,
                                 uint32_t min_final_cltv) {
  IncomingDecision d;
  auto packet = onion::OnionPacket::parse(onion_bytes);
  if (!packet) {
    d.kind = Kind::FailMalformed;
    d.failure_code = onion::to_u16(onion::FailureCode::invalid_onion_version);
    d.sha256_of_onion = crypto::sha256(onion_bytes);
    d.why = "onion of the wrong size";
    return d;
  }
  auto peeled = onion::peel_onion(node_key, *packet, payment_hash.span());
  if (!peeled) {
    // BOLT #2: a node that cannot parse the onion replies with update_fail_malformed_htlc
    // (it has no shared secret to encrypt a failure with).
    const auto& e = peeled.error();
    if (e.use_malformed()) {
      d.kind = Kind::FailMalformed;
      d.failure_code = onion::to_u16(e.code);
      d.sha256_of_onion = e.sha256_of_onion;
      d.why = e.message;
      return d;
    }
  }
  if (!peeled) {
    // A payload length out of range after a good HMAC: no shared secret was returned with
    // the error, so the failure cannot be encrypted; report it as a bad onion.
    d.kind = Kind::FailMalformed;
    d.failure_code = onion::to_u16(onion::FailureCode::invalid_onion_hmac);
    d.sha256_of_onion = packet->sha256();
    d.why = peeled.error().message;
    return d;
  }
  const crypto::Secret32& secret = peeled->shared_secret;
  if (!peeled->is_final()) {
    // BOLT #4: if the receiving peer specified by the onion is NOT known: return an
    // unknown_next_peer error. (This node forwards nothing yet.)
    return failed(secret, onion::FailureMessage(onion::FailureCode::unknown_next_peer),
                  "forwarding is not supported");
  }
  auto payload = onion::decode_hop_payload(peeled->payload);
  if (!payload) {
    return failed(secret, onion::invalid_payload_failure(payload.error()), payload.error().message);
  }
  if (auto st = onion::check_final_payload(*payload); !st) {
    return failed(secret, onion::invalid_payload_failure(st.error()), st.error().message);
  }
  onion::FailureMessage unknown(onion::FailureCode::incorrect_or_unknown_payment_details);
  unknown.htlc_msat = amount;
  unknown.height = height;
  // BOLT #4 (final node): if the payment hash is unknown: MUST fail the HTLC with
  // incorrect_or_unknown_payment_details. Without an invoice, only a keysend preimage that
  // hashes to the payment hash makes it known.
  if (!payload->keysend_preimage) return failed(secret, unknown, "no keysend preimage");
  Hash256 hashed = crypto::sha256(payload->keysend_preimage->span());
  if (hashed.array() != payment_hash.array()) {
    return failed(secret, unknown, "keysend preimage does not match the payment hash");
  }
  // BOLT #4: if the cltv_expiry value is unreasonably near the present: MUST fail the HTLC
  // with incorrect_or_unknown_payment_details.
  if (uint64_t{cltv_expiry.value()} < uint64_t{height.value()} + min_final_cltv) {
    return failed(secret, unknown, "cltv_expiry too close to the current height");
  }
  // BOLT #4: if the cltv_expiry from the final node's HTLC is below outgoing_cltv_value:
  // MUST return final_incorrect_cltv_expiry.
  if (cltv_expiry < *payload->outgoing_cltv_value) {
    onion::FailureMessage m(onion::FailureCode::final_incorrect_cltv_expiry);
    m.cltv_expiry = cltv_expiry;
    return failed(secret, m, "cltv_expiry below outgoing_cltv_value");
  }
  // BOLT #4: if amount_msat from the final node's HTLC is below amt_to_forward: MUST return
  // a final_incorrect_htlc_amount error.
  if (amount < *payload->amt_to_forward) {
    onion::FailureMessage m(onion::FailureCode::final_incorrect_htlc_amount);
    m.htlc_msat = amount;
    return failed(secret, m, "amount_msat below amt_to_forward");
  }
  // BOLT #4: if the amount paid is less than the amount expected: MUST fail the HTLC. A
  // total_msat above the HTLC would be a multi-part payment, which we do not accept.
  if (payload->payment_data && payload->payment_data->total_msat > amount) {
    return failed(secret, unknown, "multi-part keysend is not supported");
  }
  d.kind = Kind::Fulfill;
  d.preimage = *payload->keysend_preimage;
  d.why = "keysend";
  return d;
}

ReadFailure read_failure(const std::vector<crypto::Secret32>& shared_secrets, ByteSpan reason) {
  if (shared_secrets.empty()) return {0, "failure from before a restart (unreadable)"};
  auto decrypted = onion::decrypt_failure_packet(shared_secrets, reason);
  if (!decrypted) return {0, "unreadable failure: " + decrypted.error().message};
  if (!decrypted->message) return {0, "the peer returned a failure that does not decode"};
  return {decrypted->message->code, code_text(decrypted->message->code)};
}

ReadFailure read_malformed(uint16_t failure_code) {
  return {failure_code, "malformed onion: " + code_text(failure_code)};
}

}  // namespace fulgur::channeld
