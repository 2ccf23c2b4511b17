// The channel node in-process, two of them on one loop (no L1): the node key is created
// once and kept across restarts, peers connect with init, a connect to an unknown or
// silent address fails cleanly, and hostile peers (garbage after the handshake, an unknown
// even message, a message for a channel that does not exist) are disconnected or warned
// while the node keeps serving everyone else.
#include <gtest/gtest.h>

#include "channeld/node.h"
#include "unit/net/net_test_util.h"
#include "unit/store/temp_dir.h"
#include "wire/messages.h"

using namespace fulgur;
using namespace fulgur::channeld;

namespace {

struct TestNode {
  TestNode(test::TestLoop& t, const std::filesystem::path& dir, test::RecordingSink& sink,
           const std::string& name)
      : loop(t) {
    auto e = store::Environment::open(dir / "channels");
    EXPECT_TRUE(e.ok());
    env = std::move(*e);
    NodeConfig config;
    config.datadir = dir;
    config.bind_port = 0;
    config.peers.reconnect_min_ms = 50;
    node = std::make_unique<Node>(&t.loop, config, *env, nullptr, Logger(&sink, name));
    auto st = node->start();
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
  ~TestNode() {
    bool stopped = false;
    node->stop([&] { stopped = true; });
    EXPECT_TRUE(loop.run_until([&] { return stopped; }));
    node.reset();
  }
  PeerUri uri() const { return PeerUri{node->node_id(), {"127.0.0.1", node->listen_port()}}; }
  bool connected_to(const TestNode& other) { return node->peers().connected(other.node->node_id()); }

  test::TestLoop& loop;
  std::unique_ptr<store::Environment> env;
  std::unique_ptr<Node> node;
};

Status connect_and_wait(test::TestLoop& t, TestNode& from, const PeerUri& to) {
  std::optional<Status> result;
  from.node->connect(to, [&](Status s) { result = std::move(s); });
  EXPECT_TRUE(t.run_until([&] { return result.has_value(); }));
  return result.value_or(fail("no answer"));
}

// A raw BOLT 8 peer: completes the handshake with a key of its own, then sends whatever
// the test wants.
struct RawNoisePeer {
  RawNoisePeer(test::TestLoop& t, const TestNode& target) {
    auto key = crypto::PublicKey::from_node_id(target.node->node_id());
    conn = net::Connection::connect(&t.loop, "127.0.0.1", target.node->listen_port(), me, *key,
                                    net::ConnectionLimits{}, Logger());
    conn->set_handler(&recorder);
  }
  ~RawNoisePeer() { conn->close("test over"); }
  crypto::SecretKey me = crypto::SecretKey::random();
  test::Recorder recorder;
  std::shared_ptr<net::Connection> conn;
};

Bytes init_message() {
  wire::msg::Init init;
  wire::FeatureBits f;
  f.set_required(wire::Feature::var_onion_optin);
  f.set_required(wire::Feature::option_static_remotekey);
  init.features = f.to_wire();
  return wire::encode_message(init);
}

}  // namespace

TEST(Node, KeepsItsIdentityAcrossRestarts) {
  test::TempDir dir;
  test::TestLoop t;
  test::RecordingSink sink;
  NodeId first;
  {
    TestNode a(t, dir.path(), sink, "a");
    first = a.node->node_id();
    EXPECT_TRUE(crypto::PublicKey::from_node_id(first).ok());
  }
  TestNode again(t, dir.path(), sink, "a");
  EXPECT_EQ(again.node->node_id(), first);
}

TEST(Node, PeersConnectWithInitAndSeeEachOther) {
  test::TempDir a_dir, b_dir;
  test::TestLoop t;
  test::RecordingSink sink;
  TestNode a(t, a_dir.path(), sink, "a");
  TestNode b(t, b_dir.path(), sink, "b");
  ASSERT_TRUE(connect_and_wait(t, a, b.uri()).ok());
  ASSERT_TRUE(t.run_until([&] { return a.connected_to(b) && b.connected_to(a); }));
  auto peers = a.node->peers().list();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_FALSE(peers[0].inbound);
  EXPECT_TRUE(peers[0].features.offers(wire::Feature::option_anchors));
  auto theirs = b.node->peers().list();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_TRUE(theirs[0].inbound);
  // Connecting again is a no-op; connecting to ourselves is refused.
  EXPECT_TRUE(connect_and_wait(t, a, b.uri()).ok());
  EXPECT_FALSE(connect_and_wait(t, a, a.uri()).ok());
}

TEST(Node, AFailedConnectIsAnErrorNotAHang) {
  test::TempDir a_dir, b_dir;
  test::TestLoop t;
  test::RecordingSink sink;
  TestNode a(t, a_dir.path(), sink, "a");
  uint16_t closed_port = 0;
  {
    TestNode b(t, b_dir.path(), sink, "b");
    closed_port = b.node->listen_port();
  }
  PeerUri nobody{crypto::SecretKey::random().public_key().node_id(), {"127.0.0.1", closed_port}};
  EXPECT_FALSE(connect_and_wait(t, a, nobody).ok());
  // A live listener with another key: the handshake fails.
  TestNode b(t, b_dir.path(), sink, "b");
  PeerUri wrong_key{crypto::SecretKey::random().public_key().node_id(), b.uri().address};
  EXPECT_FALSE(connect_and_wait(t, a, wrong_key).ok());
  EXPECT_FALSE(a.node->peers().connected(wrong_key.id));
}

TEST(Node, GarbageAfterTheHandshakeDropsOnlyThatPeer) {
  test::TempDir a_dir, b_dir;
  test::TestLoop t;
  test::RecordingSink sink;
  TestNode a(t, a_dir.path(), sink, "a");
  TestNode b(t, b_dir.path(), sink, "b");
  ASSERT_TRUE(connect_and_wait(t, a, b.uri()).ok());
  {
    RawNoisePeer evil(t, b);
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.established; }));
    // Not a message at all: two bytes, an unknown even type with a truncated body, then a
    // valid frame of a known message with a short payload.
    ASSERT_TRUE(evil.conn->send(Bytes{0xff}).ok());
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.closed; }));
  }
  {
    RawNoisePeer evil(t, b);
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.established; }));
    ASSERT_TRUE(evil.conn->send(init_message()).ok());
    // BOLT 1: an unknown even message type closes the connection.
    ASSERT_TRUE(evil.conn->send(Bytes{0x01, 0x00, 1, 2, 3}).ok());
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.closed; }));
  }
  {
    RawNoisePeer evil(t, b);
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.established; }));
    ASSERT_TRUE(evil.conn->send(init_message()).ok());
    // A channel message for a channel that does not exist: a warning, not a crash.
    wire::msg::ChannelReestablish r;
    r.channel_id = ChannelId(std::array<uint8_t, 32>{9});
    r.next_commitment_number = 5;
    ASSERT_TRUE(evil.conn->send(wire::encode_message(r)).ok());
    // Truncated known message (update_add_htlc with 3 bytes): a decode error, disconnect.
    ASSERT_TRUE(evil.conn->send(Bytes{0x00, 0x80, 1, 2, 3}).ok());
    ASSERT_TRUE(t.run_until([&] { return evil.recorder.closed; }));
    bool warned = false;
    for (const auto& m : evil.recorder.messages) {
      auto decoded = wire::decode_message(m);
      if (decoded && std::holds_alternative<wire::msg::Warning>(*decoded)) warned = true;
    }
    EXPECT_TRUE(warned);
  }
  // The honest peer never noticed.
  EXPECT_TRUE(a.connected_to(b));
  EXPECT_TRUE(b.connected_to(a));
  auto peers = b.node->peers().list();
  EXPECT_EQ(peers.size(), 1u);
}
