// The vocabulary of lib/payment: which HTLC (channel + id), a channel's relay policy and
// the BOLT 7 fee formula, the three ways an incoming HTLC is resolved (the channel
// machine's fulfill_htlc / fail_htlc / fail_malformed_htlc commands), and the record a
// store must make durable before any of those resolutions is carried out.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/units.h"
#include "crypto/secret.h"

namespace fulgur::onion {
struct FailureMessage;
}

namespace fulgur::payment {

// One HTLC: the channel it is in and its BOLT 2 `id` there (ids are per channel and per
// direction; whose HTLC it is follows from the use: incoming or outgoing).
struct HtlcKey {
  ChannelId channel_id;
  uint64_t htlc_id = 0;
  friend auto operator<=>(const HtlcKey&, const HtlcKey&) = default;
  friend bool operator==(const HtlcKey&, const HtlcKey&) = default;
};

// The relay parameters of one direction of a channel, as BOLT 7's channel_update carries
// them (the node that forwards over the channel sets them).
struct ForwardingPolicy {
  Msat fee_base_msat{1000};
  uint32_t fee_proportional_millionths = 1;
  // BOLT 2 "cltv_expiry_delta Selection": "if in doubt, a cltv_expiry_delta of at least 34
  // is reasonable".
  CltvDelta cltv_expiry_delta{34};
  Msat htlc_minimum_msat{1};
  Msat htlc_maximum_msat = Msat::max();
  friend bool operator==(const ForwardingPolicy&, const ForwardingPolicy&) = default;
};

// BOLT 7 "HTLC Fees": fee_base_msat + ( amount_to_forward * fee_proportional_millionths /
// 1000000 ), rounded down. Nothing when it does not fit in 64 bits.
std::optional<Msat> forwarding_fee(Msat fee_base_msat, uint32_t fee_proportional_millionths,
                                   Msat amount_to_forward);
inline std::optional<Msat> forwarding_fee(const ForwardingPolicy& policy, Msat amount_to_forward) {
  return forwarding_fee(policy.fee_base_msat, policy.fee_proportional_millionths,
                        amount_to_forward);
}

// update_fulfill_htlc for an incoming HTLC.
struct Fulfill {
  HtlcKey htlc;
  Preimage payment_preimage;
  friend bool operator==(const Fulfill&, const Fulfill&) = default;
};
// update_fail_htlc for an incoming HTLC: `reason` is the encrypted return packet.
struct Fail {
  HtlcKey htlc;
  Bytes reason;
  // The failure code when this node is the erring node; nothing when it relays a
  // downstream failure it cannot read.
  std::optional<uint16_t> failure_code;
  friend bool operator==(const Fail&, const Fail&) = default;
};
// update_fail_malformed_htlc for an incoming HTLC whose onion this node cannot use.
struct FailMalformed {
  HtlcKey htlc;
  Hash256 sha256_of_onion;
  uint16_t failure_code = 0;
  friend bool operator==(const FailMalformed&, const FailMalformed&) = default;
};
using Resolution = std::variant<Fulfill, Fail, FailMalformed>;

// The HTLC a resolution is for.
const HtlcKey& htlc_of(const Resolution& resolution);

// A record to make durable (key and value of the component's table). Contract: every
// Persist a call returns is durable before any Resolution or HTLC it returns is acted on.
struct Persist {
  Bytes key;
  Bytes record;
  friend bool operator==(const Persist&, const Persist&) = default;
};

// An HTLC for which this node is the final hop, with what its onion payload says: what the
// invoice registry decides on.
struct FinalHtlc {
  HtlcKey htlc;
  Msat amount_msat;
  PaymentHash payment_hash;
  BlockHeight cltv_expiry;
  // The final payload.
  Msat amt_to_forward;
  BlockHeight outgoing_cltv_value;
  std::optional<PaymentSecret> payment_secret;
  // payment_data's total_msat (or total_amount_msat); BOLT 4: "MUST treat total_msat as if it
  // were equal to amt_to_forward if it is not present".
  Msat total_msat;
  std::optional<Preimage> keysend_preimage;
  std::optional<Bytes> payment_metadata;
  // To encrypt a failure for the sender.
  crypto::Secret32 shared_secret;
};

// The erring node's failure: `message` encrypted with the HTLC's onion shared secret.
Fail fail_with(const HtlcKey& htlc, const crypto::Secret32& shared_secret,
               const onion::FailureMessage& message);

// HtlcKey as a store key: channel_id || big-endian htlc id (ordered like HtlcKey).
Bytes encode_htlc_key(const HtlcKey& key);

}  // namespace fulgur::payment
