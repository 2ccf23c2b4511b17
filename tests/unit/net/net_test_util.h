// Test harness for lib/net: a libuv loop run until a condition holds (with a generous
// deadline that only guards against hangs), a log sink that records, a recording connection
// handler and a raw TCP peer that can send anything, including a hand-driven handshake.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"
#include "net/connection.h"
#include "noise/handshake.h"

namespace fulgur::test {

class RecordingSink : public LogSink {
 public:
  bool enabled(LogLevel) const override { return true; }
  void write(LogLevel level, std::string_view component, std::string_view message) override {
    lines.push_back(std::string(to_string(level)) + " " + std::string(component) + ": " +
                    std::string(message));
  }
  bool contains(const std::string& needle) const {
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

class TestLoop {
 public:
  TestLoop() { uv_loop_init(&loop); }
  ~TestLoop() {
    // Let closes in progress finish (their callbacks free memory), then close leftovers.
    for (int i = 0; i < 5000 && uv_loop_alive(&loop); ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      if (uv_loop_alive(&loop)) uv_sleep(1);
    }
    uv_walk(&loop, [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  // Runs the loop until pred() holds; false if 60 s pass first (a hang, not a speed check).
  bool run_until(const std::function<bool()>& pred) {
    bool expired = false;
    uv_timer_t deadline;
    uv_timer_init(&loop, &deadline);
    deadline.data = &expired;
    uv_timer_start(&deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 60'000, 0);
    while (!pred() && !expired) uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    return pred();
  }
  uv_loop_t loop{};
};

// Records everything a connection reports; optional hooks let tests react.
struct Recorder : net::ConnectionHandler {
  void on_established(net::Connection& c) override {
    established = true;
    if (on_up) on_up(c);
  }
  void on_message(net::Connection& c, Bytes m) override {
    messages.push_back(std::move(m));
    if (on_msg) on_msg(c, messages.back());
  }
  void on_send_ready(net::Connection& c) override {
    ++send_ready;
    if (on_ready) on_ready(c);
  }
  void on_closed(net::Connection&, const std::string& reason) override {
    closed = true;
    close_reason = reason;
  }
  bool established = false;
  bool closed = false;
  int send_ready = 0;
  std::string close_reason;
  std::vector<Bytes> messages;
  std::function<void(net::Connection&)> on_up;
  std::function<void(net::Connection&, const Bytes&)> on_msg;
  std::function<void(net::Connection&)> on_ready;
};

// A bare TCP client that writes whatever the test gives it and records what comes back.
class RawPeer {
 public:
  RawPeer(uv_loop_t* loop, uint16_t port) {
    uv_tcp_init(loop, &m_tcp);
    m_tcp.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port, &addr);
    m_connect.data = this;
    uv_tcp_connect(&m_connect, &m_tcp, reinterpret_cast<const sockaddr*>(&addr),
                   [](uv_connect_t* req, int status) {
                     auto* self = static_cast<RawPeer*>(req->data);
                     self->connected = status == 0;
                     if (status != 0) {
                       self->eof = true;
                       return;
                     }
                     uv_read_start(reinterpret_cast<uv_stream_t*>(&self->m_tcp), alloc, on_read);
                     if (self->on_connected) self->on_connected(*self);
                   });
  }
  ~RawPeer() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&m_tcp))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&m_tcp), nullptr);
    }
    uv_run(m_tcp.loop, UV_RUN_NOWAIT);
  }
  void write(Bytes bytes) {
    auto* req = new Write{{}, std::move(bytes)};
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(req->data.data()),
                               static_cast<unsigned>(req->data.size()));
    uv_write(&req->req, reinterpret_cast<uv_stream_t*>(&m_tcp), &buf, 1,
             [](uv_write_t* r, int) { delete reinterpret_cast<Write*>(r); });
  }
  // Half-closes: the server sees EOF after the bytes written so far.
  void shutdown() {
    auto* req = new uv_shutdown_t{};
    uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&m_tcp), [](uv_shutdown_t* r, int) { delete r; });
  }

  bool connected = false;
  bool eof = false;
  Bytes received;
  std::function<void(RawPeer&)> on_connected;
  std::function<void(RawPeer&)> on_data;

 private:
  struct Write {
    uv_write_t req;
    Bytes data;
  };
  static void alloc(uv_handle_t*, size_t size, uv_buf_t* buf) {
    *buf = uv_buf_init(new char[size], static_cast<unsigned>(size));
  }
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    auto* self = static_cast<RawPeer*>(s->data);
    if (n < 0) {
      self->eof = true;
    } else if (n > 0) {
      self->received.insert(self->received.end(), buf->base, buf->base + n);
      if (self->on_data) self->on_data(*self);
    }
    delete[] buf->base;
  }
  uv_tcp_t m_tcp{};
  uv_connect_t m_connect{};
};

}  // namespace fulgur::test
