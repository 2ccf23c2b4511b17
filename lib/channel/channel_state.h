// The persisted state of one channel: everything the state machine needs to rebuild itself
// after a restart (no secrets: those are derived from the node seed and `key_index`). It
// serializes to a versioned record for the channel store; a decoder error means a corrupt
// or unknown record, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "channel/commit_builder.h"
#include "channel/commit_spec.h"
#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::channel {

enum class Phase : uint8_t {
  AwaitingAccept,          // opener: open_channel sent
  AwaitingFundingTx,       // opener: accept_channel received, the wallet builds the funding tx
  AwaitingFundingCreated,  // accepter: accept_channel sent
  AwaitingFundingSigned,   // opener: funding_created sent
  AwaitingLockin,          // both signed commitment 0; waiting for depth and channel_ready
  Normal,
  Shutdown,                // shutdown sent or received; HTLCs draining
  Negotiating,             // closing_signed fee negotiation
  Closed,                  // mutual close transaction signed and handed out
  ForceClosed,             // our commitment handed out (channel failed)
  Aborted,                 // failed before funding: forget the channel
};
const char* to_string(Phase phase);

// The limits one side sets for the other (open_channel / accept_channel fields).
struct SideParams {
  Sat dust_limit;
  Msat max_htlc_value_in_flight;
  Sat channel_reserve;  // what the OTHER side must keep
  Msat htlc_minimum;
  uint16_t to_self_delay = 0;  // imposed on the OTHER side's outputs
  uint16_t max_accepted_htlcs = 0;
  friend bool operator==(const SideParams&, const SideParams&) = default;
};

struct RemoteKeys {
  wire::Point funding_pubkey;
  wire::Point revocation_basepoint;
  wire::Point payment_basepoint;
  wire::Point delayed_payment_basepoint;
  wire::Point htlc_basepoint;
  friend bool operator==(const RemoteKeys&, const RemoteKeys&) = default;
};

// Our current commitment, and the peer's signatures for it: the funding signature and one
// HTLC signature per untrimmed HTLC output in output order (what our HTLC-success and
// HTLC-timeout transactions need on chain).
struct LocalCommit {
  uint64_t number = 0;
  CommitSpec spec;
  wire::Signature remote_signature;
  std::vector<wire::Signature> remote_htlc_signatures;
  friend bool operator==(const LocalCommit&, const LocalCommit&) = default;
};

// The peer's current commitment (or the next one we signed and await the revocation for).
struct RemoteCommit {
  uint64_t number = 0;
  CommitSpec spec;
  wire::Point per_commitment_point;
  friend bool operator==(const RemoteCommit&, const RemoteCommit&) = default;
};

struct WaitingForRevocation {
  RemoteCommit next;
  // Our local commitment number when we sent that commitment_signed: it orders the
  // retransmission of commitment_signed and revoke_and_ack on reestablish.
  uint64_t sent_after_local_number = 0;
  friend bool operator==(const WaitingForRevocation&, const WaitingForRevocation&) = default;
};

struct ChannelState {
  static constexpr uint16_t VERSION = 2;

  uint64_t key_index = 0;
  bool is_opener = false;
  ChannelType type = ChannelType::StaticRemoteKey;
  Phase phase = Phase::AwaitingAccept;
  BlockHash chain_hash;
  ChannelId temporary_channel_id;
  ChannelId channel_id;
  Sat funding_amount;
  Msat push_msat;
  Txid funding_txid;
  uint16_t funding_output_index = 0;
  Bytes funding_tx;  // opener: the signed funding transaction to broadcast
  uint32_t minimum_depth = 0;
  uint32_t funding_depth = 0;
  uint8_t channel_flags = 0;
  SideParams local_params;   // what we require of the peer
  SideParams remote_params;  // what the peer requires of us
  RemoteKeys remote_keys;
  bool channel_ready_sent = false;
  bool channel_ready_received = false;
  // channel_reestablish proved that we lost state: our latest commitment may be revoked,
  // so it is never broadcast (we wait for the peer's).
  bool local_data_loss = false;

  LocalCommit local_commit;
  RemoteCommit remote_commit;
  std::optional<WaitingForRevocation> waiting;
  wire::Point remote_next_point;  // the peer's point for remote_commit.number + 1 (or zero)

  UpdateLog ours;
  UpdateLog theirs;
  uint64_t next_htlc_id_ours = 0;
  uint64_t next_htlc_id_theirs = 0;
  Bytes remote_secrets;  // ShachainStore::to_bytes(): the peer's revealed secrets

  // upfront_shutdown_script of open_channel / accept_channel (empty: none committed to).
  Bytes local_upfront_shutdown_script;
  Bytes remote_upfront_shutdown_script;
  Bytes local_shutdown_script;
  Bytes remote_shutdown_script;
  bool shutdown_sent = false;
  bool shutdown_received = false;
  std::optional<Sat> closing_fee_sent;
  std::optional<Sat> closing_fee_received;
  // The mutual closing transaction with both signatures, once both agreed (Closed).
  Bytes closing_tx;

  friend bool operator==(const ChannelState&, const ChannelState&) = default;
};

Bytes serialize(const ChannelState& state);
Result<ChannelState> deserialize_channel_state(ByteSpan record);

}  // namespace fulgur::channel
