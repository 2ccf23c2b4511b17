// The Node's life (start: secrets, store, channels restored, peers, L1; stop), the peer
// manager's callbacks, and the read-only views. Channels, actions, the L1 and payments live
// in node_channels.cpp, node_actions.cpp, node_chain.cpp and node_payments.cpp.
#include <algorithm>
#include <ctime>

#include "channeld/node_internal.h"
#include "channeld/node_secret.h"
#include "channeld/onchain_watch.h"
#include "wire/types.h"

namespace fulgur::channeld {

namespace {
wire::ChainHash chain_hash_of(bitcoin::Network n) {
  switch (n) {
    case bitcoin::Network::Main: return wire::mainnet_chain_hash();
    case bitcoin::Network::Testnet: return wire::testnet_chain_hash();
    case bitcoin::Network::Signet: return wire::signet_chain_hash();
    case bitcoin::Network::Regtest: return wire::regtest_chain_hash();
  }
  return wire::regtest_chain_hash();
}
}  // namespace

wire::FeatureBits our_init_features(bool anchors) {
  wire::FeatureBits f;
  f.set_optional(wire::Feature::option_data_loss_protect);
  f.set_required(wire::Feature::var_onion_optin);
  f.set_required(wire::Feature::option_static_remotekey);
  f.set_optional(wire::Feature::payment_secret);
  if (anchors) f.set_optional(wire::Feature::option_anchors);
  f.set_optional(wire::Feature::option_channel_type);
  return f;
}

Node::Node(uv_loop_t* loop, NodeConfig config, store::Environment& env, chain::L1* l1, Logger log)
    : m_loop(loop),
      m_config(std::move(config)),
      m_env(env),
      m_l1(l1),
      m_log(std::move(log)),
      m_check(new uv_check_t{}),
      m_turn_end(new uv_idle_t{}) {
  m_config.channel.chain_hash = chain_hash_of(m_config.network);
  m_l1_status = l1 != nullptr ? "starting" : "disabled";
  uv_check_init(loop, m_check);
  m_check->data = this;
  uv_idle_init(loop, m_turn_end);
  m_turn_end->data = this;
}

Node::~Node() {
  FULGUR_REQUIRE(m_async_l1 == nullptr || m_async_l1->pending() == 0);
  m_check->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(m_check),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
  m_turn_end->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(m_turn_end),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
  if (m_switch && m_switch->tick != nullptr) {
    m_switch->tick->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(m_switch->tick),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

Status Node::start() {
  FULGUR_TRY(auto root, load_or_create_root_secret(m_config.datadir / "node_secret"));
  auto secrets = derive_node_secrets(root);
  m_node_key = std::make_unique<crypto::SecretKey>(std::move(secrets.node_key));
  m_channel_seed = std::make_unique<crypto::Secret32>(std::move(secrets.channel_seed));
  m_node_id = m_node_key->public_key().node_id();
  m_log.info("node id {}", m_node_id.to_hex());

  FULGUR_TRY(m_store, ChannelStore::open(m_loop, m_env));
  FULGUR_TRY(StoreContents contents, m_store->load());
  for (const auto& bad : contents.corrupt) m_log.error("unreadable record skipped: {}", bad);
  m_next_key_index = contents.next_key_index;
  m_shutdown_script = contents.shutdown_script;

  net::SessionConfig session;
  session.features = our_init_features(m_config.channel.allow_anchors);
  FULGUR_TRY_STATUS(wire::check_own_features(session.features, wire::FeatureContext::Init));
  session.chains = {m_config.channel.chain_hash};
  PeerHandler& handler = *this;
  m_peers = std::make_unique<PeerManager>(m_loop, *m_node_key, std::move(session), m_config.peers,
                                          m_log.child("peers"), handler);

  load_payment_records(contents);
  for (auto& rec : contents.channels) {
    auto m = channel::ChannelMachine::restore(channel_config(), *m_channel_seed, rec.state);
    if (!m) {
      m_log.error("channel {} not restored: {}", rec.key_index, m.error().message);
      continue;
    }
    m_next_key_index = std::max(m_next_key_index, rec.key_index + 1);
    auto& c = add_channel(rec.key_index, rec.peer,
                          std::make_unique<channel::ChannelMachine>(std::move(*m)));
    c.persisted = true;
    c.scid = rec.short_channel_id;
    refresh_switch_entry(c);
  }
  m_incoming_onions = std::move(contents.incoming);
  for (const auto& p : contents.peers) {
    if (auto parsed = PeerAddress::parse(p.address)) m_addresses[p.id] = *parsed;
  }
  for (const auto& [key, c] : m_channels) keep_peer_if_needed(c->peer);
  m_log.info("restored {} channels", m_channels.size());
  reconcile_payments_after_restart();
  m_watch = std::make_unique<ChainWatch>(*this);
  m_watch->restore(contents.resolvers, contents.onchain_blocks);

  // Time for the invoice registry (MPP timeouts, expiry): a tick a second, passed in.
  m_switch->tick = new uv_timer_t{};
  uv_timer_init(m_loop, m_switch->tick);
  m_switch->tick->data = this;
  uv_timer_start(m_switch->tick, [](uv_timer_t* t) {
    if (t->data != nullptr) static_cast<Node*>(t->data)->on_tick();
  }, 1000, 1000);
  uv_unref(reinterpret_cast<uv_handle_t*>(m_switch->tick));

  uv_check_start(m_check, &Node::on_check);
  uv_unref(reinterpret_cast<uv_handle_t*>(m_check));
  uv_unref(reinterpret_cast<uv_handle_t*>(m_turn_end));
  if (m_config.listen) {
    FULGUR_TRY_STATUS(m_peers->listen(m_config.bind_host, m_config.bind_port));
  }
  if (m_l1 != nullptr) {
    m_async_l1 = std::make_unique<chain::AsyncL1>(m_loop, *m_l1);
    m_tip_watcher = std::make_unique<chain::TipWatcher>(
        *m_async_l1, [this](const chain::BlockEvent& e) { on_block_event(e); },
        [this](const chain::ChainError& e) {
          if (m_l1_status != e.describe()) m_log.warn("L1: {}", e.describe());
          m_l1_status = e.describe();
        });
    m_tip_watcher->start(m_config.block_poll_ms);
    refresh_shutdown_script();
    // The funding transaction of a channel we opened may not have reached the L1 before a
    // restart: hand it over again (the L1 ignores a transaction it already has).
    for (const auto& [key, c] : m_channels) {
      const auto& s = c->state();
      if (s.is_opener && s.phase == channel::Phase::AwaitingLockin && !s.funding_tx.empty()) {
        channel::BroadcastTx tx;
        tx.kind = channel::TxKind::Funding;
        tx.tx = s.funding_tx;
        broadcast(key, tx);
      }
    }
    m_watch->start();
  }
  return {};
}

void Node::stop(std::function<void()> done) {
  if (m_stopping) return;
  m_stopping = true;
  m_stop_done = std::move(done);
  if (m_tip_watcher) m_tip_watcher->stop();
  if (m_peers) m_peers->close();
  if (m_switch && m_switch->tick != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(m_switch->tick),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    m_switch->tick = nullptr;
  }
  // Wait (polling the loop) for the L1 calls and the commit in flight, commit what is left.
  auto* timer = new uv_timer_t{};
  uv_timer_init(m_loop, timer);
  timer->data = this;
  uv_timer_start(timer, [](uv_timer_t* t) {
    auto* self = static_cast<Node*>(t->data);
    if (self->m_async_l1 && self->m_async_l1->pending() > 0) return;
    if (self->m_store && self->m_store->in_flight()) return;
    if (self->m_store && !self->m_batch.empty()) return self->maybe_commit();
    uv_timer_stop(t);
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    if (self->m_store) self->m_store->close();
    self->m_tip_watcher.reset();
    self->m_log.info("stopped ({} commits, {} records)", self->store_commits(),
                     self->m_records_written);
    auto finish = std::move(self->m_stop_done);
    if (finish) finish();
  }, 0, 10);
}

// ---- peers ----

void Node::on_peer_connected(const NodeId& id) {
  ++m_peer_generation[id];
  for (auto& [key, c] : m_channels) {
    if (c->peer != id) continue;
    apply(*c, c->machine->reconnected());
  }
}

void Node::on_peer_disconnected(const NodeId& id, const std::string& reason) {
  ++m_peer_generation[id];
  m_log.debug("peer {} gone: {}", id.to_hex(), reason);
  std::vector<uint64_t> keys;
  for (auto& [key, c] : m_channels) {
    if (c->peer == id) keys.push_back(key);
  }
  for (uint64_t key : keys) {
    auto it = m_channels.find(key);
    if (it == m_channels.end()) continue;
    Channel& c = *it->second;
    apply(c, c.machine->disconnected());
  }
}

void Node::connect(const PeerUri& uri, Done done) {
  if (uri.id == m_node_id) return done(fail("cannot connect to ourselves"));
  m_peers->connect(uri.id, uri.address, [this, uri, done = std::move(done)](Status s) {
    if (!s) return done(s);
    // Remember where it listens, so that we redial it while we have channels with it.
    m_addresses[uri.id] = uri.address;
    ChannelStore::put_peer(m_batch, PeerRecord{uri.id, uri.address.to_string()});
    keep_peer_if_needed(uri.id);
    enqueue(true, [done] { done({}); });
    drain();
  });
}

// ---- views ----

size_t Node::active_channels() const {
  return static_cast<size_t>(std::count_if(m_channels.begin(), m_channels.end(),
                                           [](const auto& kv) { return !kv.second->finished(); }));
}

size_t Node::channel_count_with(const NodeId& peer) const {
  return static_cast<size_t>(std::count_if(m_channels.begin(), m_channels.end(),
                                           [&](const auto& kv) { return kv.second->peer == peer; }));
}

std::optional<ChannelView> Node::channel_view(uint64_t key_index) const {
  auto it = m_channels.find(key_index);
  if (it == m_channels.end()) return std::nullopt;
  const Channel& c = *it->second;
  ChannelView v;
  v.key_index = c.key_index;
  v.peer = c.peer;
  v.state = c.state();
  v.peer_connected = m_peers && m_peers->connected(c.peer);
  v.funding_depth = c.funding_depth;
  v.short_channel_id = c.scid;
  v.closing_txid = c.closing_txid;
  v.closing_fee = c.closing_fee;
  if (m_watch) v.onchain = m_watch->view(key_index);
  return v;
}

std::vector<ChannelView> Node::list_channels() const {
  std::vector<ChannelView> out;
  for (const auto& [key, c] : m_channels) out.push_back(*channel_view(key));
  return out;
}

std::optional<uint64_t> Node::find_channel(const ChannelId& id) const {
  for (const auto& [key, c] : m_channels) {
    const auto& s = c->state();
    if (s.channel_id == id || s.temporary_channel_id == id) return key;
  }
  return std::nullopt;
}

}  // namespace fulgur::channeld
