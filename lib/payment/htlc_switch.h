// BOLT 4 "Accepting and Forwarding a Payment", as a decision: an irrevocably committed
// incoming HTLC, this node's key, the table of our outgoing channels, the forwarding
// policy and the chain height in; forward it (amount, CLTV, next onion), receive it as the
// final hop (for the invoice registry), fail it (the failure already encrypted for the
// sender) or fail it as malformed. No I/O: the channel daemon carries the decision out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <variant>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/units.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "payment/types.h"

namespace fulgur::payment {

// One of our channels as a forward sees it, kept current by the channel daemon.
struct OutgoingChannel {
  ChannelId channel_id;
  ShortChannelId short_channel_id;
  NodeId peer;
  bool peer_connected = false;
  // Normal operation: not shutting down, closing or closed.
  bool usable = false;
  // Our latest channel_update for it has the disable bit set.
  bool disabled = false;
  // The peer's htlc_minimum_msat: the smallest HTLC it accepts from us.
  Msat htlc_minimum_msat{0};
  // The largest single HTLC the channel can carry now (what is left of the peer's
  // max_htlc_value_in_flight_msat).
  Msat htlc_maximum_msat = Msat::max();
  // What we can still offer: our balance less the reserve, fees and HTLCs in flight.
  Msat available_msat{0};
  // HTLC slots left under the peer's max_accepted_htlcs.
  uint16_t free_htlc_slots = 483;
  // This channel's relay policy; the node's default (SwitchConfig::policy) when unset.
  std::optional<ForwardingPolicy> policy;
  // Our latest channel_update for this channel as the sender knows it, with its 0x0102
  // type (BOLT 4: "if it returns a channel_update: MUST set short_channel_id to the
  // short_channel_id used by the incoming onion"). At most 1000 bytes.
  Bytes channel_update;
};

// Our outgoing channels by short_channel_id (an alias is one more entry).
class ChannelTable {
 public:
  void upsert(OutgoingChannel channel);
  void remove(ShortChannelId short_channel_id);
  const OutgoingChannel* find(ShortChannelId short_channel_id) const;
  size_t size() const { return m_channels.size(); }

 private:
  std::map<ShortChannelId, OutgoingChannel> m_channels;
};

struct SwitchConfig {
  // The node's forwarding policy, for channels without their own.
  ForwardingPolicy policy;
  // An HTLC we forward must leave the next hop at least this many blocks before its
  // outgoing_cltv_value, or it is failed with expiry_too_soon.
  CltvDelta outgoing_expiry_margin{12};
  // BOLT 4 "max_htlc_cltv Selection": 2016 blocks.
  CltvDelta max_htlc_cltv{2016};
};

// An update_add_htlc that is irrevocably committed in the incoming channel.
struct IncomingHtlc {
  HtlcKey htlc;
  Msat amount_msat;
  PaymentHash payment_hash;
  BlockHeight cltv_expiry;
  ByteSpan onion_routing_packet;  // 1366 bytes
  bool blinded = false;           // update_add_htlc carried a path_key (blinding_point)
};

// Offer this HTLC on the outgoing channel, then record it with the ForwardTracker.
struct Forward {
  HtlcKey incoming;
  PaymentHash payment_hash;
  Msat incoming_amount_msat;
  BlockHeight incoming_cltv_expiry;
  ChannelId outgoing_channel_id;
  ShortChannelId outgoing_short_channel_id;
  NodeId next_node;
  Msat amount_msat;         // amt_to_forward
  BlockHeight cltv_expiry;  // outgoing_cltv_value
  Bytes onion_routing_packet;
  crypto::Secret32 shared_secret;  // to wrap a failure coming back

  // What the forward earns if it settles.
  Msat fee() const { return incoming_amount_msat.saturating_sub(amount_msat); }
};

using Decision = std::variant<Forward, FinalHtlc, Fail, FailMalformed>;

Decision decide_incoming(const IncomingHtlc& htlc, const crypto::SecretKey& node_key,
                         const ChannelTable& channels, const SwitchConfig& config,
                         BlockHeight current_height);

// A forward that the outgoing channel refused after all (the channel machine rejected
// add_htlc): fail the incoming HTLC with temporary_channel_failure and `channel_update`.
Fail fail_forward(const Forward& forward, const Bytes& channel_update);

}  // namespace fulgur::payment
