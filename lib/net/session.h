// The BOLT 1 session on a BOLT 8 connection: `init` first and feature/chain negotiation,
// ping/pong (answering, periodic liveness pings, flood limit), warning and error handling,
// and a bounded inbox of decoded messages whose fullness pauses reading (back-pressure).
// Time comes from the libuv loop (uv_now) and timers are uv_timer.
#pragma once

#include <uv.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/result.h"
#include "net/connection.h"
#include "wire/features.h"
#include "wire/messages.h"

namespace fulgur::net {

struct SessionConfig {
  wire::FeatureBits features;           // what we send in init's `features`
  std::vector<wire::ChainHash> chains;  // init's `networks`: the chains we are on
  uint64_t init_timeout_ms = 30'000;    // the peer must send init within this
  // Every interval a ping goes out (none while one is unanswered); a ping unanswered for
  // pong_timeout_ms drops the peer (BOLT 1: "MAY close the network connection").
  uint64_t ping_interval_ms = 60'000;
  uint64_t pong_timeout_ms = 90'000;
  uint16_t ping_pong_bytes = 8;
  // BOLT 1: "Limited precautions are recommended against `ping` flooding": more pings
  // (and unsolicited pongs) than this within one ping window closes the connection.
  uint32_t max_pings_per_window = 10;
  uint64_t ping_window_ms = 30'000;
  // Decoded messages waiting for the owner; reading pauses while it is full.
  size_t max_inbox = 256;
};

class Session;

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // Both inits are exchanged and the peer's features accepted; send() may be used.
  virtual void on_ready(Session& session) = 0;
  // The inbox went from empty to non-empty; drain it with receive().
  virtual void on_message_available(Session& session) = 0;
  // Once, when the connection is gone. The inbox may still hold messages.
  virtual void on_closed(Session& session, const std::string& reason) = 0;
};

class Session : private ConnectionHandler {
 public:
  // Takes over `conn` (fresh from connect() or a Listener) and becomes its handler.
  Session(std::shared_ptr<Connection> conn, SessionConfig config, SessionHandler* handler,
          Logger log);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Sends one message. Errors before both inits are exchanged (BOLT 1: "MUST wait to
  // receive `init` before sending any other messages"), after close, or when the
  // connection's send buffer is full.
  Status send(const wire::Message& message);
  // The next message for the owner: everything but init, ping and pong (warnings and
  // errors included, after the session logged them).
  std::optional<wire::Message> receive();
  size_t inbox_size() const { return m_inbox.size(); }

  // Sends `warning` (stays connected) or `error` (then disconnects); text is ASCII.
  void send_warning(const ChannelId& channel_id, const std::string& text);
  void send_error(const ChannelId& channel_id, const std::string& text);
  // Closes after queued messages leave.
  void close(const std::string& reason);

  bool ready() const { return m_ready; }
  bool closed() const { return m_closed; }
  // The peer's combined globalfeatures | features (valid once ready).
  const wire::FeatureBits& remote_features() const { return m_remote_features; }
  const std::vector<wire::ChainHash>& remote_chains() const { return m_remote_chains; }
  const std::optional<crypto::PublicKey>& remote_node() const { return m_conn->remote_static(); }
  Connection& connection() { return *m_conn; }
  uint64_t pings_sent() const { return m_pings_sent; }
  uint64_t pongs_received() const { return m_pongs_received; }

 private:
  void on_established(Connection& conn) override;
  void on_message(Connection& conn, Bytes message) override;
  void on_closed(Connection& conn, const std::string& reason) override;

  void handle(wire::Message message);
  void handle_init(const wire::msg::Init& init);
  void handle_ping(const wire::msg::Ping& ping);
  void handle_pong(const wire::msg::Pong& pong);
  bool count_ping_like();
  void deliver(wire::Message message);
  void disconnect_with_warning(const std::string& reason);
  void on_timer();
  static void timer_cb(uv_timer_t* timer);

  std::shared_ptr<Connection> m_conn;
  SessionConfig m_config;
  SessionHandler* m_handler;
  Logger m_log;
  uv_timer_t* m_timer;  // init timeout, then the ping interval; freed in its close callback
  std::deque<wire::Message> m_inbox;
  wire::FeatureBits m_remote_features;
  std::vector<wire::ChainHash> m_remote_chains;
  bool m_init_sent = false;
  bool m_ready = false;
  bool m_closed = false;
  std::optional<uint16_t> m_pong_expected;  // num_pong_bytes of our unanswered ping
  uint64_t m_ping_sent_at = 0;
  uint64_t m_window_start = 0;
  uint32_t m_pings_in_window = 0;
  uint64_t m_pings_sent = 0;
  uint64_t m_pongs_received = 0;
};

}  // namespace fulgur::net
