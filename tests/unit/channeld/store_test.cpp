// channeld's store: a batch of records is written by the writer thread in one commit and
// read back after the environment is reopened; erases win over earlier puts in a batch;
// a record that does not decode is reported and skipped, never trusted.
#include <gtest/gtest.h>

#include "channeld/store.h"
#include "store/codec.h"
#include "unit/net/net_test_util.h"
#include "unit/store/temp_dir.h"

using namespace fulgur;
using namespace fulgur::channeld;

namespace {
NodeId node(uint8_t b) {
  std::array<uint8_t, 33> a{};
  a[0] = 2;
  a[32] = b;
  return NodeId(a);
}

Status commit_and_wait(test::TestLoop& t, ChannelStore& s, Batch b) {
  std::optional<Status> result;
  s.commit(std::move(b), [&](Status st) { result = std::move(st); });
  EXPECT_TRUE(t.run_until([&] { return result.has_value(); }));
  return result.value_or(fail("no answer"));
}
}  // namespace

TEST(ChannelStore, ABatchIsOneCommitAndSurvivesReopening) {
  test::TempDir dir;
  test::TestLoop t;
  {
    auto env = store::Environment::open(dir.path());
    ASSERT_TRUE(env.ok());
    auto s = ChannelStore::open(&t.loop, **env);
    ASSERT_TRUE(s.ok()) << s.error().message;
    Batch b;
    for (uint64_t i = 0; i < 100; ++i) {
      ChannelStore::put_channel(b, ChannelRecord{i, node(static_cast<uint8_t>(i)), Bytes(50, 7)});
    }
    ChannelStore::put_peer(b, PeerRecord{node(1), "127.0.0.1:9735"});
    ChannelStore::put_incoming(b, IncomingKey{3, 4}, Bytes(1366, 9));
    PaymentRecord p;
    p.payment_hash = PaymentHash(std::array<uint8_t, 32>{5});
    p.status = PaymentStatus::Succeeded;
    p.destination = node(2);
    p.amount = Msat(1234);
    p.key_index = 3;
    p.htlc_id = 8;
    p.created_at = 1700000000;
    p.failure = "none";
    ChannelStore::put_payment(b, p);
    ChannelStore::put_next_key_index(b, 100);
    ChannelStore::put_shutdown_script(b, Bytes{0, 20, 1, 2});
    ASSERT_TRUE(commit_and_wait(t, **s, std::move(b)).ok());
    EXPECT_EQ((*s)->commits(), 1u);
    (*s)->close();
  }
  auto env = store::Environment::open(dir.path());
  ASSERT_TRUE(env.ok());
  auto s = ChannelStore::open(&t.loop, **env);
  ASSERT_TRUE(s.ok());
  auto c = (*s)->load();
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->channels.size(), 100u);
  EXPECT_EQ(c->channels[42].key_index, 42u);
  EXPECT_EQ(c->channels[42].peer, node(42));
  EXPECT_EQ(c->channels[42].state, Bytes(50, 7));
  ASSERT_EQ(c->peers.size(), 1u);
  EXPECT_EQ(c->peers[0].address, "127.0.0.1:9735");
  ASSERT_EQ(c->incoming.size(), 1u);
  EXPECT_EQ((c->incoming.at(IncomingKey{3, 4})), Bytes(1366, 9));
  ASSERT_EQ(c->payments.size(), 1u);
  EXPECT_EQ(c->payments[0].status, PaymentStatus::Succeeded);
  EXPECT_EQ(c->payments[0].amount, Msat(1234));
  EXPECT_EQ(c->payments[0].htlc_id, 8u);
  EXPECT_EQ(c->payments[0].failure, "none");
  EXPECT_EQ(c->next_key_index, 100u);
  EXPECT_EQ(c->shutdown_script, (Bytes{0, 20, 1, 2}));
  EXPECT_TRUE(c->corrupt.empty());
  (*s)->close();
}

TEST(ChannelStore, TheLastChangeToAKeyInABatchWins) {
  test::TempDir dir;
  test::TestLoop t;
  auto env = store::Environment::open(dir.path());
  ASSERT_TRUE(env.ok());
  auto s = ChannelStore::open(&t.loop, **env);
  ASSERT_TRUE(s.ok());
  Batch first;
  ChannelStore::put_channel(first, ChannelRecord{1, node(1), Bytes{1}});
  ChannelStore::put_incoming(first, IncomingKey{1, 1}, Bytes{1});
  ASSERT_TRUE(commit_and_wait(t, **s, std::move(first)).ok());
  Batch second;
  ChannelStore::put_channel(second, ChannelRecord{1, node(1), Bytes{2}});
  ChannelStore::erase_channel(second, 1);
  ChannelStore::erase_incoming(second, IncomingKey{1, 1});
  ChannelStore::put_channel(second, ChannelRecord{2, node(2), Bytes{3}});
  ChannelStore::put_channel(second, ChannelRecord{2, node(2), Bytes{4}});
  EXPECT_EQ(second.size(), 3u);
  ASSERT_TRUE(commit_and_wait(t, **s, std::move(second)).ok());
  auto c = (*s)->load();
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->channels.size(), 1u);
  EXPECT_EQ(c->channels[0].key_index, 2u);
  EXPECT_EQ(c->channels[0].state, Bytes{4});
  EXPECT_TRUE(c->incoming.empty());
  (*s)->close();
}

TEST(ChannelStore, AnUnreadableRecordIsReportedAndSkipped) {
  test::TempDir dir;
  test::TestLoop t;
  auto env = store::Environment::open(dir.path());
  ASSERT_TRUE(env.ok());
  auto s = ChannelStore::open(&t.loop, **env);
  ASSERT_TRUE(s.ok());
  Batch b;
  ChannelStore::put_channel(b, ChannelRecord{1, node(1), Bytes{1}});
  b.put(TableId::Channels, store::U64Codec::encode(2), Bytes{99, 1, 2});  // unknown version
  b.put(TableId::Channels, store::U64Codec::encode(3), Bytes{1, 2});      // truncated peer
  b.put(TableId::Payments, Bytes(32, 1), Bytes{1, 7});                    // bad status
  b.put(TableId::Peers, Bytes{1, 2, 3}, Bytes{1});                        // bad node id
  ASSERT_TRUE(commit_and_wait(t, **s, std::move(b)).ok());
  auto c = (*s)->load();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->channels.size(), 1u);
  EXPECT_TRUE(c->payments.empty());
  EXPECT_TRUE(c->peers.empty());
  EXPECT_EQ(c->corrupt.size(), 4u);
  (*s)->close();
}
