// BOLT 8 connections on libuv; see connection.h. Handles are heap-allocated and freed in
// their close callbacks, so a Connection may be destroyed while libuv still closes them.
#include "net/connection.h"

#include <cstring>

namespace fulgur::net {

namespace {
struct WriteRequest {
  uv_write_t req{};
  Bytes data;
};

std::string uv_error(int status) { return std::string(uv_err_name(status)) + " (" + uv_strerror(status) + ")"; }

void free_handle(uv_handle_t* handle);

// Closes a handle unless someone (a loop being torn down) already did.
template <typename Handle>
void close_handle(Handle* handle) {
  auto* h = reinterpret_cast<uv_handle_t*>(handle);
  if (!uv_is_closing(h)) uv_close(h, free_handle);
}

void free_handle(uv_handle_t* handle) {
  if (handle->type == UV_TCP) {
    delete reinterpret_cast<uv_tcp_t*>(handle);
  } else {
    delete reinterpret_cast<uv_timer_t*>(handle);
  }
}

std::string peer_name(uv_tcp_t* tcp) {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char host[64] = {0};
  if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    uv_ip6_name(in6, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&addr);
  uv_ip4_name(in4, host, sizeof(host));
  return std::string(host) + ":" + std::to_string(ntohs(in4->sin_port));
}

Result<sockaddr_storage> parse_address(const std::string& host, uint16_t port) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) == 0) return addr;
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) == 0) return addr;
  return fail("not a numeric IPv4 or IPv6 address: " + host);
}
}  // namespace

Connection::Connection(Private, uv_loop_t* loop, noise::Handshake handshake,
                       ConnectionLimits limits, Logger log)
    : m_loop(loop),
      m_limits(limits),
      m_log(std::move(log)),
      m_tcp(new uv_tcp_t{}),
      m_timer(new uv_timer_t{}),
      m_handshake(std::move(handshake)) {
  uv_tcp_init(loop, m_tcp);
  uv_timer_init(loop, m_timer);
  m_tcp->data = this;
  m_timer->data = this;
}

Connection::~Connection() {
  // Normally closed already; this covers a loop torn down with the connection open.
  if (!m_closed) {
    m_tcp->data = nullptr;
    m_timer->data = nullptr;
    close_handle(m_tcp);
    close_handle(m_timer);
  }
}

std::shared_ptr<Connection> Connection::connect(uv_loop_t* loop, const std::string& host,
                                                uint16_t port,
                                                const crypto::SecretKey& local_static,
                                                const crypto::PublicKey& remote_static,
                                                ConnectionLimits limits, Logger log) {
  auto hs = noise::Handshake::initiator(local_static, remote_static, crypto::SecretKey::random());
  auto conn = std::make_shared<Connection>(Private{}, loop, std::move(hs), limits,
                                           log.child(host + ":" + std::to_string(port)));
  conn->m_remote_address = host + ":" + std::to_string(port);
  conn->m_self = conn;
  conn->start();  // the handshake timer covers the TCP connect too
  auto addr = parse_address(host, port);
  if (!addr) {
    conn->drop("connect: " + addr.error().message);
    return conn;
  }
  auto* req = new uv_connect_t{};
  int rc = uv_tcp_connect(req, conn->m_tcp, reinterpret_cast<const sockaddr*>(&*addr), connect_cb);
  if (rc != 0) {
    delete req;
    conn->drop("connect: " + uv_error(rc));
  }
  return conn;
}

Result<std::shared_ptr<Connection>> Connection::accept(uv_loop_t* loop, uv_stream_t* server,
                                                       const crypto::SecretKey& local_static,
                                                       ConnectionLimits limits, Logger log) {
  auto hs = noise::Handshake::responder(local_static, crypto::SecretKey::random());
  auto conn = std::make_shared<Connection>(Private{}, loop, std::move(hs), limits, log);
  conn->m_self = conn;
  int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(conn->m_tcp));
  if (rc != 0) {
    conn->drop("accept: " + uv_error(rc));
    return fail("accept: " + uv_error(rc));
  }
  conn->m_remote_address = peer_name(conn->m_tcp);
  conn->m_log = log.child(conn->m_remote_address);
  conn->start();
  // Nagle's algorithm would hold small messages back for tens of milliseconds.
  uv_tcp_nodelay(conn->m_tcp, 1);
  conn->start_reading();
  return conn;
}

void Connection::start() {
  uv_timer_start(m_timer, timer_cb, m_limits.handshake_timeout_ms, 0);
}

void Connection::connect_cb(uv_connect_t* req, int status) {
  auto* conn = static_cast<Connection*>(req->handle->data);
  delete req;
  if (conn == nullptr) return;
  auto self = conn->shared_from_this();
  conn->on_connect(status);
}

void Connection::on_connect(int status) {
  if (m_closing) return;
  if (status != 0) return drop("connect: " + uv_error(status));
  uv_tcp_nodelay(m_tcp, 1);
  auto act_one = m_handshake->act_one();
  write_bytes(Bytes(act_one.begin(), act_one.end()));
  start_reading();
}

void Connection::start_reading() {
  if (m_reading || m_closing) return;
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(m_tcp), alloc_cb, read_cb);
  if (rc != 0) return drop("read: " + uv_error(rc));
  m_reading = true;
}

void Connection::stop_reading() {
  if (!m_reading) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(m_tcp));
  m_reading = false;
}

void Connection::alloc_cb(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(handle->data);
  if (conn == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = uv_buf_init(conn->m_read_chunk.data(), static_cast<unsigned>(conn->m_read_chunk.size()));
}

void Connection::read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(stream->data);
  if (conn == nullptr) return;
  auto self = conn->shared_from_this();
  conn->on_read(nread, buf);
}

void Connection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (m_closing) return;
  if (nread < 0) {
    if (nread != UV_EOF) return drop("read: " + uv_error(static_cast<int>(nread)));
    if (!established()) return drop("peer closed the connection during the handshake");
    if (!m_in.empty() || m_body_length) {
      return drop("peer closed the connection in the middle of a message (" +
                  std::to_string(m_in.size()) + " bytes pending)");
    }
    return close("peer closed the connection");
  }
  auto* data = reinterpret_cast<const uint8_t*>(buf->base);
  m_in.insert(m_in.end(), data, data + nread);
  process_input();
}

void Connection::process_input() {
  while (!m_closing && !m_paused) {
    bool progressed = established() ? process_frames() : process_handshake();
    if (!progressed) break;
  }
}

// Consumes one act from m_in if it is all there; false when waiting for more bytes.
bool Connection::process_handshake() {
  size_t need = m_handshake->next_input_size();
  if (need == 0 || m_in.size() < need) return false;
  ByteSpan act(m_in.data(), need);
  if (m_handshake->role() == noise::Role::Responder && need == noise::ACT_ONE_SIZE) {
    auto act_two = m_handshake->receive_act_one(act);
    if (!act_two) return drop(act_two.error().to_error().message), false;
    write_bytes(Bytes(act_two->begin(), act_two->end()));
  } else if (m_handshake->role() == noise::Role::Responder) {
    auto done = m_handshake->receive_act_three(act);
    if (!done) return drop(done.error().to_error().message), false;
  } else {
    auto act_three = m_handshake->receive_act_two(act);
    if (!act_three) return drop(act_three.error().to_error().message), false;
    write_bytes(Bytes(act_three->begin(), act_three->end()));
  }
  m_in.erase(m_in.begin(), m_in.begin() + static_cast<long>(need));
  if (!m_handshake->complete()) return true;
  uv_timer_stop(m_timer);
  m_remote_static = m_handshake->remote_static();
  m_transport.emplace(std::move(*m_handshake).into_transport());
  m_handshake.reset();
  m_log.debug("handshake complete with {}", to_hex(m_remote_static->serialize()));
  if (m_handler != nullptr) m_handler->on_established(*this);
  return true;
}

// Decodes one length prefix or one body from m_in; false when waiting for more bytes.
bool Connection::process_frames() {
  if (!m_body_length) {
    if (m_in.size() < noise::LENGTH_HEADER_SIZE) return false;
    auto length = m_transport->decrypt_length(ByteSpan(m_in.data(), noise::LENGTH_HEADER_SIZE));
    if (!length) return drop(length.error().message), false;
    if (*length > m_limits.max_message_size) {
      return drop("message of " + std::to_string(*length) + " bytes exceeds the limit of " +
                  std::to_string(m_limits.max_message_size)),
             false;
    }
    m_in.erase(m_in.begin(), m_in.begin() + noise::LENGTH_HEADER_SIZE);
    m_body_length = *length;
    return true;
  }
  size_t need = size_t{*m_body_length} + noise::TAG_SIZE;
  if (m_in.size() < need) return false;
  auto body = m_transport->decrypt_body(ByteSpan(m_in.data(), need));
  if (!body) return drop(body.error().message), false;
  m_in.erase(m_in.begin(), m_in.begin() + static_cast<long>(need));
  m_body_length.reset();
  if (m_handler != nullptr) m_handler->on_message(*this, std::move(*body));
  return true;
}

Status Connection::send(ByteSpan message) {
  if (m_closing) return fail("connection is closed");
  if (!established()) return fail("handshake not complete");
  if (message.size() > m_limits.max_message_size) {
    return fail("message of " + std::to_string(message.size()) + " bytes exceeds the limit");
  }
  size_t frame = noise::frame_size(message.size());
  if (m_queued_bytes + frame > m_limits.max_send_buffer) {
    m_send_blocked = true;
    return fail("send buffer full");
  }
  Bytes out(frame);
  FULGUR_TRY_STATUS(m_transport->encrypt_message(message, out));
  write_bytes(std::move(out));
  return {};
}

void Connection::write_bytes(Bytes bytes) {
  auto* req = new WriteRequest{};
  req->data = std::move(bytes);
  m_queued_bytes += req->data.size();
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(req->data.data()),
                             static_cast<unsigned>(req->data.size()));
  int rc = uv_write(&req->req, reinterpret_cast<uv_stream_t*>(m_tcp), &buf, 1, write_cb);
  if (rc != 0) {
    m_queued_bytes -= req->data.size();
    delete req;
    drop("write: " + uv_error(rc));
  }
}

void Connection::write_cb(uv_write_t* req, int status) {
  auto* write = reinterpret_cast<WriteRequest*>(req);
  auto* conn = static_cast<Connection*>(req->handle->data);
  size_t bytes = write->data.size();
  delete write;
  if (conn == nullptr) return;
  auto self = conn->shared_from_this();
  conn->on_write_done(bytes, status);
}

void Connection::on_write_done(size_t bytes, int status) {
  m_queued_bytes -= bytes;
  if (status != 0) {
    if (status != UV_ECANCELED) drop("write: " + uv_error(status));
    return;
  }
  if (m_send_blocked && !m_closing && m_queued_bytes <= m_limits.max_send_buffer / 2) {
    m_send_blocked = false;
    if (m_handler != nullptr) m_handler->on_send_ready(*this);
  }
}

void Connection::pause_reading() {
  m_paused = true;
  stop_reading();
}

void Connection::resume_reading() {
  if (!m_paused || m_closing) return;
  m_paused = false;
  auto self = shared_from_this();
  process_input();  // frames that arrived before the pause
  if (!m_paused) start_reading();
}

void Connection::drop(const std::string& reason) {
  if (m_closing) return;
  m_log.warn("disconnecting: {}", reason);
  close(reason, false);
}

void Connection::close(const std::string& reason, bool flush) {
  if (m_closing) return;
  m_closing = true;
  m_close_reason = reason;
  m_log.info("closing: {}", reason);
  stop_reading();
  if (flush && m_queued_bytes > 0) {
    auto* req = new uv_shutdown_t{};
    if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(m_tcp), shutdown_cb) == 0) {
      uv_timer_start(m_timer, timer_cb, m_limits.close_flush_timeout_ms, 0);
      return;
    }
    delete req;
  }
  finish_close();
}

void Connection::shutdown_cb(uv_shutdown_t* req, int) {
  auto* conn = static_cast<Connection*>(req->handle->data);
  delete req;
  if (conn == nullptr) return;
  auto self = conn->shared_from_this();
  conn->finish_close();
}

void Connection::timer_cb(uv_timer_t* timer) {
  auto* conn = static_cast<Connection*>(timer->data);
  if (conn == nullptr) return;
  auto self = conn->shared_from_this();
  if (conn->m_closing) {
    conn->m_log.warn("queued bytes did not leave within the close timeout");
    conn->finish_close();
  } else if (!conn->established()) {
    conn->drop("handshake timeout");
  }
}

void Connection::finish_close() {
  if (m_closed) return;
  m_closed = true;
  auto keep = std::move(m_self);  // released when this function returns
  m_tcp->data = nullptr;
  m_timer->data = nullptr;
  close_handle(m_tcp);
  close_handle(m_timer);
  m_in.clear();
  ConnectionHandler* handler = m_handler;
  m_handler = nullptr;
  if (handler != nullptr) handler->on_closed(*this, m_close_reason);
}

Listener::Listener(uv_loop_t* loop, crypto::SecretKey local_static, ConnectionLimits limits,
                   Logger log)
    : m_loop(loop), m_local_static(std::move(local_static)), m_limits(limits), m_log(std::move(log)) {}

Listener::~Listener() { close(); }

Status Listener::listen(const std::string& host, uint16_t port, AcceptFn on_accept) {
  FULGUR_REQUIRE(m_tcp == nullptr);
  FULGUR_TRY(sockaddr_storage addr, parse_address(host, port));
  m_on_accept = std::move(on_accept);
  m_tcp = new uv_tcp_t{};
  uv_tcp_init(m_loop, m_tcp);
  m_tcp->data = this;
  int rc = uv_tcp_bind(m_tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(m_tcp), 128, connection_cb);
  if (rc != 0) {
    close();
    return fail("listen on " + host + ":" + std::to_string(port) + ": " + uv_error(rc));
  }
  m_log.info("listening on {}:{}", host, this->port());
  return {};
}

uint16_t Listener::port() const {
  if (m_tcp == nullptr) return 0;
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getsockname(m_tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void Listener::close() {
  if (m_tcp == nullptr) return;
  m_tcp->data = nullptr;
  close_handle(m_tcp);
  m_tcp = nullptr;
}

void Listener::connection_cb(uv_stream_t* server, int status) {
  auto* self = static_cast<Listener*>(server->data);
  if (self == nullptr) return;
  if (status != 0) {
    self->m_log.warn("accept failed: {}", uv_error(status));
    return;
  }
  auto conn = Connection::accept(self->m_loop, server, self->m_local_static, self->m_limits,
                                 self->m_log.child("in" + std::to_string(++self->m_accepted)));
  if (!conn) {
    self->m_log.warn("{}", conn.error().message);
    return;
  }
  self->m_on_accept(*conn);
}

}  // namespace fulgur::net
