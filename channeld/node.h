// The channel node: everything channeld does on its loop, as one object that a daemon, a
// test or a load tool constructs with a libuv loop, a data directory, an LMDB environment
// and (optionally) an L1 client. It owns the node key, the peer manager, every channel's
// state machine (lib/channel) with the glue around it (message routing, the L1 wallet for
// funding, block following, keysend payments), and the group-committing store.
//
// Persist before send: the actions a machine hands out run in order; every record is
// written into the loop turn's batch, and every action behind a record waits until that
// batch is durable (one transaction, one fsync, on the store's writer thread). Actions from
// later turns queue behind held ones, so messages to a peer never overtake each other.
//
// Must not: hold protocol rules (they live in lib/channel, lib/onion, lib/wire), block the
// loop (L1 calls go through AsyncL1), or trust a peer's bytes.
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
#include <variant>
#include <vector>

#include "bitcoin/bech32.h"
#include "chain/async_l1.h"
#include "chain/follower.h"
#include "channel/machine.h"
#include "channeld/peers.h"
#include "channeld/store.h"
#include "common/log.h"
#include "onion/failure.h"
#include "store/env.h"

namespace fulgur::payment {
class InvoiceRegistry;
class ChannelTable;
struct SwitchConfig;
struct Fulfill;
struct Fail;
struct FailMalformed;
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
  uint64_t block_poll_ms = 1000;
  PeerLimits peers;
  size_t max_channels_per_peer = 64;
  size_t max_pending_payments = 10'000;
};

struct ChannelView;   // what listChannels reports (node_views.h)
struct PaymentView;

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
  };
  void close_channel(const ChannelId& id, bool force, std::function<void(Result<CloseResult>)> done);
  struct PaymentResult {
    PaymentHash payment_hash;
  };
  void keysend(const NodeId& peer, Msat amount, std::function<void(Result<PaymentResult>)> done);

  void new_address(std::function<void(Result<std::string>)> done);
  void list_unspent(std::function<void(Result<std::vector<chain::Utxo>>)> done);

  std::vector<ChannelView> list_channels() const;
  std::optional<ChannelView> channel_view(uint64_t key_index) const;
  std::optional<uint64_t> find_channel(const ChannelId& id) const;
  std::vector<PaymentView> list_payments() const;
  std::optional<PaymentView> payment_view(const PaymentHash& hash) const;

  // Figures for tests and the load tool.
  uint64_t store_commits() const { return m_store ? m_store->commits() : 0; }
  uint64_t records_written() const { return m_records_written; }
  // Runs `fn` once every action queued so far has run (all durable and sent).
  void when_idle(std::function<void()> fn);

 private:
  struct Channel;
  struct Payment;
  struct Held;
  struct FailInfo;

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
  void broadcast(uint64_t key_index, const channel::BroadcastTx& tx);
  void send_to_peer(const NodeId& peer, uint64_t generation, const wire::Message& m);

  // L1: funding, blocks (node_chain.cpp).
  void fund(uint64_t key_index, const channel::event::FundingNeeded& need);
  void on_block_event(const chain::BlockEvent& e);
  void refresh_depths();
  void refresh_shutdown_script();

  // Payments (node_payments.cpp).
  void on_incoming_htlc(Channel& c, uint64_t htlc_id, Msat amount, const PaymentHash& hash,
                        BlockHeight cltv_expiry, ByteSpan onion, bool blinded);
  // Carries out lib/payment's resolution of an incoming HTLC (after the open batch when
  // `after_batch`: the registry's records come first).
  void carry_out(const std::variant<payment::Fulfill, payment::Fail, payment::FailMalformed>& r,
                 bool after_batch);
  void resolve_pending_incoming(Channel& c);
  void on_outgoing_resolved(Channel& c, uint64_t htlc_id, const Preimage* preimage,
                            const FailInfo* failure, const std::string& why);
  void finish_payment(Payment& p);
  void reconcile_payments_after_restart();

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

  std::map<uint64_t, std::unique_ptr<Channel>> m_channels;       // by key index
  std::map<std::pair<NodeId, ChannelId>, uint64_t> m_by_id;      // (peer, current id) -> key
  std::map<NodeId, uint64_t> m_peer_generation;                  // bumped per (dis)connection
  std::map<NodeId, PeerAddress> m_addresses;                     // where peers listen
  uint64_t m_next_key_index = 0;

  std::map<PaymentHash, std::unique_ptr<Payment>> m_payments;
  // lib/payment: the HTLC switch's view of our channels (empty: nothing is forwarded yet)
  // and the invoice registry that judges every HTLC paid to us (keysend receipts).
  std::unique_ptr<payment::ChannelTable> m_forward_channels;
  std::unique_ptr<payment::SwitchConfig> m_switch_config;
  std::unique_ptr<payment::InvoiceRegistry> m_registry;
  std::map<IncomingKey, Bytes> m_incoming_onions;  // (key index, their HTLC id) -> onion
  struct FailInfo {
    Bytes reason;                 // update_fail_htlc's encrypted reason
    uint16_t malformed_code = 0;  // or update_fail_malformed_htlc's failure_code
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
};

struct PaymentView {
  PaymentRecord record;
  std::optional<ChannelId> channel_id;
  uint16_t failure_code = 0;
};

}  // namespace fulgur::channeld
