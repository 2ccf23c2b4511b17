// Peer addresses as the user types them: nodeid@host:port with numeric IPv4 or [IPv6].
#include <gtest/gtest.h>

#include "channeld/peers.h"

using namespace fulgur::channeld;

namespace {
const char* const ID = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";
}

TEST(PeerUri, ParsesIdHostAndPort) {
  auto u = PeerUri::parse(std::string(ID) + "@127.0.0.1:9735");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->id.to_hex(), ID);
  EXPECT_EQ(u->address.host, "127.0.0.1");
  EXPECT_EQ(u->address.port, 9735);
  EXPECT_EQ(u->address.to_string(), "127.0.0.1:9735");
  auto v6 = PeerUri::parse(std::string(ID) + "@[::1]:1");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->address.host, "::1");
  EXPECT_EQ(v6->address.to_string(), "[::1]:1");
}

TEST(PeerUri, RefusesWhatCannotBeDialed) {
  for (std::string bad : {std::string(ID), std::string(ID) + "@127.0.0.1",
                          std::string(ID) + "@127.0.0.1:0", std::string(ID) + "@127.0.0.1:65536",
                          std::string(ID) + "@127.0.0.1:9x", std::string(ID) + "@localhost:9735",
                          std::string("02zz@127.0.0.1:9735"),
                          // not a point on the curve
                          std::string(66, '0') + "@127.0.0.1:9735",
                          std::string(ID) + "@[::1:9735"}) {
    EXPECT_FALSE(PeerUri::parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(PeerAddress::parse("127.0.0.1:0", true).ok());
}

// ---- the peer manager on real sockets ----

#include "unit/net/net_test_util.h"
#include "wire/types.h"

namespace {

using namespace fulgur;

struct Recorded : PeerHandler {
  void on_peer_connected(const NodeId& id) override {
    ++connected;
    last = id;
  }
  void on_peer_message(const NodeId&, wire::Message) override { ++messages; }
  void on_peer_disconnected(const NodeId&, const std::string&) override { ++disconnected; }
  int connected = 0;
  int disconnected = 0;
  int messages = 0;
  NodeId last;
};

net::SessionConfig session_config() {
  net::SessionConfig c;
  c.features.set_required(wire::Feature::var_onion_optin);
  c.chains = {wire::regtest_chain_hash()};
  return c;
}

struct Side {
  Side(test::TestLoop& t, crypto::SecretKey k, test::RecordingSink& sink, PeerLimits limits = {})
      : key(std::move(k)),
        manager(&t.loop, key, session_config(), limits, Logger(&sink, "peers"), handler) {}
  crypto::SecretKey key;
  Recorded handler;
  PeerManager manager;
  NodeId id() const { return key.public_key().node_id(); }
};

}  // namespace

TEST(PeerManager, RedialsAKeptPeerThatComesBackOnItsPort) {
  test::TestLoop t;
  test::RecordingSink sink;
  PeerLimits fast;
  fast.reconnect_min_ms = 20;
  fast.reconnect_max_ms = 100;
  Side a(t, crypto::SecretKey::random(), sink, fast);
  auto b_key = crypto::SecretKey::random();
  auto b = std::make_unique<Side>(t, b_key.clone(), sink);
  ASSERT_TRUE(b->manager.listen("127.0.0.1", 0).ok());
  uint16_t port = b->manager.listen_port();
  a.manager.keep(b->id(), PeerAddress{"127.0.0.1", port});
  ASSERT_TRUE(t.run_until([&] { return a.handler.connected == 1 && b->handler.connected == 1; }));
  // b goes away; a notices and keeps redialing (refused meanwhile) until b is back.
  NodeId b_id = b->id();
  b.reset();
  ASSERT_TRUE(t.run_until([&] { return a.handler.disconnected == 1; }));
  EXPECT_FALSE(a.manager.connected(b_id));
  b = std::make_unique<Side>(t, b_key.clone(), sink);
  ASSERT_TRUE(b->manager.listen("127.0.0.1", port).ok());
  ASSERT_TRUE(t.run_until([&] { return a.handler.connected == 2 && a.manager.connected(b_id); }));
  auto peers = a.manager.list();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_TRUE(peers[0].connected);
  ASSERT_TRUE(peers[0].dial.has_value());
  EXPECT_EQ(peers[0].dial->port, port);
  // Forgotten: no more redials after the next drop.
  a.manager.forget(b_id);
  b.reset();
  ASSERT_TRUE(t.run_until([&] { return a.handler.disconnected == 2; }));
  EXPECT_TRUE(a.manager.list().empty());
}

TEST(PeerManager, ANewerConnectionFromTheSameNodeReplacesTheOlder) {
  test::TestLoop t;
  test::RecordingSink sink;
  Side b(t, crypto::SecretKey::random(), sink);
  ASSERT_TRUE(b.manager.listen("127.0.0.1", 0).ok());
  PeerAddress at{"127.0.0.1", b.manager.listen_port()};
  auto key = crypto::SecretKey::random();
  Side first(t, key.clone(), sink);
  std::optional<Status> r1;
  first.manager.connect(b.id(), at, [&](Status s) { r1 = std::move(s); });
  ASSERT_TRUE(t.run_until([&] { return r1.has_value() && b.handler.connected == 1; }));
  ASSERT_TRUE(r1->ok());
  // The same node again (a restarted process, say): b keeps the newer session only.
  Side second(t, key.clone(), sink);
  std::optional<Status> r2;
  second.manager.connect(b.id(), at, [&](Status s) { r2 = std::move(s); });
  ASSERT_TRUE(t.run_until([&] { return r2.has_value() && b.handler.connected == 2; }));
  EXPECT_EQ(b.handler.disconnected, 1);
  ASSERT_TRUE(t.run_until([&] { return first.handler.disconnected == 1; }));
  EXPECT_TRUE(b.manager.connected(first.id()));
  EXPECT_EQ(b.manager.list().size(), 1u);
  EXPECT_TRUE(second.manager.connected(b.id()));
}

TEST(PeerManager, TooManyPendingHandshakesAreRefusedNotQueued) {
  test::TestLoop t;
  test::RecordingSink sink;
  PeerLimits tight;
  tight.max_pending_inbound = 2;
  Side b(t, crypto::SecretKey::random(), sink, tight);
  ASSERT_TRUE(b.manager.listen("127.0.0.1", 0).ok());
  // Silent TCP clients never finish the handshake: the third is refused at once.
  std::vector<std::unique_ptr<test::RawPeer>> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(std::make_unique<test::RawPeer>(&t.loop, b.manager.listen_port()));
  }
  ASSERT_TRUE(t.run_until([&] { return silent[2]->eof; }));
  EXPECT_FALSE(silent[0]->eof);
  EXPECT_TRUE(sink.contains("handshakes already pending"));
  // An honest peer still gets in once a slot frees up.
  silent.clear();
  ASSERT_TRUE(t.run_until([&] {
    int closed = 0;
    for (const auto& l : sink.lines) {
      closed += l.find("closed the connection during the handshake") != std::string::npos;
    }
    return closed >= 2;
  }));
  Side a(t, crypto::SecretKey::random(), sink);
  std::optional<Status> r;
  a.manager.connect(b.id(), {"127.0.0.1", b.manager.listen_port()}, [&](Status s) { r = std::move(s); });
  ASSERT_TRUE(t.run_until([&] { return r.has_value(); }));
  EXPECT_TRUE(r->ok()) << r->error().message;
}
