// lib/net connections on 127.0.0.1: handshake, thousands of messages across key rotations in
// both directions, back-pressure, clean close; hostile peers (garbage, bad versions, bad
// MACs, truncated and oversized frames, silence) each end in a logged disconnect while the
// listener keeps serving. No assertion measures time.
#include <gtest/gtest.h>

#include <deque>

#include "net/connection.h"
#include "net_test_util.h"

using namespace fulgur;
using namespace fulgur::net;
using fulgur::test::RawPeer;
using fulgur::test::Recorder;

namespace {
Bytes numbered(size_t i, size_t size) {
  Bytes m(size, static_cast<uint8_t>(i * 7));
  for (size_t b = 0; b < 4 && b < size; ++b) m[b] = static_cast<uint8_t>(i >> (8 * b));
  return m;
}

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override { start_listener(ConnectionLimits{}); }
  // Connections keep themselves alive until closed: close all before the loop goes.
  void TearDown() override {
    // Handlers of a test body are gone by now: detach them first.
    for (auto& c : server_conns) c->set_handler(nullptr), c->close("test teardown");
    for (auto& c : clients) c->set_handler(nullptr), c->close("test teardown");
    listener.reset();
  }

  void start_listener(ConnectionLimits limits) {
    listener = std::make_unique<Listener>(&t.loop, server_key.clone(), limits,
                                          Logger(&sink, "server"));
    auto ok = listener->listen("127.0.0.1", 0, [this](std::shared_ptr<Connection> c) {
      server_handlers.push_back(std::make_unique<Recorder>());
      if (on_server_handler) on_server_handler(*server_handlers.back());
      c->set_handler(server_handlers.back().get());
      server_conns.push_back(std::move(c));
    });
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    ASSERT_NE(listener->port(), 0);
  }

  std::shared_ptr<Connection> dial(Recorder& handler, ConnectionLimits limits = {}) {
    auto c = Connection::connect(&t.loop, "127.0.0.1", listener->port(), client_key,
                                 server_key.public_key(), limits, Logger(&sink, "client"));
    c->set_handler(&handler);
    clients.push_back(c);
    return c;
  }

  // After a raw peer completes a real handshake, it sends what `payload` builds.
  void attack(RawPeer& peer, std::function<Bytes(noise::Transport&)> payload) {
    auto hs = std::make_shared<noise::Handshake>(noise::Handshake::initiator(
        client_key, server_key.public_key(), crypto::SecretKey::random()));
    peer.on_connected = [hs](RawPeer& p) {
      auto a1 = hs->act_one();
      p.write(Bytes(a1.begin(), a1.end()));
    };
    peer.on_data = [hs, payload](RawPeer& p) {
      if (hs->complete() || hs->failed() || p.received.size() < noise::ACT_TWO_SIZE) return;
      auto a3 = hs->receive_act_two(ByteSpan(p.received).first(noise::ACT_TWO_SIZE));
      ASSERT_TRUE(a3.ok());
      p.write(Bytes(a3->begin(), a3->end()));
      auto transport = std::move(*hs).into_transport();
      p.write(payload(transport));
    };
  }

  // Every hostile case ends with this: the server closed that connection with `reason`
  // in its log, and a well-behaved client can still connect and talk.
  void expect_disconnect_then_serving(const std::string& reason) {
    ASSERT_TRUE(t.run_until([&] { return !server_handlers.empty() && server_handlers[0]->closed; }))
        << "server never closed the hostile connection";
    EXPECT_NE(server_handlers[0]->close_reason.find(reason), std::string::npos)
        << "reason: " << server_handlers[0]->close_reason;
    EXPECT_TRUE(sink.contains(reason)) << "reason not logged: " << reason;
    listener->set_limits(ConnectionLimits{});  // no tight test limits for the good client
    Recorder good;
    auto c = dial(good);
    ASSERT_TRUE(t.run_until([&] { return good.established; }));
    ASSERT_TRUE(c->send(as_bytes("still here")).ok());
    ASSERT_TRUE(t.run_until([&] { return server_handlers.back()->messages.size() == 1; }));
    c->close("test done");
  }

  test::TestLoop t;
  test::RecordingSink sink;
  crypto::SecretKey server_key = crypto::SecretKey::random();
  crypto::SecretKey client_key = crypto::SecretKey::random();
  std::unique_ptr<Listener> listener;
  std::deque<std::unique_ptr<Recorder>> server_handlers;
  std::vector<std::shared_ptr<Connection>> server_conns;
  std::vector<std::shared_ptr<Connection>> clients;
  std::function<void(Recorder&)> on_server_handler;
};
}  // namespace

TEST_F(NetTest, HandshakeManyMessagesBothWaysAndCleanClose) {
  constexpr size_t COUNT = 2500;  // 5000 nonces per direction: five key rotations
  on_server_handler = [](Recorder& r) {
    r.on_msg = [](Connection& c, const Bytes& m) { ASSERT_TRUE(c.send(m).ok()); };  // echo
  };
  Recorder client;
  size_t next = 0;
  auto pump = [&](Connection& c) {
    while (next < COUNT && c.send(numbered(next, 1 + (next * 37) % 3000)).ok()) ++next;
  };
  client.on_up = pump;
  client.on_ready = pump;
  auto conn = dial(client);
  ASSERT_TRUE(t.run_until([&] { return client.messages.size() == COUNT || client.closed; }));
  ASSERT_FALSE(client.closed) << client.close_reason;
  ASSERT_EQ(server_handlers.size(), 1u);
  EXPECT_TRUE(server_handlers[0]->established);
  // Each side authenticated the other's static key.
  ASSERT_TRUE(conn->remote_static().has_value());
  EXPECT_EQ(*conn->remote_static(), server_key.public_key());
  ASSERT_TRUE(server_conns[0]->remote_static().has_value());
  EXPECT_EQ(*server_conns[0]->remote_static(), client_key.public_key());
  for (size_t i = 0; i < COUNT; ++i) {
    ASSERT_EQ(client.messages[i], numbered(i, 1 + (i * 37) % 3000)) << "message " << i;
  }
  conn->close("done", true);
  ASSERT_TRUE(t.run_until([&] { return server_handlers[0]->closed && client.closed; }));
  EXPECT_EQ(client.close_reason, "done");
  EXPECT_EQ(server_handlers[0]->close_reason, "peer closed the connection");
  EXPECT_EQ(server_handlers[0]->messages.size(), COUNT);
}

TEST_F(NetTest, LargestMessageAndTheLimit) {
  Recorder client;
  auto conn = dial(client);
  ASSERT_TRUE(t.run_until([&] { return client.established; }));
  Bytes biggest(65535, 0xa5);
  ASSERT_TRUE(conn->send(biggest).ok());
  EXPECT_FALSE(conn->send(Bytes(65536, 0)).ok());
  ASSERT_TRUE(t.run_until([&] { return server_handlers[0]->messages.size() == 1; }));
  EXPECT_EQ(server_handlers[0]->messages[0], biggest);
  EXPECT_FALSE(client.closed);
}

TEST_F(NetTest, ReadingPausesUnderBackPressureAndResumes) {
  // The server stops reading after the first message; the client's bounded send buffer
  // must then fill (send() refuses), and after resuming everything arrives in order.
  on_server_handler = [](Recorder& r) {
    r.on_msg = [](Connection& c, const Bytes&) { c.pause_reading(); };
  };
  ConnectionLimits small;
  small.max_send_buffer = 256 * 1024;
  Recorder client;
  size_t sent = 0;
  bool refused = false;
  auto pump = [&](Connection& c) {
    while (sent < 2000) {
      if (!c.send(numbered(sent, 60'000)).ok()) {
        refused = true;
        return;
      }
      ++sent;
    }
  };
  client.on_up = pump;
  client.on_ready = pump;
  auto conn = dial(client, small);
  ASSERT_TRUE(t.run_until([&] { return refused || sent == 2000; }));
  ASSERT_TRUE(refused) << "sent 2000 x 60 KB without back-pressure";
  ASSERT_TRUE(t.run_until([&] { return !server_handlers.empty() && server_handlers[0]->messages.size() >= 1; }));
  EXPECT_EQ(server_handlers[0]->messages.size(), 1u);
  EXPECT_TRUE(server_conns[0]->reading_paused());
  size_t sent_before_resume = sent;
  server_handlers[0]->on_msg = nullptr;
  server_conns[0]->resume_reading();
  ASSERT_TRUE(t.run_until([&] { return server_handlers[0]->messages.size() == 2000; }))
      << "received " << server_handlers[0]->messages.size() << ", sent " << sent;
  EXPECT_GT(sent, sent_before_resume);
  for (size_t i = 0; i < sent; i += 97) EXPECT_EQ(server_handlers[0]->messages[i], numbered(i, 60'000));
}

TEST_F(NetTest, GarbageBeforeHandshake) {
  RawPeer peer(&t.loop, listener->port());
  peer.on_connected = [](RawPeer& p) {
    std::string http = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxx";
    p.write(Bytes(http.begin(), http.end()));
  };
  expect_disconnect_then_serving("ACT1_BAD_VERSION 71");
  ASSERT_TRUE(t.run_until([&] { return peer.eof; }));
  EXPECT_TRUE(peer.received.empty());  // "terminate the connection without any further messages"
}

TEST_F(NetTest, WrongActVersion) {
  RawPeer peer(&t.loop, listener->port());
  peer.on_connected = [this](RawPeer& p) {
    auto hs = noise::Handshake::initiator(client_key, server_key.public_key(),
                                          crypto::SecretKey::random());
    auto a1 = hs.act_one();
    a1[0] = 1;
    p.write(Bytes(a1.begin(), a1.end()));
  };
  expect_disconnect_then_serving("ACT1_BAD_VERSION 1");
}

TEST_F(NetTest, ActOneForAnotherNode) {
  RawPeer peer(&t.loop, listener->port());
  peer.on_connected = [this](RawPeer& p) {
    auto hs = noise::Handshake::initiator(client_key, crypto::SecretKey::random().public_key(),
                                          crypto::SecretKey::random());
    auto a1 = hs.act_one();
    p.write(Bytes(a1.begin(), a1.end()));
  };
  expect_disconnect_then_serving("ACT1_BAD_TAG");
}

TEST_F(NetTest, TruncatedActThenClose) {
  RawPeer peer(&t.loop, listener->port());
  peer.on_connected = [](RawPeer& p) {
    p.write(Bytes(30, 0));
    p.shutdown();
  };
  expect_disconnect_then_serving("during the handshake");
}

TEST_F(NetTest, SilentPeerHitsHandshakeTimeout) {
  listener.reset();
  ConnectionLimits quick;
  quick.handshake_timeout_ms = 100;
  start_listener(quick);
  RawPeer peer(&t.loop, listener->port());
  expect_disconnect_then_serving("handshake timeout");
}

TEST_F(NetTest, BadMacOnLength) {
  RawPeer peer(&t.loop, listener->port());
  attack(peer, [](noise::Transport& tr) {
    auto frame = tr.encrypt_message(as_bytes("hello"));
    (*frame)[3] ^= 0x10;
    return *frame;
  });
  expect_disconnect_then_serving("bad MAC on the message length");
}

TEST_F(NetTest, BadMacOnBody) {
  RawPeer peer(&t.loop, listener->port());
  attack(peer, [](noise::Transport& tr) {
    auto frame = tr.encrypt_message(Bytes(300, 1));
    frame->back() ^= 0x01;
    return *frame;
  });
  expect_disconnect_then_serving("bad MAC on the message body");
}

TEST_F(NetTest, TruncatedFrameThenClose) {
  RawPeer peer(&t.loop, listener->port());
  attack(peer, [&peer](noise::Transport& tr) {
    auto frame = tr.encrypt_message(Bytes(300, 1));
    frame->resize(frame->size() - 10);
    peer.on_data = nullptr;
    return *frame;
  });
  // Give the frame time to arrive before the EOF: shut down once the server saw the act.
  ASSERT_TRUE(t.run_until([&] { return !server_conns.empty() && server_conns[0]->established(); }));
  peer.shutdown();
  expect_disconnect_then_serving("in the middle of a message");
}

TEST_F(NetTest, OversizedFrameLength) {
  // A frame whose length prefix claims 65535 bytes followed by junk fails its MAC once the
  // claimed bytes are there; the reader never buffers more than one frame.
  RawPeer peer(&t.loop, listener->port());
  attack(peer, [](noise::Transport& tr) {
    auto frame = tr.encrypt_message(Bytes(65535, 0));
    Bytes out(frame->begin(), frame->begin() + noise::LENGTH_HEADER_SIZE);
    out.resize(out.size() + 70'000, 0xee);
    return out;
  });
  expect_disconnect_then_serving("bad MAC on the message body");
}

TEST_F(NetTest, FrameOverTheConfiguredLimit) {
  listener.reset();
  ConnectionLimits strict;
  strict.max_message_size = 1000;
  start_listener(strict);
  RawPeer peer(&t.loop, listener->port());
  attack(peer, [](noise::Transport& tr) { return *tr.encrypt_message(Bytes(1001, 0)); });
  expect_disconnect_then_serving("exceeds the limit of 1000");
}

TEST_F(NetTest, ConnectionRefusedIsReported) {
  uint16_t port = listener->port();
  listener.reset();
  Recorder client;
  auto c = Connection::connect(&t.loop, "127.0.0.1", port, client_key, server_key.public_key(),
                               {}, Logger(&sink, "client"));
  c->set_handler(&client);
  ASSERT_TRUE(t.run_until([&] { return client.closed; }));
  EXPECT_NE(client.close_reason.find("connect"), std::string::npos) << client.close_reason;
  EXPECT_FALSE(client.established);
}

TEST_F(NetTest, WrongServerKeyFailsOnBothSides) {
  Recorder client;
  auto c = Connection::connect(&t.loop, "127.0.0.1", listener->port(), client_key,
                               crypto::SecretKey::random().public_key(), {},
                               Logger(&sink, "client"));
  c->set_handler(&client);
  ASSERT_TRUE(t.run_until([&] { return client.closed; }));
  EXPECT_FALSE(client.established);
  expect_disconnect_then_serving("ACT1_BAD_TAG");
}
