// The peer manager: listens for peers, dials them (`nodeid@host:port`), runs the BOLT 8 +
// BOLT 1 session of each (lib/net), keeps at most one live session per node id (a newer one
// replaces an older), hands every message to its handler, and redials the peers it is told
// to keep (those we have channels with) with exponential backoff. A peer's bad bytes end
// that peer's connection, never the process. Must not: know about channels.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/log.h"
#include "common/result.h"
#include "crypto/keys.h"
#include "net/connection.h"
#include "net/session.h"

namespace fulgur::channeld {

struct PeerAddress {
  std::string host;  // numeric IPv4 or IPv6
  uint16_t port = 0;
  std::string to_string() const;
  // "host:port" or "[v6]:port"; port 0 only with `allow_any_port` (to listen on).
  static Result<PeerAddress> parse(std::string_view text, bool allow_any_port = false);
};

// "nodeid@host:port" (the node id as 66 hex digits).
struct PeerUri {
  NodeId id;
  PeerAddress address;
  static Result<PeerUri> parse(std::string_view text);
};

struct PeerLimits {
  size_t max_pending_inbound = 64;  // connections still in their handshake or init
  size_t max_peers = 512;
  uint64_t reconnect_min_ms = 500;
  uint64_t reconnect_max_ms = 60'000;
};

// What the node hears from the peer manager. All on the loop thread.
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  // Both inits exchanged (BOLT 1); messages may be sent.
  virtual void on_peer_connected(const NodeId& id) = 0;
  virtual void on_peer_message(const NodeId& id, wire::Message message) = 0;
  // The live session with `id` ended (its messages were all delivered before).
  virtual void on_peer_disconnected(const NodeId& id, const std::string& reason) = 0;
};

struct PeerInfo {
  NodeId id;
  bool connected = false;
  bool inbound = false;
  std::string remote_address;        // of the live connection
  std::optional<PeerAddress> dial;   // where we redial it
  wire::FeatureBits features;        // the peer's init features
  uint32_t reconnect_attempts = 0;
};

class PeerManager {
 public:
  PeerManager(uv_loop_t* loop, const crypto::SecretKey& node_key, net::SessionConfig session,
              PeerLimits limits, Logger log, PeerHandler& handler);
  ~PeerManager();
  PeerManager(const PeerManager&) = delete;
  PeerManager& operator=(const PeerManager&) = delete;

  Status listen(const std::string& host, uint16_t port);
  uint16_t listen_port() const;

  // Dials `id` at `address` unless a session with it is live; `done` gets the outcome of the
  // handshake and init exchange (ok when already connected).
  void connect(const NodeId& id, const PeerAddress& address, std::function<void(Status)> done);
  // Keep a session with `id`: redial `address` with backoff whenever it drops (no address:
  // only remember it; the peer dials us).
  void keep(const NodeId& id, std::optional<PeerAddress> address);
  void forget(const NodeId& id);

  bool connected(const NodeId& id) const;
  // The init features of the live session with `id`.
  std::optional<wire::FeatureBits> remote_features(const NodeId& id) const;
  // Errors when there is no live session or its send buffer is full.
  Status send(const NodeId& id, const wire::Message& message);
  // BOLT 1 warning (stays connected) / disconnect after a warning.
  void send_warning(const NodeId& id, const ChannelId& channel_id, const std::string& text);
  void disconnect(const NodeId& id, const std::string& reason);

  std::vector<PeerInfo> list() const;
  // Closes every connection and the listener; no handler call follows.
  void close();

 private:
  struct Conn;
  struct Kept;
  void on_ready(Conn& c);
  void on_messages(Conn& c);
  void on_closed(Conn& c, const std::string& reason);
  void adopt(std::shared_ptr<net::Connection> conn, bool inbound, std::optional<NodeId> id,
             std::optional<PeerAddress> address, std::function<void(Status)> waiter);
  void retire(uint64_t serial);
  void schedule_redial(const NodeId& id);
  void redial(const NodeId& id);
  static void on_sweep(uv_timer_t* timer);

  uv_loop_t* m_loop;
  crypto::SecretKey m_node_key;
  net::SessionConfig m_session_config;
  PeerLimits m_limits;
  Logger m_log;
  PeerHandler& m_handler;
  std::unique_ptr<net::Listener> m_listener;
  uint64_t m_next_serial = 1;
  std::map<uint64_t, std::unique_ptr<Conn>> m_conns;  // every session, pending or live
  std::map<NodeId, uint64_t> m_live;                  // node id -> serial of its live session
  std::map<NodeId, std::unique_ptr<Kept>> m_kept;
  std::vector<std::unique_ptr<Conn>> m_dead;  // freed on the next loop turn, not in a callback
  uv_timer_t* m_sweep;
  bool m_closed = false;
};

}  // namespace fulgur::channeld
