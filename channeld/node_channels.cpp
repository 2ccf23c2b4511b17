// Channels: routing peer messages to their state machine by (peer, channel_id), creating an
// accepter on open_channel, the user's open and close commands, and the key indexes that
// make each channel's keys unique.
#include "bitcoin/bech32.h"
#include "channeld/node_internal.h"
#include "common/overloaded.h"
#include "crypto/random.h"

namespace fulgur::channeld {

channel::ChannelConfig Node::channel_config() const {
  channel::ChannelConfig c = m_config.channel;
  c.shutdown_script = m_shutdown_script;
  return c;
}

uint64_t Node::allocate_key_index() {
  // Durable before any key derived from it leaves the node (the caller holds its messages
  // behind this batch): a key index is never used for two channels.
  uint64_t key = m_next_key_index++;
  ChannelStore::put_next_key_index(m_batch, m_next_key_index);
  return key;
}

void Node::keep_peer_if_needed(const NodeId& peer) {
  bool wanted = false;
  for (const auto& [key, c] : m_channels) wanted |= (c->peer == peer && !c->finished());
  if (!wanted) return m_peers->forget(peer);
  auto a = m_addresses.find(peer);
  m_peers->keep(peer, a != m_addresses.end() ? std::optional<PeerAddress>(a->second)
                                             : std::nullopt);
}

Node::Channel& Node::add_channel(uint64_t key_index, const NodeId& peer,
                                 std::unique_ptr<channel::ChannelMachine> machine) {
  auto c = std::make_unique<Channel>();
  c->key_index = key_index;
  c->peer = peer;
  c->machine = std::move(machine);
  Channel& ref = *c;
  m_channels[key_index] = std::move(c);
  reindex(ref);
  return ref;
}

void Node::reindex(Channel& c) {
  const ChannelId& id = c.state().channel_id;
  if (c.indexed == id) return;
  if (c.indexed) {
    auto it = m_by_id.find({c.peer, *c.indexed});
    if (it != m_by_id.end() && it->second == c.key_index) m_by_id.erase(it);
  }
  c.indexed = id;
  m_by_id[{c.peer, id}] = c.key_index;
}

Node::Channel* Node::find(const NodeId& peer, const ChannelId& id) {
  auto it = m_by_id.find({peer, id});
  if (it == m_by_id.end()) return nullptr;
  auto c = m_channels.find(it->second);
  return c == m_channels.end() ? nullptr : c->second.get();
}

void Node::on_peer_message(const NodeId& peer, wire::Message message) {
  std::visit(
      Overloaded{
          [&](const wire::msg::Warning&) {
            // Logged by the session (BOLT 1: "SHOULD log the message").
          },
          [&](const wire::msg::Error& e) {
            // BOLT #1: if channel_id is all zero: MUST fail all channels with the sending
            // node. Otherwise: MUST fail the channel referred to by channel_id, if that
            // channel is with the sending node; if no existing channel is referred to by
            // channel_id: MUST ignore the message.
            std::vector<uint64_t> keys;
            if (e.channel_id.is_zero()) {
              for (const auto& [key, c] : m_channels) {
                if (c->peer == peer && !c->finished()) keys.push_back(key);
              }
            } else if (Channel* c = find(peer, e.channel_id)) {
              keys.push_back(c->key_index);
            }
            for (uint64_t key : keys) {
              auto it = m_channels.find(key);
              if (it != m_channels.end()) apply(*it->second, it->second->machine->handle(message));
            }
          },
          [&](const wire::msg::OpenChannel& o) { on_open_channel(peer, o); },
          [&](const auto&) { route(peer, message); },
      },
      message);
}

void Node::on_open_channel(const NodeId& peer, const wire::msg::OpenChannel& o) {
  size_t open = 0;
  for (const auto& [key, c] : m_channels) open += (c->peer == peer && !c->finished()) ? 1 : 0;
  if (open >= m_config.max_channels_per_peer || find(peer, o.temporary_channel_id) != nullptr) {
    // BOLT #2: the receiving node MAY fail the channel (before it exists: an error on the
    // temporary id).
    m_peers->send_warning(peer, o.temporary_channel_id,
                          open >= m_config.max_channels_per_peer ? "too many channels"
                                                                 : "temporary_channel_id in use");
    return;
  }
  uint64_t key = allocate_key_index();
  channel::Outputs out;
  auto machine = channel::ChannelMachine::accept(channel_config(), *m_channel_seed, key, o, out);
  if (!machine) {
    m_log.info("refused open_channel from {}: {}", peer.to_hex(), machine.error().message);
    uint64_t gen = m_peer_generation[peer];
    for (auto& a : out.actions) {
      if (auto* s = std::get_if<channel::SendMessage>(&a)) {
        enqueue(false, [this, peer, gen, m = std::move(s->message)] { send_to_peer(peer, gen, m); });
      }
    }
    drain();
    return;
  }
  Channel& c = add_channel(key, peer, std::make_unique<channel::ChannelMachine>(std::move(*machine)));
  // accept_channel carries keys of the new key index: it waits for the batch holding it.
  apply(c, std::move(out), true);
  keep_peer_if_needed(peer);
}

void Node::route(const NodeId& peer, const wire::Message& message) {
  auto id = channel::channel_id_of(message);
  if (!id) return;  // connection-level or gossip: not a channel's (gossipd is not wired yet)
  Channel* c = find(peer, *id);
  if (c == nullptr) {
    m_peers->send_warning(peer, *id, "unknown channel");
    return;
  }
  channel::Outputs out = c->machine->handle(message);
  const uint64_t key = c->key_index;
  if (!out.rejected) {
    // What the machine's events will not repeat: the onion of an HTLC offered to us (kept
    // durable until the HTLC is resolved) and the reason an HTLC of ours failed.
    if (auto* add = std::get_if<wire::msg::UpdateAddHtlc>(&message)) {
      IncomingKey k{key, add->id};
      ChannelStore::put_incoming(m_batch, k, add->onion_routing_packet.span());
      m_incoming_onions[k] = Bytes(add->onion_routing_packet.begin(),
                                   add->onion_routing_packet.end());
    } else if (auto* f = std::get_if<wire::msg::UpdateFailHtlc>(&message)) {
      m_fail_reasons[IncomingKey{key, f->id}] = FailInfo{f->reason, 0, {}};
    } else if (auto* mf = std::get_if<wire::msg::UpdateFailMalformedHtlc>(&message)) {
      m_fail_reasons[IncomingKey{key, mf->id}] = FailInfo{{}, mf->failure_code, mf->sha256_of_onion};
    }
  }
  apply(*c, std::move(out));
  const bool reestablish = std::holds_alternative<wire::msg::ChannelReestablish>(message);
  if (reestablish || std::holds_alternative<wire::msg::RevokeAndAck>(message)) {
    auto it = m_channels.find(key);
    if (it != m_channels.end()) resolve_pending_incoming(*it->second, reestablish);
  }
}

// ---- user commands ----

void Node::open_channel(const NodeId& peer, Sat amount, Msat push, channel::ChannelType type,
                        std::function<void(Result<OpenResult>)> done) {
  if (m_stopping) return done(fail("shutting down"));
  if (!m_async_l1) return done(fail("no L1 configured: cannot fund a channel"));
  if (!m_peers->connected(peer)) return done(fail("not connected to " + peer.to_hex()));
  if (type == channel::ChannelType::Anchors) {
    auto features = m_peers->remote_features(peer);
    if (!features || !features->offers(wire::Feature::option_anchors)) {
      return done(fail("the peer does not support option_anchors"));
    }
  }
  channel::OpenRequest req;
  req.key_index = m_next_key_index;
  crypto::random_bytes(req.temporary_channel_id.mutable_span());
  req.funding_satoshis = amount;
  req.push_msat = push;
  req.feerate_per_kw = m_config.commit_feerate;
  req.type = type;
  channel::Outputs out;
  auto machine = channel::ChannelMachine::open(channel_config(), *m_channel_seed, req, out);
  if (!machine) return done(Unexpected{machine.error()});
  uint64_t key = allocate_key_index();
  FULGUR_ASSERT(key == req.key_index);
  Channel& c = add_channel(key, peer, std::make_unique<channel::ChannelMachine>(std::move(*machine)));
  c.open_waiters.push_back(std::move(done));
  keep_peer_if_needed(peer);
  apply(c, std::move(out), true);
}

void Node::close_channel(const ChannelId& id, bool force,
                         std::function<void(Result<CloseResult>)> done) {
  auto key = find_channel(id);
  if (!key) return done(fail("unknown channel " + id.to_hex()));
  Channel& c = *m_channels.at(*key);
  if (c.finished()) {
    if (c.closing_txid) return done(CloseResult{*key, *c.closing_txid, "", ""});
    return done(fail(std::string("channel is already ") + channel::to_string(c.phase())));
  }
  if (force) {
    channel::Outputs out = c.machine->force_close("closed by the user");
    bool broadcasts = false;
    for (const auto& a : out.actions) broadcasts |= std::holds_alternative<channel::BroadcastTx>(a);
    if (broadcasts) c.close_waiters.push_back(std::move(done));
    apply(c, std::move(out));
    if (!broadcasts) done(fail("nothing to broadcast: the channel was not funded"));
    return;
  }
  if (!m_async_l1) return done(fail("no L1 configured"));
  // A fresh wallet address for our side of the close.
  uint64_t k = *key;
  new_address([this, k, done = std::move(done)](Result<std::string> address) mutable {
    if (!address) return done(Unexpected{address.error()});
    auto script = bitcoin::segwit_address_to_script(m_config.network, *address);
    auto it = m_channels.find(k);
    if (!script || it == m_channels.end()) return done(fail("cannot use the wallet's address"));
    Channel& ch = *it->second;
    auto out = ch.machine->shutdown(script->bytes());
    if (!out) return done(Unexpected{out.error()});
    ch.close_waiters.push_back(std::move(done));
    apply(ch, std::move(*out));
  });
}

}  // namespace fulgur::channeld
