// Our channel_update, signed (see channel_update.h).
#include "payment/channel_update.h"

#include <algorithm>

#include "common/assert.h"
#include "crypto/hash.h"
#include "wire/messages.h"

namespace fulgur::payment {

Bytes sign_channel_update(const crypto::SecretKey& node_key, const ChannelUpdateParams& p) {
  FULGUR_REQUIRE(p.policy.fee_base_msat.value() <= UINT32_MAX);
  FULGUR_REQUIRE(p.policy.cltv_expiry_delta.value() <= UINT16_MAX);
  const NodeId local = node_key.public_key().node_id();
  wire::msg::ChannelUpdate update;
  update.chain_hash = p.chain_hash;
  update.short_channel_id = p.short_channel_id;
  update.timestamp = p.timestamp;
  // BOLT 7: "MUST set the must_be_one bit in message_flags to 1" (htlc_maximum_msat is
  // always present). "MUST set the direction bit of channel_flags to 0 if the origin node is
  // node_1 (the node with the lexicographically lesser compressed public key), 1 otherwise."
  // "MAY create and send a channel_update with the disable bit set to 1, to signal a
  // channel's temporary unavailability".
  update.message_flags = 1;
  uint8_t flags = std::lexicographical_compare(p.remote_node.begin(), p.remote_node.end(),
                                               local.begin(), local.end())
                      ? 1
                      : 0;
  if (p.disabled) flags |= 2;
  update.channel_flags = flags;
  update.cltv_expiry_delta = p.policy.cltv_expiry_delta;
  update.htlc_minimum_msat = p.policy.htlc_minimum_msat;
  update.fee_base_msat = p.policy.fee_base_msat;
  update.fee_proportional_millionths = p.policy.fee_proportional_millionths;
  // "MUST set htlc_maximum_msat to the maximum value it will send through this channel for
  // a single HTLC. MUST set this to less than or equal to the channel capacity."
  update.htlc_maximum_msat = std::min(p.policy.htlc_maximum_msat, p.capacity);
  Bytes unsigned_message = wire::encode_message(update);
  // "signature: the signature of the double-SHA256 of the entire remaining packet after
  // signature, using its own node_id." (after the 2-byte type and the 64-byte signature)
  ByteSpan signed_part = ByteSpan(unsigned_message).subspan(2 + 64);
  update.signature = wire::to_wire_signature(crypto::sign(node_key, crypto::sha256d(signed_part)));
  return wire::encode_message(update);
}

}  // namespace fulgur::payment
