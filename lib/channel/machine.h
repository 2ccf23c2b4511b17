// The BOLT 2 channel state machine, sans-I/O. Inputs: peer messages, block events, user
// commands and timer ticks (time passed in). Outputs: an ordered list of actions -- records
// to persist, messages to send, transactions to broadcast, events. The persist-before-send
// contract: the caller executes actions in order, and a PersistState must be durable before
// any action after it is executed (a store may coalesce consecutive PersistStates of one
// channel into one group commit, holding back the actions behind them until the fsync).
// Never signs or hands out a revoked commitment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "channel/channel_state.h"
#include "channel/commit_builder.h"
#include "channel/local_keys.h"
#include "channel/shachain.h"
#include "common/result.h"
#include "wire/messages.h"

namespace fulgur::channel {

// Our policy: what we ask of the peer and what we accept from it.
struct ChannelConfig {
  BlockHash chain_hash;
  Sat dust_limit{546};
  Msat htlc_minimum{1};
  uint16_t to_self_delay = 144;        // imposed on the peer
  uint16_t max_accepted_htlcs = 483;   // we accept from the peer
  uint32_t minimum_depth = 3;          // as accepter
  uint32_t reserve_per_mille = 10;     // 1% of the funding
  bool allow_anchors = true;
  // Limits on the peer's parameters.
  uint16_t max_to_self_delay = 2016;
  uint32_t max_minimum_depth = 144;
  Sat min_funding{20000};
  Sat max_funding{(uint64_t{1} << 24) - 1};
  Sat max_reserve_percent_base{0};  // unused: reserve checked against funding / 5
  Msat max_htlc_minimum{1000000};
  uint16_t min_max_accepted_htlcs = 5;
  Sat max_dust_limit{20000};
  FeeratePerKw min_feerate{253};
  FeeratePerKw max_feerate{100000};
  // HTLCs we offered and the peer has not removed this many blocks past their expiry
  // fail the channel (BOLT 2 "timeout deadline").
  uint32_t htlc_deadline_blocks = 1;
  FeeratePerKw closing_feerate{253};
  Bytes shutdown_script;  // where mutual closes pay us (P2WPKH etc.)
  // Sent as upfront_shutdown_script in open_channel / accept_channel (empty: a zero-length
  // one, committing to nothing). Non-empty: every mutual close pays it.
  Bytes upfront_shutdown_script;
  // Sign our own pending updates as soon as the peer's revocation allows.
  bool auto_commit = true;
};

struct PersistState {
  ChannelId channel_id;
  Bytes record;  // serialize(ChannelState)
};
// A message for the peer, to encode with wire::encode_message.
struct SendMessage {
  wire::Message message;
};
enum class TxKind { Funding, Commitment, MutualClose };
struct BroadcastTx {
  TxKind kind = TxKind::Funding;
  uint64_t commitment_number = 0;  // for Commitment
  // The fully signed transaction: the funding tx as the wallet made it; our latest
  // commitment with both funding signatures; the mutual close with both signatures.
  Bytes tx;
  Txid txid;                       // for Commitment and MutualClose
  CommitSpec spec;                 // for Commitment: what it pays; for MutualClose: balances
  Sat fee;                         // for MutualClose
};
struct Disconnect {};

namespace event {
struct FundingNeeded {
  Sat funding_satoshis;
  std::array<uint8_t, 33> local_funding_pubkey{};
  std::array<uint8_t, 33> remote_funding_pubkey{};
};
struct ChannelOpened {};
struct IncomingHtlc {  // irrevocably committed: fulfill or fail it
  uint64_t id = 0;
  Msat amount;
  PaymentHash payment_hash;
  BlockHeight cltv_expiry;
  wire::OnionPacket onion_routing_packet;
  std::optional<wire::Point> blinded_path;  // update_add_htlc_tlvs path_key
};
struct OutgoingFulfilled {  // the preimage of an HTLC we offered (usable at once)
  uint64_t id = 0;
  Preimage payment_preimage;
};
struct OutgoingFailed {  // an HTLC we offered is irrevocably failed
  uint64_t id = 0;
};
struct OutgoingDropped {  // an uncommitted HTLC we offered was forgotten on disconnect
  uint64_t id = 0;
};
struct MutualClosed {};
struct ChannelFailed {
  std::string reason;
};
struct WeAreBehind {  // data loss: never broadcast our commitment; wait for theirs
  wire::Point their_current_point;
};
}  // namespace event
using Event = std::variant<event::FundingNeeded, event::ChannelOpened, event::IncomingHtlc,
                           event::OutgoingFulfilled, event::OutgoingFailed, event::OutgoingDropped,
                           event::MutualClosed, event::ChannelFailed, event::WeAreBehind>;

using Action = std::variant<PersistState, SendMessage, BroadcastTx, Event, Disconnect>;

struct Outputs {
  std::vector<Action> actions;
  // Set when a peer message was rejected: what the spec says to do (the actions above
  // already do it: warning/error sent, channel failed, disconnect).
  std::optional<Error> rejected;
  void append(Outputs&& other);
};

// Our latest commitment, fully signed, with what BOLT 5 needs to spend from it (channeld
// hands it to the chain on a force close; the on-chain resolution sweeps its outputs).
struct HolderCommitment {
  uint64_t number = 0;
  CommitmentSpec spec;  // BOLT 3 view: "local" is us; spec.htlcs[i] = local_commit.spec.htlcs[i]
  CommitmentKeys keys;
  CommitmentTx commitment;         // unsigned; says which output is which
  bitcoin::Transaction signed_tx;  // commitment.tx with the funding witness, both signatures
  // The second-stage HTLC-timeout / HTLC-success transactions (unsigned) and the peer's
  // signature for each, both in commitment output order.
  std::vector<HtlcTx> htlc_txs;
  std::vector<wire::Signature> remote_htlc_signatures;
};

struct OpenRequest {
  uint64_t key_index = 0;
  ChannelId temporary_channel_id;
  Sat funding_satoshis;
  Msat push_msat;
  FeeratePerKw feerate_per_kw{2500};
  ChannelType type = ChannelType::StaticRemoteKey;
  uint8_t channel_flags = 0;
};

class ChannelMachine {
 public:
  // Opener: a machine in AwaitingAccept and its open_channel.
  static Result<ChannelMachine> open(const ChannelConfig& config, const crypto::Secret32& node_seed,
                                     const OpenRequest& request, Outputs& out);
  // Accepter: checks the peer's open_channel; a machine in AwaitingFundingCreated and its
  // accept_channel, or the rejection (with `out` holding the error to send).
  static Result<ChannelMachine> accept(const ChannelConfig& config,
                                       const crypto::Secret32& node_seed, uint64_t key_index,
                                       const msg::OpenChannel& open, Outputs& out);
  // Rebuilds a machine from its last persisted record (as if just disconnected). The
  // funding depth is forgotten: call on_block with the chain's tip before reconnecting.
  static Result<ChannelMachine> restore(const ChannelConfig& config,
                                        const crypto::Secret32& node_seed, ByteSpan record);

  // A message from the peer for this channel, as wire::decode_message gave it (the caller
  // routes by channel_id_of). Messages outside BOLT 2's v1 channel protocol are refused:
  // connection-level and gossip ones with PeerAction::Ignore and no action (the caller's to
  // handle), channel messages of features we do not support with a warning.
  Outputs handle(const wire::Message& message);
  // Opener: the wallet made the funding transaction paying funding_satoshis to the 2-of-2.
  Result<Outputs> funding_tx_ready(const Txid& txid, uint16_t output_index, Bytes tx);
  // A new block: its height and the funding transaction's depth (0 if unconfirmed).
  Outputs on_block(BlockHeight height, uint32_t funding_depth);
  // Timer: signs pending updates (the batching window ends).
  Outputs on_tick(uint64_t now_ms);

  // User commands. Errors carry PeerAction::None and change nothing.
  Result<Outputs> add_htlc(Msat amount, const PaymentHash& payment_hash, BlockHeight cltv_expiry,
                           const wire::OnionPacket& onion, uint64_t* id_out = nullptr);
  Result<Outputs> fulfill_htlc(uint64_t id, const Preimage& preimage);
  Result<Outputs> fail_htlc(uint64_t id, Bytes reason);
  Result<Outputs> fail_malformed_htlc(uint64_t id, const Hash256& sha256_of_onion,
                                      uint16_t failure_code);
  Result<Outputs> update_fee(FeeratePerKw feerate);
  Result<Outputs> commit();  // sign pending updates now (no-op when nothing to sign)
  Result<Outputs> shutdown(Bytes scriptpubkey);
  Outputs force_close(const std::string& reason);

  // Transport events.
  Outputs disconnected();
  Outputs reconnected();

  const ChannelState& state() const { return m_s; }
  bool connected() const { return m_connected; }
  bool reestablished() const { return m_connected && !m_awaiting_reestablish; }
  // Incoming HTLCs irrevocably committed with no removal of ours under way.
  std::vector<SpecHtlc> pending_incoming() const;
  // Every commitment number we revoked is below this one.
  uint64_t local_commitment_number() const { return m_s.local_commit.number; }
  // Our latest commitment, signed by both (an error before the peer signed one). Never a
  // revoked one. After WeAreBehind, our commitment may be revoked: do not broadcast it.
  Result<HolderCommitment> holder_commitment() const;

 private:
  ChannelMachine(const ChannelConfig& config, const crypto::Secret32& node_seed,
                 uint64_t key_index);

  // Keys and signatures.
  crypto::Secret32 local_secret(uint64_t n) const;
  crypto::PublicKey local_point(uint64_t n) const;
  Basepoints local_basepoints() const;
  Result<Basepoints> remote_basepoints() const;
  Result<BuiltCommitment> build(bool holder_is_us, uint64_t number, const CommitSpec& spec,
                                const crypto::PublicKey& point) const;
  Result<msg::CommitmentSigned> sign_remote(const RemoteCommit& commit) const;
  Status verify_local(uint64_t number, const CommitSpec& spec, const wire::Signature& sig,
                      const std::vector<wire::Signature>& htlc_sigs) const;
  msg::RevokeAndAck revocation_for(uint64_t revoked_number) const;

  // Output helpers.
  void persist(Outputs& out) const;
  static void send(Outputs& out, wire::Message m) {
    out.actions.push_back(SendMessage{std::move(m)});
  }
  Outputs reject(Error error);
  Outputs reject(Unexpected<Error> error) { return reject(std::move(error.error)); }
  void fail_channel(Outputs& out, const std::string& reason);
  void hand_out_commitment(Outputs& out);

  // Establishment (machine_open.cpp).
  Status check_open(const msg::OpenChannel& m);
  Status check_accept(const msg::AcceptChannel& m);
  Status check_common_params(Sat funding, Sat dust, Sat reserve, CltvDelta to_self_delay,
                             uint16_t max_accepted, Msat htlc_minimum);
  Status check_channel_type(const std::optional<Bytes>& channel_type);
  Status store_remote_keys(const wire::Point& funding, const wire::Point& revocation,
                           const wire::Point& payment, const wire::Point& delayed,
                           const wire::Point& htlc, const wire::Point& first_point);
  Status store_upfront_script(const std::optional<Bytes>& script);
  Outputs on_accept_channel(const msg::AcceptChannel& m);
  Outputs on_funding_created(const msg::FundingCreated& m);
  Outputs on_funding_signed(const msg::FundingSigned& m);
  Outputs on_channel_ready(const msg::ChannelReady& m);
  void init_commitments();
  void maybe_send_channel_ready(Outputs& out);

  // Normal operation (machine_update.cpp).
  const CommitSpec& latest_remote_spec() const;
  Status check_can_send(const CommitSpec& next) const;
  Status check_can_receive(const CommitSpec& next) const;
  Status check_removable_by_us(uint64_t id) const;
  Status check_removable_by_them(uint64_t id) const;
  Outputs on_update_add(const msg::UpdateAddHtlc& m);
  Outputs on_update_remove(const Update& u);
  Outputs on_update_fee(const msg::UpdateFee& m);
  Outputs on_commitment_signed(const msg::CommitmentSigned& m);
  Outputs on_revoke_and_ack(const msg::RevokeAndAck& m);
  Result<Outputs> propose(Update u);
  bool can_update() const;
  void maybe_commit(Outputs& out);
  void check_htlc_deadlines(Outputs& out);

  // Reestablish (machine_reestablish.cpp).
  Outputs on_reestablish(const msg::ChannelReestablish& m);
  Status check_data_loss(const msg::ChannelReestablish& m, Outputs& out, bool& behind);
  void retransmit_commitment(Outputs& out) const;

  // Close (machine_close.cpp).
  Outputs on_shutdown(const msg::Shutdown& m);
  Outputs on_closing_signed(const msg::ClosingSigned& m);
  void maybe_send_shutdown(Outputs& out);
  void maybe_start_negotiation(Outputs& out);
  Sat max_closing_fee() const;
  Script funding_witness_script() const;
  Result<bitcoin::Transaction> closing_tx(Sat fee, Sat dust_limit, bool omit_remote) const;
  Result<msg::ClosingSigned> sign_closing(Sat fee) const;
  std::optional<bitcoin::Transaction> closing_signed_by_peer(const msg::ClosingSigned& m) const;
  void finish_mutual_close(Outputs& out, Sat fee, const bitcoin::Transaction& peer_signed,
                           const wire::Signature& peer_sig);
  void hand_out_closing(Outputs& out) const;

  ChannelConfig m_config;
  LocalChannelSecrets m_secrets;
  ChannelState m_s;
  ShachainStore m_remote_secrets;
  bool m_connected = true;
  bool m_awaiting_reestablish = false;
  BlockHeight m_height;
};

// True for the four scriptpubkey forms BOLT 2 allows in shutdown.
bool is_valid_shutdown_script(ByteSpan script);

// The channel a peer message is for: its channel_id, or temporary_channel_id for
// open_channel, accept_channel and funding_created. Nothing for connection-level (init,
// ping, pong, peer storage) and gossip messages, which no channel machine handles.
std::optional<ChannelId> channel_id_of(const wire::Message& message);

}  // namespace fulgur::channel
