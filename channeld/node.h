// The channel node: everything channeld does on its loop, as one object that a daemon, a
// test or a load tool constructs with a libuv loop, a data directory, an LMDB environment
// and (optionally) an L1 client. It owns the node key, the peer manager, every channel's
// state machine (lib/channel) with the glue around it (message routing, the L1 wallet for
// funding, block following), lib/payment's HTLC switch, invoice registry, forward and
// payment trackers (forwarding, invoices, paying along a given route, keysend), and the
// group-committing store that makes all of their records durable together.
//
// Persist before send: the actions a machine hands out run in order; every record is
// written into the loop turn's batch, and every action behind a record waits until that
// batch is durable (one transaction, one fsync, on the store's writer thread). Actions from
// later turns queue behind held ones, so messages to a peer never overtake each other.
//
// Must not: hold protocol rules (they live in lib/channel, lib/payment, lib/onion, lib/wire),
// block the loop (L1 calls go through AsyncL1), or trust a peer's bytes.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bitcoin/bech32.h"
#include "chain/async_l1.h"
#include "chain/follower.h"
#include "channel/machine.h"
#include "channeld/onchain_view.h"
#include "channeld/peers.h"
#include "channeld/store.h"
#include "common/log.h"
#include "payment/payments.h"
#include "payment/types.h"
#include "store/env.h"

namespace fulgur::invoice {
struct RouteHintHop;
}  // namespace fulgur::invoice

namespace fulgur::payment {
struct InvoiceRecord;
struct ForwardRecord;
struct Forward;
}  // namespace fulgur::payment

namespace fulgur::channeld {

struct NodeConfig {
  std::filesystem::path datadir;
  bitcoin::Network network = bitcoin::Network::Regtest;
  std::string bind_host = "127.0.0.1";
  uint16_t bind_port = 9735;  // 0: the kernel picks (see Node::listen_port)
  bool listen = true;
  channel::ChannelConfig channel;    // our policy; chain_hash is set from `network`
  FeeratePerKw commit_feerate{2500};  // for the channels we open
  uint32_t funding_feerate_sat_per_vb = 0;  // 0: the L1 wallet's own estimate
  uint32_t final_cltv_delta = 40;     // keysend: blocks until the HTLC expires
  uint32_t min_final_cltv_delta = 18;  // what we require of keysend HTLCs paid to us
  // What we charge and require for forwarding over our channels (BOLT 7 channel_update).
  payment::ForwardingPolicy policy;
  uint64_t mpp_timeout_s = 60;  // an incomplete multi-part payment fails after this
  bool accept_keysend = true;
  uint64_t block_poll_ms = 1000;
  PeerLimits peers;
  size_t max_channels_per_peer = 64;
  size_t max_pending_payments = 10'000;  // callers waiting for a payment's outcome
  FeeratePerKw sweep_feerate_floor{253};  // the least on-chain claims pay (else the L1's estimate)
  // Development only: hand out our current commitment without broadcasting it, broadcast a
  // revoked one (tests and the demo of the penalty make a node cheat).
  bool dev_allow_cheat = false;
  // Development only: HTLCs paid to us stay pending off chain (neither fulfilled nor failed),
  // so that tests can close channels with HTLCs in flight; on chain they are claimed.
  bool dev_hold_htlcs = false;
};

struct ChannelView;   // what list_channels reports
struct PaymentView;   // what payment_view and list_payments report
class ChainWatch;     // on-chain resolution (onchain_watch.h)

class Node final : private PeerHandler {
 public:
  Node(uv_loop_t* loop, NodeConfig config, store::Environment& env, chain::L1* l1, Logger log);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Node key, store, channels restored, listening, peers redialed, blocks followed.
  Status start();
  // Winds down (peers closed, L1 calls and the commit in flight finished); `done` runs on
  // the loop when every handle is closed or closing.
  void stop(std::function<void()> done);

  // ---- what the daemon's capnp server and tools call (results on the loop) ----
  using Done = std::function<void(Status)>;
  const NodeId& node_id() const { return m_node_id; }
  uint16_t listen_port() const { return m_peers ? m_peers->listen_port() : 0; }
  const NodeConfig& config() const { return m_config; }
  BlockHeight height() const { return m_height; }
  const std::string& l1_status() const { return m_l1_status; }
  size_t active_channels() const;
  PeerManager& peers() { return *m_peers; }
  size_t channel_count_with(const NodeId& peer) const;

  void connect(const PeerUri& uri, Done done);
  struct OpenResult {
    uint64_t key_index = 0;
  };
  void open_channel(const NodeId& peer, Sat amount, Msat push, channel::ChannelType type,
                    std::function<void(Result<OpenResult>)> done);
  // Mutual close (waits for the closing tx handed to the L1), or force close.
  struct CloseResult {
    uint64_t key_index = 0;
    Txid closing_txid;
    std::string broadcast_error;  // the L1's refusal, if any
    // Set when another transaction spent the funding output first (e.g. the peer's
    // commitment): `closing_txid` is that transaction; not an error.
    std::string note;
  };
  void close_channel(const ChannelId& id, bool force, std::function<void(Result<CloseResult>)> done);
  // A payment's outcome: `done` runs once it is no longer pending (succeeded or every
  // attempt failed) and that is durable; payment_view(payment_hash) tells which. An error
  // means nothing was sent (bad arguments, no usable first channel).
  struct PaymentResult {
    PaymentHash payment_hash;
  };
  using PaymentDone = std::function<void(Result<PaymentResult>)>;
  // Keysend to a direct peer over the first of our channels with it that takes the HTLC.
  void keysend(const NodeId& peer, Msat amount, PaymentDone done);
  // Keysend along `route` (route[0] is one of our channels, by short_channel_id).
  void keysend_route(std::vector<payment::RouteHop> route, Msat amount, PaymentDone done);
  // Pays a BOLT 11 invoice along the routes given (routerd will find them later): one part
  // per route, each delivering its `amount` (several parts: a multi-part payment).
  // `amount`: the total, for an invoice without one (or to pay more, up to twice it).
  struct PayPart {
    std::vector<payment::RouteHop> route;
    std::optional<Msat> amount;  // this part's share; the whole payment when unset
  };
  void pay(const std::string& bolt11, std::vector<PayPart> parts, std::optional<Msat> amount,
           PaymentDone done);

  struct InvoiceRequest {
    std::optional<Msat> amount;
    std::string description;
    uint64_t expiry_seconds = 3600;
    uint32_t min_final_cltv_expiry_delta = 18;
  };
  struct CreatedInvoice {
    std::string bolt11;
    PaymentHash payment_hash;
  };
  // A new invoice, signed with the node key; answered once it is durable.
  void create_invoice(const InvoiceRequest& request,
                      std::function<void(Result<CreatedInvoice>)> done);

  // An HTLC we offered on channel `channel_id` was resolved on chain (the on-chain
  // resolution calls this): fulfilled with the `preimage` seen in the peer's spending
  // transaction (a forward settles its incoming HTLC upstream with it, a payment succeeds),
  // or, without a preimage, timed out (a forward fails its incoming HTLC with
  // permanent_channel_failure, a payment attempt fails). The records go into the open
  // batch and what they imply on other channels waits for it. Replays change nothing.
  // Errors: no forward or payment attempt on that HTLC, or a contradiction (a wrong
  // preimage, a timeout after the preimage).
  Status resolve_outgoing_onchain(const ChannelId& channel_id, uint64_t htlc_id,
                                  const std::optional<Preimage>& preimage);

  // Development only (dev_allow_cheat): our current commitment, fully signed, NOT broadcast.
  struct SignedCommitment {
    Bytes tx;
    Txid txid;
    uint64_t commitment_number = 0;
  };
  Result<SignedCommitment> dev_signed_commitment(const ChannelId& id) const;
  // Development only (dev_allow_cheat): broadcasts the newest commitment of ours that we
  // revoked (kept in memory, only with dev_allow_cheat, since this process started): the
  // peer's penalty takes the whole channel.
  void dev_broadcast_revoked(const ChannelId& id,
                             std::function<void(Result<SignedCommitment>)> done);

  void new_address(std::function<void(Result<std::string>)> done);
  void list_unspent(std::function<void(Result<std::vector<chain::Utxo>>)> done);

  std::vector<ChannelView> list_channels() const;
  std::optional<ChannelView> channel_view(uint64_t key_index) const;
  std::optional<uint64_t> find_channel(const ChannelId& id) const;
  std::vector<PaymentView> list_payments() const;
  std::optional<PaymentView> payment_view(const PaymentHash& hash) const;
  // lib/payment's records, oldest first; valid until the loop runs again.
  std::vector<const payment::InvoiceRecord*> list_invoices() const;
  std::vector<const payment::ForwardRecord*> list_forwards() const;
  Msat fees_earned() const;
  std::optional<ShortChannelId> short_channel_id_of(const ChannelId& id) const;

  // Figures for tests and the load tool.
  uint64_t store_commits() const { return m_store ? m_store->commits() : 0; }
  uint64_t records_written() const { return m_records_written; }
  // Runs `fn` once every action queued so far has run (all durable and sent).
  void when_idle(std::function<void()> fn);

 private:
  struct Channel;
  struct Held;
  struct FailInfo;
  struct Switch;
  friend class ChainWatch;

  // PeerHandler.
  void on_peer_connected(const NodeId& id) override;
  void on_peer_message(const NodeId& id, wire::Message message) override;
  void on_peer_disconnected(const NodeId& id, const std::string& reason) override;

  // Channels (node_channels.cpp).
  Channel* find(const NodeId& peer, const ChannelId& id);
  Channel& add_channel(uint64_t key_index, const NodeId& peer,
                       std::unique_ptr<channel::ChannelMachine> machine);
  void reindex(Channel& c);
  void on_open_channel(const NodeId& peer, const wire::msg::OpenChannel& m);
  void route(const NodeId& peer, const wire::Message& m);
  channel::ChannelConfig channel_config() const;
  uint64_t allocate_key_index();
  void keep_peer_if_needed(const NodeId& peer);

  // Actions (node_actions.cpp).
  // Runs `out`'s actions in order, each after the records before it are durable;
  // `after_batch`: every action also waits for the open batch (a new key index).
  void apply(Channel& c, channel::Outputs out, bool after_batch = false);
  void enqueue(bool after_batch, std::function<void()> run);
  void drain();
  void maybe_commit();
  static void on_check(uv_check_t* check);
  // Makes the loop finish its turn without blocking in poll, so that the batch and the
  // signing of this turn happen now (not at the next socket event or timer).
  void request_turn_end();
  bool turn_end_work() const;
  void on_committed(uint64_t batch, Status status);
  void handle_event(uint64_t key_index, const channel::Event& e);
  // Hands `tx` to the L1; `then` runs once the L1 answered (the error to the peer that
  // follows our commitment).
  void broadcast(uint64_t key_index, const channel::BroadcastTx& tx,
                 std::function<void()> then = {});
  // Takes the `error` messages out of Outputs that broadcast our commitment.
  static std::vector<wire::Message> hold_errors_behind_commitment(channel::Outputs& out);
  // What spent the funding output before our commitment could: looked up in the L1's
  // mempool (at most MAX_MEMPOOL_SCAN transactions); `done` gets its txid and a sentence.
  static constexpr size_t MAX_MEMPOOL_SCAN = 5000;
  void find_funding_spend(uint64_t key_index,
                          std::function<void(std::optional<Txid>, std::string)> done);
  void send_to_peer(const NodeId& peer, uint64_t generation, const wire::Message& m);

  // L1: funding, blocks (node_chain.cpp).
  void fund(uint64_t key_index, const channel::event::FundingNeeded& need);
  void on_block_event(const chain::BlockEvent& e);
  void refresh_depths();
  void refresh_shutdown_script();

  // The switch: HTLCs offered to us, outgoing resolutions, restart (node_switch.cpp).
  void load_payment_records(const StoreContents& contents);
  void on_htlc_event(uint64_t key_index, const channel::Event& e);
  void on_incoming_htlc(Channel& c, uint64_t htlc_id, Msat amount, const PaymentHash& hash,
                        BlockHeight cltv_expiry, ByteSpan onion, bool blinded);
  void forward(payment::Forward f);
  void on_outgoing_fulfilled(Channel& c, uint64_t htlc_id, const Preimage& preimage);
  void on_outgoing_failed(Channel& c, uint64_t htlc_id);
  void on_outgoing_dropped(Channel& c, uint64_t htlc_id);
  void carry_out(std::vector<payment::Resolution> resolutions);
  void resolve_pending_incoming(Channel& c, bool reestablished);
  void reconcile_payments_after_restart();
  void refresh_switch_entry(Channel& c);
  const Bytes& channel_update_of(Channel& c);
  void set_short_channel_id(Channel& c, ShortChannelId scid);
  void on_height(BlockHeight height);
  void on_tick();
  Channel* channel_by_id(const ChannelId& id);
  // Payments out and invoices (node_payments.cpp).
  static constexpr size_t MAX_ROUTE_HINTS = 3;
  // One-hop hints through our usable channels for an invoice of `amount`.
  std::vector<std::vector<invoice::RouteHintHop>> route_hints(std::optional<Msat> amount) const;
  // Offers `prepared` on `c`; on an error nothing changed and `prepared` is untouched.
  Status send_attempt(Channel& c, payment::PreparedPayment&& prepared);
  Channel* first_hop(const payment::RouteHop& hop);
  void payment_changed(const PaymentHash& hash);
  void wait_for_payment(const PaymentHash& hash, PaymentDone done);

  uv_loop_t* m_loop;
  NodeConfig m_config;
  store::Environment& m_env;
  chain::L1* m_l1;
  Logger m_log;
  std::unique_ptr<chain::AsyncL1> m_async_l1;
  std::unique_ptr<chain::TipWatcher> m_tip_watcher;
  std::unique_ptr<crypto::SecretKey> m_node_key;
  std::unique_ptr<crypto::Secret32> m_channel_seed;
  NodeId m_node_id;
  std::unique_ptr<ChannelStore> m_store;
  std::unique_ptr<PeerManager> m_peers;
  std::unique_ptr<ChainWatch> m_watch;
  // dev_allow_cheat only: per channel, our current signed commitment and the newest revoked
  // one (memory only).
  struct DevCommitments {
    std::optional<SignedCommitment> current, revoked;
  };
  std::map<uint64_t, DevCommitments> m_dev_commitments;
  void dev_keep_commitments(Channel& c);

  std::map<uint64_t, std::unique_ptr<Channel>> m_channels;       // by key index
  std::map<std::pair<NodeId, ChannelId>, uint64_t> m_by_id;      // (peer, current id) -> key
  std::map<NodeId, uint64_t> m_peer_generation;                  // bumped per (dis)connection
  std::map<NodeId, PeerAddress> m_addresses;                     // where peers listen
  uint64_t m_next_key_index = 0;

  std::unique_ptr<Switch> m_switch;  // lib/payment's state (node_internal.h)
  std::map<IncomingKey, Bytes> m_incoming_onions;  // (key index, their HTLC id) -> onion
  struct FailInfo {
    Bytes reason;                 // update_fail_htlc's encrypted reason
    uint16_t malformed_code = 0;  // or update_fail_malformed_htlc's failure_code
    Hash256 sha256_of_onion;      // and its sha256_of_onion
  };
  std::map<IncomingKey, FailInfo> m_fail_reasons;  // (key index, our HTLC id) -> how it failed

  // Group commit.
  Batch m_batch;             // the open batch (this loop turn's records)
  uint64_t m_batch_id = 1;   // id of the open batch
  uint64_t m_durable = 0;    // every batch up to this one is durable
  std::deque<std::unique_ptr<Held>> m_queue;  // actions in order, each after its batch
  bool m_draining = false;
  uv_check_t* m_check;
  uv_idle_t* m_turn_end;  // active while this turn has a batch or updates to sign
  uint64_t m_records_written = 0;
  std::set<uint64_t> m_to_sign;  // channels with updates of ours to sign at the turn's end

  BlockHeight m_height;
  std::string m_l1_status;
  bool m_depth_refresh_in_flight = false;
  bool m_depth_refresh_again = false;
  Bytes m_shutdown_script;   // a wallet address's script for mutual closes
  bool m_stopping = false;
  std::function<void()> m_stop_done;
};

// What list_channels reports.
struct ChannelView {
  uint64_t key_index = 0;
  NodeId peer;
  channel::ChannelState state;
  bool peer_connected = false;
  uint32_t funding_depth = 0;
  std::optional<ShortChannelId> short_channel_id;
  std::optional<Txid> closing_txid;
  Sat closing_fee;
  std::optional<OnchainView> onchain;  // once a resolver watches the funding output
};

// One attempt of a payment: one HTLC on one of our channels.
struct AttemptView {
  ChannelId channel_id;
  uint64_t htlc_id = 0;
  std::vector<payment::RouteHop> route;
  Msat amount_msat;  // delivered to the destination
  Msat sent_msat;    // what left our channel (amount plus fees)
  payment::PaymentState state = payment::PaymentState::pending;
  std::optional<payment::PaymentFailure> failure;
  bool dropped = false;  // never left this node (dropped before it was committed)
};

// A payment: every attempt with its payment hash.
struct PaymentView {
  PaymentHash payment_hash;
  payment::PaymentState state = payment::PaymentState::pending;
  NodeId destination;
  bool keysend = false;
  Msat amount_msat;  // the total the destination is paid (all parts)
  Msat sent_msat;    // by the attempts that did not fail
  Msat fee_msat;     // sent - delivered, over the attempts that did not fail
  std::optional<Preimage> preimage;  // succeeded (keysend: ours from the start)
  uint64_t created_at = 0;
  std::vector<AttemptView> attempts;  // oldest first
  // The failure of the last failed attempt, when the payment failed.
  const AttemptView* last_failure() const;
};

// "incorrect_or_unknown_payment_details (0x400f) from hop 1 (02ab...)", "dropped before it
// was committed", "unreadable failure"; empty for an attempt that did not fail.
std::string describe_failure(const AttemptView& attempt);

}  // namespace fulgur::channeld
