// Outgoing payments: the HTLC amounts and CLTVs of a route the caller chose, computed
// backwards from the payee (BOLT 7 fee formula, cltv_expiry_delta per channel), the onion
// for it (BOLT 4: payment_secret and total_msat for invoices, the preimage record for
// keysend), and the tracking of each attempt until it succeeds (with the preimage) or
// fails (with the decoded failure, its code and the hop that sent it). Route finding,
// retries and splitting belong to routerd; this is what it calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "payment/types.h"
#include "wire/tlv.h"

namespace fulgur::invoice {
struct Invoice;
}

namespace fulgur::payment {

// One hop of a route, from the first peer to the payee.
struct RouteHop {
  NodeId node_id;
  // The channel from the previous node (this node, for hop 0) to node_id.
  ShortChannelId short_channel_id;
  // That channel's relay policy as its source node advertises it (BOLT 7 channel_update,
  // or a BOLT 11 route hint). Hop 0's fee and delta are not used: we do not pay ourselves.
  Msat fee_base_msat{0};
  uint32_t fee_proportional_millionths = 0;
  CltvDelta cltv_expiry_delta{0};
  Msat htlc_minimum_msat{0};
  Msat htlc_maximum_msat = Msat::max();
  friend bool operator==(const RouteHop&, const RouteHop&) = default;
};

// The HTLC that reaches a hop.
struct HopHtlc {
  Msat amount_msat;
  BlockHeight cltv_expiry;
  friend bool operator==(const HopHtlc&, const HopHtlc&) = default;
};

// Backwards from the payee: hop i-1's HTLC is hop i's plus the fee and cltv_expiry_delta of
// channel i. Errors: an empty route or one over 20 hops, an overflow, or an amount outside
// a channel's htlc_minimum_msat..htlc_maximum_msat.
Result<std::vector<HopHtlc>> compute_route_htlcs(std::span<const RouteHop> route,
                                                 Msat final_amount, BlockHeight final_cltv);

// What the final payload carries beyond the amount and expiry.
struct FinalHopData {
  std::optional<PaymentSecret> payment_secret;  // with total_msat as payment_data
  Msat total_msat{0};
  std::optional<Preimage> keysend_preimage;
  std::optional<Bytes> payment_metadata;
};

struct PaymentOnion {
  Bytes onion_routing_packet;
  std::vector<crypto::Secret32> shared_secrets;  // one per hop, to read a failure
  std::vector<HopHtlc> htlcs;                    // what reaches each hop
};

// The onion for `route` (associated data: the payment hash). Errors as compute_route_htlcs,
// an invalid node id, or payloads that do not fit in the onion.
Result<PaymentOnion> build_payment_onion(std::span<const RouteHop> route, Msat final_amount,
                                         BlockHeight final_cltv, const FinalHopData& final_data,
                                         const PaymentHash& payment_hash,
                                         const crypto::SecretKey& session_key);

enum class PaymentState : uint8_t { pending = 0, succeeded = 1, failed = 2 };
const char* to_string(PaymentState state);

// A failed attempt, as far as the origin can tell.
struct PaymentFailure {
  // The hop that failed it (0 = our peer) and its node; nothing when no hop's HMAC matched.
  std::optional<uint32_t> hop_index;
  std::optional<NodeId> erring_node;
  // The failure_code; nothing when the erring hop's failuremsg does not decode.
  std::optional<uint16_t> failure_code;
  Bytes failure_message;  // the raw failuremsg, when attributed
  friend bool operator==(const PaymentFailure&, const PaymentFailure&) = default;
};

// One attempt: one HTLC on one of our channels. A payment is every attempt with its hash.
struct PaymentRecord {
  static constexpr uint16_t VERSION = 1;

  HtlcKey htlc;
  PaymentHash payment_hash;
  std::optional<PaymentSecret> payment_secret;  // invoice payments; none for keysend
  NodeId destination;
  Msat amount_msat;  // what this attempt delivers to the destination
  Msat total_msat;   // the whole payment (several attempts when paid in parts)
  Msat sent_msat;    // what leaves our channel: amount plus fees
  BlockHeight cltv_expiry;  // of our HTLC
  std::vector<RouteHop> route;
  std::vector<crypto::Secret32> shared_secrets;
  uint64_t created_at = 0;
  PaymentState state = PaymentState::pending;
  std::optional<uint64_t> resolved_at;
  // Keysend: the preimage we chose, from the start. Invoice: the payee's, once succeeded.
  std::optional<Preimage> payment_preimage;
  std::optional<PaymentFailure> failure;  // failed
  // The HTLC never left this node: dropped before it was committed (a disconnection, or a
  // restart before commitment_signed). Failed, unattributed; its HTLC id may be reused.
  bool dropped = false;
  wire::TlvRecords extensions;            // unknown odd fields of a later version

  bool is_keysend() const { return !payment_secret.has_value(); }
  Msat fee_msat() const { return sent_msat.saturating_sub(amount_msat); }
  friend bool operator==(const PaymentRecord&, const PaymentRecord&) = default;
};

// Versioned record (u16 version, TLV fields); decoding checks the invariants and whatever
// decodes re-encodes to the same bytes.
Bytes encode_payment_record(const PaymentRecord& record);
// An attempt's store key: payment_hash || channel_id || big-endian htlc id. The hash comes
// first because a dropped attempt's HTLC id may be reused by another attempt: one payment
// keeps its attempts, a later attempt of the same payment on the same id replaces it.
Bytes encode_payment_key(const PaymentHash& payment_hash, const HtlcKey& htlc);
Result<PaymentRecord> decode_payment_record(ByteSpan bytes);

struct PayOptions {
  // The total to pay: required for an invoice without an amount; for one with an amount,
  // at least that and at most twice it (BOLT 4). Keysend: the amount.
  std::optional<Msat> amount_msat;
  // This attempt's share when paying in parts (the invoice must offer basic_mpp).
  std::optional<Msat> part_msat;
  // Blocks added to the payee's final expiry (BOLT 7 "Recommendations for Routing": a
  // random offset, the shadow route), chosen by the caller.
  CltvDelta final_cltv_offset{0};
  // Keysend has no invoice to say what the payee needs.
  CltvDelta keysend_final_cltv_expiry_delta{22};
  // BOLT 4 max_htlc_cltv: our HTLC may not expire more than this far ahead.
  CltvDelta max_total_cltv{2016};
};

// The HTLC to offer on our channel to route[0], and the attempt to track once offered.
struct OutgoingHtlc {
  ShortChannelId short_channel_id;
  NodeId first_hop;
  Msat amount_msat;
  PaymentHash payment_hash;
  BlockHeight cltv_expiry;
  Bytes onion_routing_packet;
};
struct PreparedPayment {
  OutgoingHtlc htlc;
  PaymentRecord record;  // its htlc key is set by PaymentTracker::sent
};

// A payment's state over all its attempts.
struct PaymentStatus {
  PaymentState state = PaymentState::failed;  // meaningless when attempts == 0
  size_t attempts = 0;
  std::optional<Preimage> payment_preimage;  // succeeded
  Msat delivered_msat{0};  // by pending and succeeded attempts
};

struct PaymentUpdate {
  Persist persist;  // durable before the result is reported on
  PaymentState state = PaymentState::pending;
};

class PaymentTracker {
 public:
  // Prepares an attempt to pay `invoice` (decoded and checked by lib/invoice) along
  // `route`, which ends at the payee. Errors: an expired invoice, a feature dependency
  // missing, a route not ending at the payee, amounts BOLT 4 forbids, a payment already
  // succeeded or already fully in flight, or a route the onion cannot carry.
  Result<PreparedPayment> prepare_invoice(const invoice::Invoice& invoice,
                                          std::span<const RouteHop> route,
                                          const PayOptions& options,
                                          const crypto::SecretKey& session_key,
                                          BlockHeight current_height, uint64_t now) const;
  // Prepares a keysend of options.amount_msat to route.back().node_id with `preimage`
  // (fresh random bytes from the caller).
  Result<PreparedPayment> prepare_keysend(std::span<const RouteHop> route, const Preimage& preimage,
                                          const PayOptions& options,
                                          const crypto::SecretKey& session_key,
                                          BlockHeight current_height, uint64_t now) const;

  // The channel accepted the HTLC as `htlc`: track the attempt. Durable before that
  // channel's actions for the add run. Errors: `htlc` already tracked.
  Result<PaymentUpdate> sent(PreparedPayment prepared, const HtlcKey& htlc);

  // Our HTLC was fulfilled (the preimage must match), failed with update_fail_htlc's
  // `reason`, or failed as malformed by our peer. Replays change nothing. Errors: an
  // unknown HTLC, a wrong preimage, or a resolution contradicting an earlier one.
  Result<PaymentUpdate> on_fulfilled(const HtlcKey& htlc, const Preimage& preimage, uint64_t now);
  Result<PaymentUpdate> on_failed(const HtlcKey& htlc, ByteSpan reason, uint64_t now);
  Result<PaymentUpdate> on_malformed(const HtlcKey& htlc, uint16_t failure_code,
                                     const Hash256& sha256_of_onion, uint64_t now);
  // Our HTLC was dropped before it was committed (the channel machine's OutgoingDropped, or a
  // restart that finds it in no commitment and no log): the attempt failed without leaving
  // this node, and `htlc` is free for another attempt. Errors: no pending attempt on `htlc`.
  Result<PaymentUpdate> on_dropped(const HtlcKey& htlc, uint64_t now);

  // Our HTLC timed out on chain (the channel closed with it and the timeout path took the
  // amount back): the attempt failed at our own channel, with permanent_channel_failure and
  // no hop. Replays change nothing. Errors: no attempt on `htlc`, or it succeeded.
  Result<PaymentUpdate> on_timed_out(const HtlcKey& htlc, uint64_t now);

  // Restores a persisted record. Errors: corrupt, or an attempt (or a live HTLC) known.
  Status load(ByteSpan record);

  // The attempt on `htlc` (not a dropped one: its id may have been reused).
  const PaymentRecord* find(const HtlcKey& htlc) const;
  std::vector<const PaymentRecord*> attempts(const PaymentHash& payment_hash) const;
  PaymentStatus status(const PaymentHash& payment_hash) const;
  // Every attempt, by payment hash.
  std::vector<const PaymentRecord*> list() const;
  size_t size() const { return m_attempts.size(); }

 private:
  using AttemptKey = std::pair<PaymentHash, HtlcKey>;
  Result<PaymentRecord*> resolving(const HtlcKey& htlc);
  Result<PreparedPayment> prepare(std::span<const RouteHop> route, Msat amount,
                                  BlockHeight final_cltv, const FinalHopData& final_data,
                                  const PaymentHash& payment_hash, const PayOptions& options,
                                  const crypto::SecretKey& session_key, BlockHeight height,
                                  uint64_t now) const;
  static PaymentUpdate update_of(const PaymentRecord& record);

  std::map<AttemptKey, PaymentRecord> m_attempts;
  std::map<HtlcKey, PaymentHash> m_live;  // HTLCs of attempts not dropped

};

}  // namespace fulgur::payment
