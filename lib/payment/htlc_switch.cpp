// The incoming-HTLC decision: peel, read the payload, then either the final-hop handoff or
// the forwarding checks against the outgoing channel and the policy. Every requirement
// checked is quoted above its check.
#include "payment/htlc_switch.h"

#include <algorithm>
#include <utility>

#include "common/assert.h"
#include "crypto/hash.h"
#include "onion/failure.h"
#include "onion/payload.h"
#include "onion/sphinx.h"

namespace fulgur::payment {
namespace {

using onion::FailureCode;
using onion::FailureMessage;

constexpr size_t MAX_CHANNEL_UPDATE_SIZE = 1000;

FailureMessage with_update(FailureCode code, const OutgoingChannel& channel) {
  FailureMessage message(code);
  message.channel_update = channel.channel_update;
  return message;
}

// The checks of a forward against the outgoing channel and its policy, in the order this
// node meets them; the first one that fails is the error (BOLT 4: "if there is more than
// one error: SHOULD select the first error it encounters").
std::optional<FailureMessage> check_forward(const IncomingHtlc& htlc, const onion::HopPayload& p,
                                            const OutgoingChannel* channel,
                                            const SwitchConfig& config, BlockHeight height) {
  // BOLT 4 (reader, not the final node): "MUST return an error if ... it cannot forward the
  // HTLC to the peer indicated by the channel short_channel_id". "if the receiving peer
  // specified by the onion is NOT known: return an unknown_next_peer error."
  if (channel == nullptr) return FailureMessage(FailureCode::unknown_next_peer);
  // "if an otherwise unspecified, permanent error occurs during forwarding to its receiving
  // peer (e.g. channel recently closed): return a permanent_channel_failure error."
  if (!channel->usable) return FailureMessage(FailureCode::permanent_channel_failure);
  // "if the channel is disabled: report the current channel setting for the outgoing
  // channel. return a channel_disabled error."
  if (channel->disabled) return with_update(FailureCode::channel_disabled, *channel);
  // "if during forwarding to its receiving peer, an otherwise unspecified, transient error
  // occurs in the outgoing channel ...: return a temporary_channel_failure error."
  if (!channel->peer_connected) return with_update(FailureCode::temporary_channel_failure, *channel);

  const ForwardingPolicy& policy = channel->policy ? *channel->policy : config.policy;
  const Msat amt_to_forward = *p.amt_to_forward;
  const BlockHeight outgoing_cltv = *p.outgoing_cltv_value;

  // "if the HTLC amount is less than the currently specified minimum amount: report the
  // amount of the outgoing HTLC and the current channel setting for the outgoing channel.
  // return an amount_below_minimum error."
  if (amt_to_forward < std::max(policy.htlc_minimum_msat, channel->htlc_minimum_msat)) {
    FailureMessage message = with_update(FailureCode::amount_below_minimum, *channel);
    message.htlc_msat = amt_to_forward;
    return message;
  }
  // "MUST return an error if: ... incoming amount_msat - fee < amt_to_forward (where fee is
  // the advertised fee as described in BOLT #7)". "if the HTLC does NOT pay a sufficient
  // fee: report the amount of the incoming HTLC and the current channel setting for the
  // outgoing channel. return a fee_insufficient error."
  auto fee = forwarding_fee(policy, amt_to_forward);
  auto required = fee ? amt_to_forward.checked_add(*fee) : std::nullopt;
  if (!required || htlc.amount_msat < *required) {
    FailureMessage message = with_update(FailureCode::fee_insufficient, *channel);
    message.htlc_msat = htlc.amount_msat;
    return message;
  }
  // "MUST return an error if: ... cltv_expiry - cltv_expiry_delta < outgoing_cltv_value".
  // "report the cltv_expiry of the outgoing HTLC and the current channel setting for the
  // outgoing channel. return an incorrect_cltv_expiry error."
  auto latest_outgoing = htlc.cltv_expiry.checked_sub(policy.cltv_expiry_delta);
  if (!latest_outgoing || *latest_outgoing < outgoing_cltv) {
    FailureMessage message = with_update(FailureCode::incorrect_cltv_expiry, *channel);
    message.cltv_expiry = outgoing_cltv;
    return message;
  }
  // "if the cltv_expiry is unreasonably near the present: report the current channel
  // setting for the outgoing channel. return an expiry_too_soon error." BOLT 2: "if
  // cltv_expiry minus current_height is less than cltv_expiry_delta for the corresponding
  // outgoing HTLC: MUST fail that incoming HTLC" -- implied here, since the incoming expiry
  // is at least cltv_expiry_delta above an outgoing one that must be above the tip.
  auto soonest = height.checked_add(config.outgoing_expiry_margin);
  if (!soonest || outgoing_cltv <= *soonest) {
    return with_update(FailureCode::expiry_too_soon, *channel);
  }
  // "if the cltv_expiry is more than max_htlc_cltv in the future: return an expiry_too_far
  // error." BOLT 2: "if an incoming HTLC's cltv_expiry is unreasonably far in the future:
  // SHOULD fail that incoming HTLC".
  auto farthest = height.checked_add(config.max_htlc_cltv);
  if (farthest && htlc.cltv_expiry > *farthest) return FailureMessage(FailureCode::expiry_too_far);
  // Over the policy's or the channel's largest HTLC, over what we can send, or no slot
  // left: transient conditions of the outgoing channel.
  if (amt_to_forward > std::min(policy.htlc_maximum_msat, channel->htlc_maximum_msat) ||
      amt_to_forward > channel->available_msat || channel->free_htlc_slots == 0) {
    return with_update(FailureCode::temporary_channel_failure, *channel);
  }
  return std::nullopt;
}

FinalHtlc final_htlc(const IncomingHtlc& htlc, onion::HopPayload&& p, crypto::Secret32 secret) {
  FinalHtlc out{htlc.htlc,
                htlc.amount_msat,
                htlc.payment_hash,
                htlc.cltv_expiry,
                *p.amt_to_forward,
                *p.outgoing_cltv_value,
                std::nullopt,
                *p.amt_to_forward,
                p.keysend_preimage,
                std::move(p.payment_metadata),
                std::move(secret)};
  if (p.payment_data) {
    out.payment_secret = p.payment_data->payment_secret;
    out.total_msat = p.payment_data->total_msat;
  } else if (p.total_amount_msat) {
    out.total_msat = *p.total_amount_msat;
  }
  return out;
}

}  // namespace

void ChannelTable::upsert(OutgoingChannel channel) {
  FULGUR_REQUIRE(channel.channel_update.size() <= MAX_CHANNEL_UPDATE_SIZE);
  ShortChannelId scid = channel.short_channel_id;
  m_channels.insert_or_assign(scid, std::move(channel));
}

void ChannelTable::remove(ShortChannelId short_channel_id) { m_channels.erase(short_channel_id); }

const OutgoingChannel* ChannelTable::find(ShortChannelId short_channel_id) const {
  auto it = m_channels.find(short_channel_id);
  return it == m_channels.end() ? nullptr : &it->second;
}

Decision decide_incoming(const IncomingHtlc& htlc, const crypto::SecretKey& node_key,
                         const ChannelTable& channels, const SwitchConfig& config,
                         BlockHeight current_height) {
  auto packet = onion::OnionPacket::parse(htlc.onion_routing_packet);
  if (!packet) {
    // update_add_htlc's onion is fixed-size on the wire, so only a caller can get here.
    return FailMalformed{htlc.htlc, crypto::sha256(htlc.onion_routing_packet),
                         onion::to_u16(FailureCode::invalid_onion_version)};
  }
  // BOLT 2: "If path_key is set in the incoming update_add_htlc: MUST send an
  // update_fail_malformed_htlc error using the invalid_onion_blinding failure code".
  // Route blinding is not supported, so every such HTLC fails this way.
  if (htlc.blinded) {
    return FailMalformed{htlc.htlc, packet->sha256(),
                         onion::to_u16(FailureCode::invalid_onion_blinding)};
  }
  auto peeled = onion::peel_onion(node_key, *packet, htlc.payment_hash.span());
  if (!peeled) {
    const onion::PeelError& error = peeled.error();
    // BOLT 4: the BADONION codes mean the onion cannot be decrypted; the hop answers with
    // update_fail_malformed_htlc (BOLT 2: "unparsable onion").
    if (error.use_malformed()) {
      return FailMalformed{htlc.htlc, error.sha256_of_onion, onion::to_u16(error.code)};
    }
    // The HMAC matched but the payload length is unusable: invalid_onion_payload,
    // encrypted with the shared secret (the ephemeral key parsed, or the HMAC could not
    // have matched).
    auto ephemeral = crypto::PublicKey::parse(packet->public_key);
    FULGUR_ASSERT(ephemeral.ok());
    return fail_with(htlc.htlc, crypto::ecdh(node_key, *ephemeral),
                     FailureMessage(FailureCode::invalid_onion_payload));
  }
  auto payload = onion::decode_hop_payload(peeled->payload);
  // BOLT 4: "if the per-hop payload in the onion is invalid (e.g. it is not a valid tlv
  // stream) or is missing required information ...: return an invalid_onion_payload error."
  if (!payload) {
    return fail_with(htlc.htlc, peeled->shared_secret,
                     onion::invalid_payload_failure(payload.error()));
  }
  if (peeled->is_final()) {
    auto checked = onion::check_final_payload(*payload);
    if (!checked) {
      return fail_with(htlc.htlc, peeled->shared_secret,
                       onion::invalid_payload_failure(checked.error()));
    }
    return final_htlc(htlc, std::move(payload).value(), std::move(peeled->shared_secret));
  }
  // BOLT 4: "if current_blinding_point is set in the onion payload and it is not the final
  // node: MUST return an invalid_onion_blinding error."
  if (payload->current_blinding_point) {
    FailureMessage message(FailureCode::invalid_onion_blinding);
    message.sha256_of_onion = packet->sha256();
    return fail_with(htlc.htlc, peeled->shared_secret, message);
  }
  auto checked = onion::check_forward_payload(*payload);
  if (!checked) {
    return fail_with(htlc.htlc, peeled->shared_secret,
                     onion::invalid_payload_failure(checked.error()));
  }
  const OutgoingChannel* channel = channels.find(*payload->short_channel_id);
  if (auto failure = check_forward(htlc, *payload, channel, config, current_height)) {
    return fail_with(htlc.htlc, peeled->shared_secret, *failure);
  }
  auto next = peeled->next->serialize();
  return Forward{htlc.htlc,
                 htlc.payment_hash,
                 htlc.amount_msat,
                 htlc.cltv_expiry,
                 channel->channel_id,
                 channel->short_channel_id,
                 channel->peer,
                 *payload->amt_to_forward,
                 *payload->outgoing_cltv_value,
                 Bytes(next.begin(), next.end()),
                 std::move(peeled->shared_secret)};
}

Fail fail_forward(const Forward& forward, const Bytes& channel_update) {
  FailureMessage message(FailureCode::temporary_channel_failure);
  message.channel_update = channel_update;
  return fail_with(forward.incoming, forward.shared_secret, message);
}

}  // namespace fulgur::payment
