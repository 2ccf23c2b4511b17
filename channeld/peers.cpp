// The peer manager (see peers.h): sessions by serial number, at most one live per node id,
// redials with backoff, and sessions freed on the loop turn after they close (never inside
// their own callbacks).
#include "channeld/peers.h"

#include <charconv>

namespace fulgur::channeld {

std::string PeerAddress::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<PeerAddress> PeerAddress::parse(std::string_view text, bool allow_any_port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return fail("address must be host:port");
  }
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return fail("bad [IPv6] host");
    host = host.substr(1, host.size() - 2);
  }
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() ||
      (port == 0 && !allow_any_port) || port > 65535) {
    return fail("bad port: " + std::string(port_text));
  }
  sockaddr_storage probe{};
  std::string h(host);
  if (uv_ip4_addr(h.c_str(), 0, reinterpret_cast<sockaddr_in*>(&probe)) != 0 &&
      uv_ip6_addr(h.c_str(), 0, reinterpret_cast<sockaddr_in6*>(&probe)) != 0) {
    return fail("host must be a numeric IPv4 or IPv6 address: " + h);
  }
  return PeerAddress{h, static_cast<uint16_t>(port)};
}

Result<PeerUri> PeerUri::parse(std::string_view text) {
  size_t at = text.find('@');
  if (at == std::string_view::npos) return fail("expected nodeid@host:port");
  auto id = NodeId::from_hex(text.substr(0, at));
  if (!id || !crypto::PublicKey::from_node_id(*id)) {
    return fail("node id must be a 33-byte compressed public key in hex");
  }
  FULGUR_TRY(PeerAddress address, PeerAddress::parse(text.substr(at + 1)));
  return PeerUri{*id, std::move(address)};
}

struct PeerManager::Conn final : net::SessionHandler {
  PeerManager* owner = nullptr;
  uint64_t serial = 0;
  bool inbound = false;
  std::optional<NodeId> id;  // known up front when we dial; after the handshake otherwise
  std::optional<PeerAddress> address;
  std::unique_ptr<net::Session> session;
  bool live = false;
  bool closing = false;  // we asked it to close: deliver nothing more
  std::vector<std::function<void(Status)>> waiters;

  void on_ready(net::Session&) override { owner->on_ready(*this); }
  void on_message_available(net::Session&) override { owner->on_messages(*this); }
  void on_closed(net::Session&, const std::string& reason) override {
    owner->on_closed(*this, reason);
  }
};

struct PeerManager::Kept {
  std::optional<PeerAddress> address;
  uv_timer_t* timer = nullptr;
  uint64_t backoff_ms = 0;
  uint32_t attempts = 0;
  PeerManager* owner = nullptr;
  NodeId id;
};

namespace {
void free_timer(uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); }
void close_timer(uv_timer_t* t) {
  if (t == nullptr) return;
  t->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(t), free_timer);
}
}  // namespace

PeerManager::PeerManager(uv_loop_t* loop, const crypto::SecretKey& node_key,
                         net::SessionConfig session, PeerLimits limits, Logger log,
                         PeerHandler& handler)
    : m_loop(loop),
      m_node_key(node_key.clone()),
      m_session_config(std::move(session)),
      m_limits(limits),
      m_log(std::move(log)),
      m_handler(handler),
      m_sweep(new uv_timer_t{}) {
  uv_timer_init(loop, m_sweep);
  m_sweep->data = this;
}

PeerManager::~PeerManager() { close(); }

Status PeerManager::listen(const std::string& host, uint16_t port) {
  m_listener = std::make_unique<net::Listener>(m_loop, m_node_key.clone(), net::ConnectionLimits{},
                                               m_log.child("listen"));
  return m_listener->listen(host, port, [this](std::shared_ptr<net::Connection> conn) {
    size_t pending = 0;
    for (const auto& [serial, c] : m_conns) pending += (c->inbound && !c->live) ? 1 : 0;
    if (m_closed || pending >= m_limits.max_pending_inbound) {
      m_log.warn("refusing a connection: {} handshakes already pending", pending);
      conn->close("too many pending connections");
      return;
    }
    adopt(std::move(conn), true, std::nullopt, std::nullopt, {});
  });
}

uint16_t PeerManager::listen_port() const { return m_listener ? m_listener->port() : 0; }

void PeerManager::adopt(std::shared_ptr<net::Connection> conn, bool inbound,
                        std::optional<NodeId> id, std::optional<PeerAddress> address,
                        std::function<void(Status)> waiter) {
  auto c = std::make_unique<Conn>();
  c->owner = this;
  c->serial = m_next_serial++;
  c->inbound = inbound;
  c->id = id;
  c->address = std::move(address);
  if (waiter) c->waiters.push_back(std::move(waiter));
  Conn* raw = c.get();
  m_conns[raw->serial] = std::move(c);
  raw->session = std::make_unique<net::Session>(
      std::move(conn), m_session_config, raw,
      m_log.child((inbound ? "in" : "out") + std::to_string(raw->serial)));
  // A dial that failed at once (bad address) is closed before the session could hear it.
  if (raw->session->closed()) on_closed(*raw, "connection failed");
}

void PeerManager::connect(const NodeId& id, const PeerAddress& address,
                          std::function<void(Status)> done) {
  if (m_closed) return done(fail("shutting down"));
  if (m_live.count(id) != 0) return done({});
  for (auto& [serial, c] : m_conns) {
    if (!c->inbound && !c->live && c->id == id && !c->session->closed()) {
      c->waiters.push_back(std::move(done));
      return;
    }
  }
  auto key = crypto::PublicKey::from_node_id(id);
  if (!key) return done(fail("invalid node id"));
  auto conn = net::Connection::connect(m_loop, address.host, address.port, m_node_key, *key,
                                       net::ConnectionLimits{}, m_log.child("dial"));
  adopt(std::move(conn), false, id, address, std::move(done));
}

void PeerManager::on_ready(Conn& c) {
  NodeId id = c.session->remote_node()->node_id();
  if (c.id && *c.id != id) return c.session->close("peer is not the node we dialed");
  c.id = id;
  if (auto it = m_live.find(id); it != m_live.end()) {
    // BOLT 1 leaves it to us; the newest connection wins (the old one may be half dead).
    Conn& old = *m_conns.at(it->second);
    old.live = false;
    m_live.erase(it);
    m_handler.on_peer_disconnected(id, "replaced by a newer connection");
    old.session->close("replaced by a newer connection");
  }
  if (m_live.size() >= m_limits.max_peers) return c.session->close("too many peers");
  c.live = true;
  m_live[id] = c.serial;
  if (auto k = m_kept.find(id); k != m_kept.end()) {
    k->second->backoff_ms = 0;
    k->second->attempts = 0;
    if (k->second->timer) uv_timer_stop(k->second->timer);
  }
  m_log.info("peer {} connected ({})", id.to_hex(), c.session->connection().remote_address());
  auto waiters = std::move(c.waiters);
  c.waiters.clear();
  m_handler.on_peer_connected(id);
  for (auto& w : waiters) w({});
}

void PeerManager::on_messages(Conn& c) {
  while (c.live && !c.closing && !m_closed) {
    auto m = c.session->receive();
    if (!m) break;
    m_handler.on_peer_message(*c.id, std::move(*m));
  }
}

void PeerManager::on_closed(Conn& c, const std::string& reason) {
  auto waiters = std::move(c.waiters);
  c.waiters.clear();
  for (auto& w : waiters) w(fail(reason));
  if (c.live) {
    c.live = false;
    m_live.erase(*c.id);
    m_log.info("peer {} disconnected: {}", c.id->to_hex(), reason);
    if (!m_closed) m_handler.on_peer_disconnected(*c.id, reason);
  }
  if (c.id && !m_closed && m_live.count(*c.id) == 0) schedule_redial(*c.id);
  retire(c.serial);
}

void PeerManager::retire(uint64_t serial) {
  auto it = m_conns.find(serial);
  if (it == m_conns.end()) return;
  m_dead.push_back(std::move(it->second));
  m_conns.erase(it);
  if (!m_closed) uv_timer_start(m_sweep, &PeerManager::on_sweep, 0, 0);
}

void PeerManager::on_sweep(uv_timer_t* timer) {
  auto* self = static_cast<PeerManager*>(timer->data);
  if (self != nullptr) self->m_dead.clear();
}

void PeerManager::keep(const NodeId& id, std::optional<PeerAddress> address) {
  auto& k = m_kept[id];
  if (!k) {
    k = std::make_unique<Kept>();
    k->owner = this;
    k->id = id;
  }
  if (address) k->address = std::move(address);
  if (!m_live.count(id) && k->address) schedule_redial(id);
}

void PeerManager::forget(const NodeId& id) {
  auto it = m_kept.find(id);
  if (it == m_kept.end()) return;
  close_timer(it->second->timer);
  m_kept.erase(it);
}

void PeerManager::schedule_redial(const NodeId& id) {
  auto it = m_kept.find(id);
  if (it == m_kept.end() || !it->second->address || m_closed) return;
  Kept& k = *it->second;
  if (k.timer == nullptr) {
    k.timer = new uv_timer_t{};
    uv_timer_init(m_loop, k.timer);
  }
  k.timer->data = &k;
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(k.timer))) return;
  uint64_t delay = k.backoff_ms;
  k.backoff_ms = k.backoff_ms == 0 ? m_limits.reconnect_min_ms
                                   : std::min(k.backoff_ms * 2, m_limits.reconnect_max_ms);
  uv_timer_start(k.timer, [](uv_timer_t* t) {
    auto* kept = static_cast<Kept*>(t->data);
    if (kept != nullptr) kept->owner->redial(kept->id);
  }, delay, 0);
}

void PeerManager::redial(const NodeId& id) {
  auto it = m_kept.find(id);
  if (it == m_kept.end() || !it->second->address || m_live.count(id) != 0) return;
  ++it->second->attempts;
  m_log.debug("redialing {} (attempt {})", id.to_hex(), it->second->attempts);
  connect(id, *it->second->address, [](Status) {});
}

bool PeerManager::connected(const NodeId& id) const { return m_live.count(id) != 0; }

std::optional<wire::FeatureBits> PeerManager::remote_features(const NodeId& id) const {
  auto it = m_live.find(id);
  if (it == m_live.end()) return std::nullopt;
  return m_conns.at(it->second)->session->remote_features();
}

Status PeerManager::send(const NodeId& id, const wire::Message& message) {
  auto it = m_live.find(id);
  if (it == m_live.end()) return fail("peer not connected");
  return m_conns.at(it->second)->session->send(message);
}

void PeerManager::send_warning(const NodeId& id, const ChannelId& channel_id,
                               const std::string& text) {
  auto it = m_live.find(id);
  if (it != m_live.end()) m_conns.at(it->second)->session->send_warning(channel_id, text);
}

void PeerManager::disconnect(const NodeId& id, const std::string& reason) {
  auto it = m_live.find(id);
  if (it == m_live.end()) return;
  Conn& c = *m_conns.at(it->second);
  c.closing = true;  // the messages still queued are not delivered
  c.session->close(reason);
}

std::vector<PeerInfo> PeerManager::list() const {
  std::map<NodeId, PeerInfo> out;
  for (const auto& [id, serial] : m_live) {
    const Conn& c = *m_conns.at(serial);
    PeerInfo& p = out[id];
    p.id = id;
    p.connected = true;
    p.inbound = c.inbound;
    p.remote_address = c.session->connection().remote_address();
    p.features = c.session->remote_features();
  }
  for (const auto& [id, k] : m_kept) {
    PeerInfo& p = out[id];
    p.id = id;
    p.dial = k->address;
    p.reconnect_attempts = k->attempts;
  }
  std::vector<PeerInfo> v;
  for (auto& [id, p] : out) v.push_back(std::move(p));
  return v;
}

void PeerManager::close() {
  if (m_closed) return;
  m_closed = true;
  if (m_listener) m_listener->close();
  for (auto& [id, k] : m_kept) close_timer(k->timer);
  m_kept.clear();
  m_live.clear();
  for (auto& [serial, c] : m_conns) {
    for (auto& w : c->waiters) w(fail("shutting down"));
    c->waiters.clear();
  }
  m_conns.clear();  // each Session closes its connection (queued bytes may leave first)
  m_dead.clear();
  close_timer(m_sweep);
  m_sweep = nullptr;
}

}  // namespace fulgur::channeld
