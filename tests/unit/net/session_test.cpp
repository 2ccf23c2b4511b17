// BOLT 1 sessions over real sockets on 127.0.0.1: init exchange and feature/chain
// negotiation, ping/pong both ways, thousands of messages, warnings and errors, and hostile
// peers (unknown even features, no common chain, ping floods, silence, messages before
// init, unknown even messages) that each end in a logged disconnect while the listener keeps
// serving. Waits are for events, with generous deadlines; nothing measures speed.
#include <gtest/gtest.h>

#include <deque>

#include "net/session.h"
#include "net_test_util.h"

using namespace fulgur;
using namespace fulgur::net;
using fulgur::test::Recorder;
namespace msg = fulgur::wire::msg;

namespace {
struct SessionRecorder : SessionHandler {
  void on_ready(Session&) override { ready = true; }
  void on_message_available(Session& s) override {
    ++available_calls;
    if (!drain) return;
    while (auto m = s.receive()) messages.push_back(std::move(*m));
  }
  void on_closed(Session&, const std::string& reason) override {
    closed = true;
    close_reason = reason;
  }
  bool drain = true;
  bool ready = false;
  bool closed = false;
  int available_calls = 0;
  std::string close_reason;
  std::vector<wire::Message> messages;
};

wire::FeatureBits our_features() {
  wire::FeatureBits f;
  f.set_optional(wire::Feature::var_onion_optin);
  f.set_optional(wire::Feature::payment_secret);
  return f;
}

msg::UpdateFee update_fee(uint32_t i) {
  msg::UpdateFee m;
  m.channel_id = ChannelId(std::array<uint8_t, 32>{1, 2, 3});
  m.feerate_per_kw = FeeratePerKw(253 + i);
  return m;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_config.features = our_features();
    server_config.chains = {wire::regtest_chain_hash()};
    client_config = server_config;
    listener = std::make_unique<Listener>(&t.loop, server_key.clone(), ConnectionLimits{},
                                          Logger(&sink, "server"));
    auto ok = listener->listen("127.0.0.1", 0, [this](std::shared_ptr<Connection> c) {
      server_handlers.push_back(std::make_unique<SessionRecorder>());
      server_handlers.back()->drain = server_drains;
      servers.push_back(std::make_unique<Session>(std::move(c), server_config,
                                                  server_handlers.back().get(),
                                                  Logger(&sink, "server-session")));
    });
    ASSERT_TRUE(ok.ok()) << ok.error().message;
  }

  void TearDown() override {
    servers.clear();  // a Session closes its connection when destroyed
    for (auto& c : raw_clients) c->set_handler(nullptr), c->close("test teardown");
    listener.reset();
  }

  std::shared_ptr<Connection> dial() {
    return Connection::connect(&t.loop, "127.0.0.1", listener->port(), client_key,
                               server_key.public_key(), {}, Logger(&sink, "client"));
  }
  std::unique_ptr<Session> dial_session(SessionRecorder& handler) {
    return dial_session(handler, client_config);
  }
  std::unique_ptr<Session> dial_session(SessionRecorder& handler, const SessionConfig& config) {
    return std::make_unique<Session>(dial(), config, &handler, Logger(&sink, "client-session"));
  }
  // A client speaking raw messages over a plain Connection (no session rules).
  std::shared_ptr<Connection> dial_raw(Recorder& rec, std::vector<Bytes> first_messages) {
    rec.on_up = [first_messages](Connection& c) {
      for (const auto& m : first_messages) ASSERT_TRUE(c.send(m).ok());
    };
    auto c = dial();
    c->set_handler(&rec);
    raw_clients.push_back(c);
    return c;
  }
  static Bytes plain_init() {
    msg::Init init;
    init.features = our_features().to_wire();
    return wire::encode_message(init);
  }

  void expect_server_dropped(const std::string& reason) {
    ASSERT_TRUE(t.run_until([&] { return !server_handlers.empty() && server_handlers[0]->closed; }));
    EXPECT_NE(server_handlers[0]->close_reason.find(reason), std::string::npos)
        << server_handlers[0]->close_reason;
    EXPECT_TRUE(sink.contains(reason)) << "not logged: " << reason;
    // The listener still serves a well-behaved peer (under default limits).
    server_config = SessionConfig{};
    server_config.features = our_features();
    server_config.chains = {wire::regtest_chain_hash()};
    SessionRecorder good;
    SessionConfig good_config;
    good_config.features = our_features();
    good_config.chains = {wire::regtest_chain_hash()};
    auto s = dial_session(good, good_config);
    ASSERT_TRUE(t.run_until([&] { return good.ready && server_handlers.back()->ready; }));
    ASSERT_TRUE(s->send(update_fee(1)).ok());
    ASSERT_TRUE(t.run_until([&] { return server_handlers.back()->messages.size() == 1; }));
    s->close("test done");
    ASSERT_TRUE(t.run_until([&] { return good.closed; }));
  }

  test::TestLoop t;
  test::RecordingSink sink;
  crypto::SecretKey server_key = crypto::SecretKey::random();
  crypto::SecretKey client_key = crypto::SecretKey::random();
  SessionConfig server_config;
  SessionConfig client_config;
  bool server_drains = true;
  std::unique_ptr<Listener> listener;
  std::deque<std::unique_ptr<SessionRecorder>> server_handlers;
  std::vector<std::unique_ptr<Session>> servers;
  std::vector<std::shared_ptr<Connection>> raw_clients;
};
}  // namespace

TEST_F(SessionTest, InitPingPongManyMessagesAndCleanClose) {
  // Frequent pings, but a pong deadline far beyond any scheduling delay.
  server_config.ping_interval_ms = 20;
  client_config.ping_interval_ms = 20;
  server_config.pong_timeout_ms = 60'000;
  client_config.pong_timeout_ms = 60'000;
  server_config.max_pings_per_window = 100'000;
  client_config.max_pings_per_window = 100'000;
  SessionRecorder client;
  auto s = dial_session(client);
  EXPECT_FALSE(s->send(update_fee(0)).ok());  // "MUST wait to receive init"
  ASSERT_TRUE(t.run_until([&] { return client.ready && !server_handlers.empty() && server_handlers[0]->ready; }));
  EXPECT_EQ(s->remote_features(), our_features());
  EXPECT_EQ(servers[0]->remote_features(), our_features());
  ASSERT_EQ(s->remote_chains().size(), 1u);
  EXPECT_EQ(s->remote_chains()[0], wire::regtest_chain_hash());
  EXPECT_EQ(*s->remote_node(), server_key.public_key());
  EXPECT_EQ(*servers[0]->remote_node(), client_key.public_key());

  constexpr uint32_t COUNT = 2200;  // 4400 nonces: four key rotations
  for (uint32_t i = 0; i < COUNT; ++i) ASSERT_TRUE(s->send(update_fee(i)).ok());
  ASSERT_TRUE(t.run_until([&] { return server_handlers[0]->messages.size() == COUNT; }));
  for (uint32_t i = 0; i < COUNT; ++i) {
    ASSERT_EQ(server_handlers[0]->messages[i], wire::Message(update_fee(i))) << i;
  }
  // Periodic pings are answered both ways.
  ASSERT_TRUE(t.run_until([&] { return s->pongs_received() >= 2 && servers[0]->pongs_received() >= 2; }));
  EXPECT_FALSE(client.closed);
  s->close("bye");
  ASSERT_TRUE(t.run_until([&] { return client.closed && server_handlers[0]->closed; }));
  EXPECT_EQ(client.close_reason, "bye");
  EXPECT_EQ(server_handlers[0]->close_reason, "peer closed the connection");
}

TEST_F(SessionTest, UnknownEvenFeatureDisconnects) {
  client_config.features.set_bit(100);  // unassigned, even: "MUST close the connection"
  SessionRecorder client;
  auto s = dial_session(client);
  ASSERT_TRUE(t.run_until([&] { return client.closed; }));
  EXPECT_FALSE(server_handlers[0]->ready);
  // The server told us why in a warning before closing.
  bool warned = false;
  for (const auto& m : client.messages) warned |= std::holds_alternative<msg::Warning>(m);
  EXPECT_TRUE(warned);
  expect_server_dropped("init features rejected");
}

TEST_F(SessionTest, UnknownOddFeatureIsIgnored) {
  client_config.features.set_bit(101);  // "upon receiving unknown _odd_ feature bits ... MUST ignore"
  SessionRecorder client;
  auto s = dial_session(client);
  ASSERT_TRUE(t.run_until([&] { return client.ready && !server_handlers.empty() && server_handlers[0]->ready; }));
  EXPECT_TRUE(servers[0]->remote_features().has_bit(101));
}

TEST_F(SessionTest, NoCommonChainDisconnects) {
  client_config.chains = {wire::testnet_chain_hash()};
  SessionRecorder client;
  auto s = dial_session(client);
  ASSERT_TRUE(t.run_until([&] { return client.closed; }));
  expect_server_dropped("no common chain");
}

TEST_F(SessionTest, MessageBeforeInitDisconnects) {
  msg::Ping ping;
  ping.num_pong_bytes = 4;
  Recorder raw;
  auto c = dial_raw(raw, {wire::encode_message(ping)});
  expect_server_dropped("first message was ping, not init");
}

TEST_F(SessionTest, SilentPeerHitsInitTimeout) {
  server_config.init_timeout_ms = 50;
  Recorder raw;
  auto c = dial_raw(raw, {});
  expect_server_dropped("no init within the init timeout");
}

TEST_F(SessionTest, PingRulesAndIgnoredPing) {
  // num_pong_bytes >= 65532: "MUST ignore the `ping`"; otherwise a pong of that size.
  msg::Ping ignored_ping;
  ignored_ping.num_pong_bytes = 65532;
  msg::Ping ping;
  ping.num_pong_bytes = 3;
  ping.ignored = Bytes(10, 0);
  Recorder raw;
  auto c = dial_raw(raw, {plain_init(), wire::encode_message(ignored_ping), wire::encode_message(ping)});
  ASSERT_TRUE(t.run_until([&] { return raw.messages.size() >= 2 || raw.closed; }));
  ASSERT_FALSE(raw.closed) << raw.close_reason;
  auto first = wire::decode_message(raw.messages[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(std::holds_alternative<msg::Init>(*first));  // init comes first
  auto second = wire::decode_message(raw.messages[1]);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(std::holds_alternative<msg::Pong>(*second));
  EXPECT_EQ(std::get<msg::Pong>(*second).ignored, Bytes(3, 0));
  EXPECT_EQ(raw.messages.size(), 2u);
  EXPECT_TRUE(server_handlers[0]->messages.empty());  // pings never reach the owner
}

TEST_F(SessionTest, PingFloodDisconnects) {
  std::vector<Bytes> flood{plain_init()};
  msg::Ping ping;
  ping.num_pong_bytes = 1;
  for (int i = 0; i < 100; ++i) flood.push_back(wire::encode_message(ping));
  Recorder raw;
  auto c = dial_raw(raw, flood);
  expect_server_dropped("ping flood");
  EXPECT_LE(raw.messages.size(), 1u + server_config.max_pings_per_window + 1u);
}

TEST_F(SessionTest, PeerThatStopsAnsweringPingsIsDropped) {
  server_config.ping_interval_ms = 20;
  server_config.pong_timeout_ms = 50;
  Recorder raw;  // sends init, then never answers anything
  auto c = dial_raw(raw, {plain_init()});
  expect_server_dropped("peer did not answer ping");
  bool got_ping = false;
  for (const auto& m : raw.messages) got_ping |= wire::peek_type(m) == msg::Ping::TYPE;
  EXPECT_TRUE(got_ping);
}

TEST_F(SessionTest, UnknownOddMessageIgnoredUnknownEvenDisconnects) {
  Bytes odd{0x80, 0x01, 0xde, 0xad};
  Bytes even{0x80, 0x02, 0xbe, 0xef};
  Recorder raw;
  auto c = dial_raw(raw, {plain_init(), odd, wire::encode_message(update_fee(7)), even});
  expect_server_dropped("bad message");
  // The odd one was dropped silently; the known message before the even one arrived.
  ASSERT_EQ(server_handlers[0]->messages.size(), 1u);
  EXPECT_EQ(server_handlers[0]->messages[0], wire::Message(update_fee(7)));
}

TEST_F(SessionTest, WarningKeepsConnectionErrorForAllChannelsCloses) {
  SessionRecorder client;
  auto s = dial_session(client);
  ASSERT_TRUE(t.run_until([&] { return client.ready && !server_handlers.empty() && server_handlers[0]->ready; }));
  s->send_warning(ChannelId{}, "just so you know");
  ASSERT_TRUE(t.run_until([&] { return server_handlers[0]->messages.size() == 1; }));
  EXPECT_TRUE(std::holds_alternative<msg::Warning>(server_handlers[0]->messages[0]));
  EXPECT_FALSE(server_handlers[0]->closed);
  EXPECT_TRUE(sink.contains("just so you know"));
  s->send_error(ChannelId{}, "\x01\x02 binary");
  ASSERT_TRUE(t.run_until([&] { return server_handlers[0]->closed && client.closed; }));
  ASSERT_EQ(server_handlers[0]->messages.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<msg::Error>(server_handlers[0]->messages[1]));
  // Non-printable data is logged as hex, never verbatim.
  EXPECT_TRUE(sink.contains("hex:0102"));
}

TEST_F(SessionTest, FullInboxPausesReadingUntilDrained) {
  server_config.max_inbox = 16;
  server_drains = false;
  SessionRecorder client;
  auto s = dial_session(client);
  ASSERT_TRUE(t.run_until([&] { return client.ready && !server_handlers.empty() && server_handlers[0]->ready; }));
  for (uint32_t i = 0; i < 500; ++i) ASSERT_TRUE(s->send(update_fee(i)).ok());
  ASSERT_TRUE(t.run_until([&] { return servers[0]->inbox_size() >= 16; }));
  EXPECT_EQ(servers[0]->inbox_size(), 16u);
  EXPECT_TRUE(servers[0]->connection().reading_paused());
  std::vector<wire::Message> got;
  ASSERT_TRUE(t.run_until([&] {
    while (auto m = servers[0]->receive()) got.push_back(std::move(*m));
    return got.size() == 500;
  }));
  for (uint32_t i = 0; i < 500; ++i) ASSERT_EQ(got[i], wire::Message(update_fee(i)));
}
