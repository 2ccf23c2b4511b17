// Forward tracking across the switch: each forwarded HTLC links the incoming (channel,
// htlc id) to the outgoing one. When the outgoing HTLC is fulfilled the incoming one is
// fulfilled with the same preimage; when it fails, the failure is wrapped for the upstream
// node (BOLT 4 "Returning Errors") or, for update_fail_malformed_htlc, turned into the
// failure this node encrypts itself (BOLT 2). Records are persisted so that no HTLC is lost
// across restarts, and replays of an event change nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "crypto/secret.h"
#include "payment/htlc_switch.h"
#include "payment/types.h"
#include "wire/tlv.h"

namespace fulgur::payment {

enum class ForwardState : uint8_t {
  offered = 0,  // the outgoing HTLC is in flight
  settled = 1,  // fulfilled downstream; the incoming is fulfilled with its preimage
  failed = 2,   // failed downstream; the incoming is failed
};
const char* to_string(ForwardState state);

struct ForwardRecord {
  static constexpr uint16_t VERSION = 1;

  HtlcKey incoming;
  HtlcKey outgoing;
  ShortChannelId outgoing_short_channel_id;
  PaymentHash payment_hash;
  Msat incoming_amount_msat;
  Msat outgoing_amount_msat;
  BlockHeight incoming_cltv_expiry;
  BlockHeight outgoing_cltv_expiry;
  crypto::Secret32 shared_secret;  // the incoming onion's, to wrap failures
  uint64_t received_at = 0;        // seconds
  ForwardState state = ForwardState::offered;
  std::optional<uint64_t> resolved_at;          // settled or failed
  std::optional<Preimage> payment_preimage;     // settled
  std::optional<Bytes> failure_reason;          // failed: the reason sent upstream
  std::optional<uint16_t> failure_code;         // failed, when this node encrypted it
  // The outgoing HTLC was dropped before it was committed (a disconnection or a restart
  // before commitment_signed): it never left, the incoming one failed with our
  // temporary_channel_failure, and `outgoing`'s id may be given to another HTLC.
  bool outgoing_dropped = false;
  wire::TlvRecords extensions;                  // unknown odd fields of a later version

  // What the forward earned: the incoming amount less the outgoing one, once settled.
  Msat fee_earned() const;
  friend bool operator==(const ForwardRecord&, const ForwardRecord&) = default;
};

// What the incoming HTLC of a forward is resolved with: the preimage once settled, the
// failure once failed, nothing while the outgoing HTLC is offered.
std::optional<Resolution> incoming_resolution(const ForwardRecord& record);

// Versioned record (u16 version, TLV fields); decoding checks the state's invariants and
// whatever decodes re-encodes to the same bytes.
Bytes encode_forward_record(const ForwardRecord& record);
Result<ForwardRecord> decode_forward_record(ByteSpan bytes);

struct ForwardOutput {
  std::vector<Persist> persist;        // durable first (key: the incoming HtlcKey)
  std::vector<Resolution> resolutions;  // then carried out on the incoming channel
};

class ForwardTracker {
 public:
  // Records `forward`, offered on its outgoing channel as HTLC `outgoing_htlc_id`. The
  // record must be durable before the outgoing channel's actions for that add_htlc run
  // (then a restart can neither lose the link nor forward twice). Recording the same
  // forward again changes nothing; a different outgoing HTLC for a known incoming one, or
  // an outgoing HTLC already linked, is an error.
  Result<ForwardOutput> add(const Forward& forward, uint64_t outgoing_htlc_id, uint64_t now);

  // The outgoing HTLC was fulfilled (update_fulfill_htlc, or its preimage seen on chain).
  Result<ForwardOutput> on_fulfilled(const HtlcKey& outgoing, const Preimage& preimage,
                                     uint64_t now);
  // The outgoing HTLC was failed with update_fail_htlc's `reason` (irrevocably).
  Result<ForwardOutput> on_failed(const HtlcKey& outgoing, ByteSpan reason, uint64_t now);
  // The outgoing HTLC was failed with update_fail_malformed_htlc. Error (the peer broke
  // BOLT 2: fail that channel) when BADONION is not set in `failure_code`.
  Result<ForwardOutput> on_malformed(const HtlcKey& outgoing, uint16_t failure_code,
                                     const Hash256& sha256_of_onion, uint64_t now);

  // The outgoing HTLC was dropped uncommitted (the channel machine's OutgoingDropped, or a
  // restart that finds it in no commitment and no log): this node fails the incoming HTLC
  // with temporary_channel_failure and `channel_update`, and forgets the outgoing link (the
  // channel reuses the HTLC id). Errors: no forward offered on `outgoing`.
  Result<ForwardOutput> on_dropped(const HtlcKey& outgoing, const Bytes& channel_update,
                                   uint64_t now);

  // The outgoing HTLC timed out on chain (the outgoing channel closed with it, and the
  // timeout path took the amount back): this node fails the incoming HTLC with
  // permanent_channel_failure. Replays change nothing. Errors: no forward offered on
  // `outgoing`, or it settled (its preimage was learned first).
  Result<ForwardOutput> on_timed_out(const HtlcKey& outgoing, uint64_t now);

  // Offered forwards whose incoming HTLC expires within `deadline` blocks of `height`: the
  // outgoing HTLC must be resolved on chain now, or the incoming one times out while the
  // outgoing can still be fulfilled (BOLT 2 "cltv_expiry_delta Selection").
  std::vector<const ForwardRecord*> at_risk(BlockHeight height, CltvDelta deadline) const;

  // Restores a persisted record. Errors: corrupt, or either HTLC already known (the outgoing
  // one of a dropped forward is not).
  Status load(ByteSpan record);

  const ForwardRecord* find_incoming(const HtlcKey& incoming) const;
  const ForwardRecord* find_outgoing(const HtlcKey& outgoing) const;
  // Every forward in incoming-HTLC order (listforwards).
  std::vector<const ForwardRecord*> list() const;
  Msat total_fees_earned() const;

 private:
  Result<ForwardRecord*> resolving(const HtlcKey& outgoing);
  Status insert(ForwardRecord record);
  static ForwardOutput output_of(const ForwardRecord& record);

  std::map<HtlcKey, ForwardRecord> m_forwards;  // by incoming HTLC
  std::map<HtlcKey, HtlcKey> m_by_outgoing;      // outgoing -> incoming (not dropped ones)
};

}  // namespace fulgur::payment
