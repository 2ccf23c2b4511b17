// This node's channel_update for one of its channels (BOLT 7), signed with the node key:
// what the switch puts in the failures that report the outgoing channel's current setting
// (BOLT 4: amount_below_minimum, fee_insufficient, incorrect_cltv_expiry, expiry_too_soon,
// channel_disabled, temporary_channel_failure). Pure: the timestamp is passed in.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/units.h"
#include "crypto/keys.h"
#include "payment/types.h"

namespace fulgur::payment {

struct ChannelUpdateParams {
  BlockHash chain_hash;
  ShortChannelId short_channel_id;
  uint32_t timestamp = 0;
  NodeId remote_node;  // the peer: the direction bit follows from the two node ids
  bool disabled = false;
  ForwardingPolicy policy;
  Msat capacity{0};  // htlc_maximum_msat is at most the channel's capacity
};

// The signed channel_update with its 0x0102 type, as BOLT 4's failure messages carry it.
// Requires a fee_base_msat below 2^32 and a cltv_expiry_delta below 2^16 (the wire fields).
Bytes sign_channel_update(const crypto::SecretKey& node_key, const ChannelUpdateParams& params);

}  // namespace fulgur::payment
