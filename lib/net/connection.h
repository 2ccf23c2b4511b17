// A BOLT 8 peer connection on a libuv TCP socket: runs the Noise handshake (with a timeout),
// then sends and receives whole Lightning messages. Bounded buffers both ways; reading stops
// while the owner has paused it (back-pressure). Every close is logged with its reason.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/log.h"
#include "common/result.h"
#include "crypto/keys.h"
#include "noise/cipher.h"
#include "noise/handshake.h"

namespace fulgur::net {

struct ConnectionLimits {
  uint64_t handshake_timeout_ms = 20'000;
  // Bytes accepted by send() but not yet written to the kernel; send() fails beyond this.
  size_t max_send_buffer = 4 * 1024 * 1024;
  // BOLT 8 caps messages at 65535 bytes; an owner may accept less.
  size_t max_message_size = noise::MAX_MESSAGE_SIZE;
  // How long a graceful close waits for queued bytes to leave before cutting the socket.
  uint64_t close_flush_timeout_ms = 5'000;
};

class Connection;

// What a Connection tells its owner. All calls come from the loop thread.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // The handshake completed: remote_static() is known and send() may be used.
  virtual void on_established(Connection& conn) = 0;
  // One whole decrypted message (at most limits.max_message_size bytes).
  virtual void on_message(Connection& conn, Bytes message) = 0;
  // The send buffer fell back under its limit after send() had refused a message.
  virtual void on_send_ready(Connection& /*conn*/) {}
  // Called exactly once, when the connection is closed for any reason.
  virtual void on_closed(Connection& conn, const std::string& reason) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Private {};  // constructor key: connections are made by connect() and Listener
  Connection(Private, uv_loop_t* loop, noise::Handshake handshake, ConnectionLimits limits,
             Logger log);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Dials host:port (numeric IPv4 or IPv6) and runs the handshake as initiator toward
  // `remote_static`. Failures, including a refused connection, arrive as on_closed.
  static std::shared_ptr<Connection> connect(uv_loop_t* loop, const std::string& host,
                                             uint16_t port, const crypto::SecretKey& local_static,
                                             const crypto::PublicKey& remote_static,
                                             ConnectionLimits limits, Logger log);
  // Takes a just-accepted socket from `server` and runs the handshake as responder.
  static Result<std::shared_ptr<Connection>> accept(uv_loop_t* loop, uv_stream_t* server,
                                                    const crypto::SecretKey& local_static,
                                                    ConnectionLimits limits, Logger log);

  // Must be set before the loop runs again after connect()/accept(). The handler must
  // outlive the connection or close it first; after on_closed it is never called again.
  // A connection keeps itself alive until it is closed.
  void set_handler(ConnectionHandler* handler) { m_handler = handler; }

  // Encrypts and queues one message. Errors when not established, closed, the message is
  // too large, or the send buffer is full (then on_send_ready follows once it drains).
  Status send(ByteSpan message);
  size_t queued_send_bytes() const { return m_queued_bytes; }

  // Back-pressure: stop decoding and reading until resume_reading().
  void pause_reading();
  void resume_reading();
  bool reading_paused() const { return m_paused; }

  // Closes with `reason` (logged). flush=true lets queued messages leave first (bounded by
  // close_flush_timeout_ms), e.g. after sending a BOLT 1 `error`. Idempotent.
  void close(const std::string& reason, bool flush = false);

  bool established() const { return m_transport.has_value(); }
  bool closed() const { return m_closed; }
  const std::optional<crypto::PublicKey>& remote_static() const { return m_remote_static; }
  const std::string& remote_address() const { return m_remote_address; }
  const Logger& log() const { return m_log; }
  uv_loop_t* loop() const { return m_loop; }

 private:
  void start();
  void on_connect(int status);
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_write_done(size_t bytes, int status);
  void process_input();
  bool process_handshake();
  bool process_frames();
  void write_bytes(Bytes bytes);
  void drop(const std::string& reason);  // logs a warning, then closes
  void finish_close();
  void stop_reading();
  void start_reading();

  static void alloc_cb(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void write_cb(uv_write_t* req, int status);
  static void connect_cb(uv_connect_t* req, int status);
  static void shutdown_cb(uv_shutdown_t* req, int status);
  static void timer_cb(uv_timer_t* timer);

  uv_loop_t* m_loop;
  ConnectionLimits m_limits;
  Logger m_log;
  ConnectionHandler* m_handler = nullptr;
  uv_tcp_t* m_tcp;      // freed in its close callback, which may run after we are gone
  uv_timer_t* m_timer;  // handshake timeout, then the close-flush timeout
  std::optional<noise::Handshake> m_handshake;
  std::optional<noise::Transport> m_transport;
  std::optional<crypto::PublicKey> m_remote_static;
  std::string m_remote_address;
  Bytes m_in;                               // received, not yet decoded
  std::optional<uint16_t> m_body_length;    // decrypted length of the frame being read
  std::array<char, 64 * 1024> m_read_chunk;  // libuv reads into this
  size_t m_queued_bytes = 0;
  bool m_send_blocked = false;
  bool m_paused = false;
  bool m_reading = false;
  bool m_closing = false;
  bool m_closed = false;
  std::string m_close_reason;
  std::shared_ptr<Connection> m_self;  // a connection lives until it is closed
};

// Accepts connections on host:port (port 0: the kernel picks; see port()).
class Listener {
 public:
  using AcceptFn = std::function<void(std::shared_ptr<Connection>)>;
  Listener(uv_loop_t* loop, crypto::SecretKey local_static, ConnectionLimits limits, Logger log);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens; every accepted connection is handed to `on_accept`, which must set
  // its handler (or drop it, which closes it).
  Status listen(const std::string& host, uint16_t port, AcceptFn on_accept);
  uint16_t port() const;
  // Limits for connections accepted from now on.
  void set_limits(ConnectionLimits limits) { m_limits = limits; }
  void close();

 private:
  static void connection_cb(uv_stream_t* server, int status);
  uv_loop_t* m_loop;
  crypto::SecretKey m_local_static;
  ConnectionLimits m_limits;
  Logger m_log;
  AcceptFn m_on_accept;
  uv_tcp_t* m_tcp = nullptr;
  uint64_t m_accepted = 0;
};

}  // namespace fulgur::net
