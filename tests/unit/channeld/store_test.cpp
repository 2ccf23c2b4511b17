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
      std::optional<ShortChannelId> scid;
      if (i % 2 == 0) scid = ShortChannelId::from_parts(100 + static_cast<uint32_t>(i), 1, 0);
      ChannelStore::put_channel(b, ChannelRecord{i, node(static_cast<uint8_t>(i)), scid, Bytes(50, 7)});
    }
    ChannelStore::put_peer(b, PeerRecord{node(1), "127.0.0.1:9735"});
    ChannelStore::put_incoming(b, IncomingKey{3, 4}, Bytes(1366, 9));
    ChannelStore::put_invoice(b, payment::Persist{Bytes(32, 1), Bytes{1, 1}});
    ChannelStore::put_forward(b, payment::Persist{Bytes(40, 2), Bytes{2, 2}});
    ChannelStore::put_payment(b, payment::Persist{Bytes(72, 3), Bytes{3, 3}});
    ChannelStore::put_payment(b, payment::Persist{Bytes(72, 4), Bytes{4, 4}});
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
  EXPECT_EQ(c->channels[42].short_channel_id, ShortChannelId::from_parts(142, 1, 0));
  EXPECT_FALSE(c->channels[43].short_channel_id.has_value());
  ASSERT_EQ(c->peers.size(), 1u);
  EXPECT_EQ(c->peers[0].address, "127.0.0.1:9735");
  ASSERT_EQ(c->incoming.size(), 1u);
  EXPECT_EQ((c->incoming.at(IncomingKey{3, 4})), Bytes(1366, 9));
  // lib/payment's records come back as stored (the trackers decode them).
  EXPECT_EQ(c->invoices, (std::vector<Bytes>{{1, 1}}));
  EXPECT_EQ(c->forwards, (std::vector<Bytes>{{2, 2}}));
  EXPECT_EQ(c->payments, (std::vector<Bytes>{{3, 3}, {4, 4}}));
  EXPECT_EQ(c->next_key_index, 100u);
  EXPECT_EQ(c->shutdown_script, (Bytes{0, 20, 1, 2}));
  EXPECT_TRUE(c->corrupt.empty());
  (*s)->close();
}

TEST(ChannelStore, AVersionOneChannelRecordReadsWithoutAShortChannelId) {
  ChannelRecord r{5, node(5), ShortChannelId::from_parts(700000, 12, 1), Bytes{9, 9, 9}};
  Bytes v2 = encode_channel_value(r);
  auto back = decode_channel_value(5, v2);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->short_channel_id, r.short_channel_id);
  EXPECT_EQ(back->state, r.state);
  // Version 1: version, peer, state (what channeld wrote before short_channel_ids).
  Bytes v1{1};
  v1.insert(v1.end(), r.peer.begin(), r.peer.end());
  v1.insert(v1.end(), r.state.begin(), r.state.end());
  auto old = decode_channel_value(5, v1);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->short_channel_id.has_value());
  EXPECT_EQ(old->state, r.state);
  EXPECT_FALSE(decode_channel_value(5, ByteSpan(v2).first(1 + 33 + 4)).ok());  // cut scid
}

TEST(ChannelStore, TheLastChangeToAKeyInABatchWins) {
  test::TempDir dir;
  test::TestLoop t;
  auto env = store::Environment::open(dir.path());
  ASSERT_TRUE(env.ok());
  auto s = ChannelStore::open(&t.loop, **env);
  ASSERT_TRUE(s.ok());
  Batch first;
  ChannelStore::put_channel(first, ChannelRecord{1, node(1), std::nullopt, Bytes{1}});
  ChannelStore::put_incoming(first, IncomingKey{1, 1}, Bytes{1});
  ASSERT_TRUE(commit_and_wait(t, **s, std::move(first)).ok());
  Batch second;
  ChannelStore::put_channel(second, ChannelRecord{1, node(1), std::nullopt, Bytes{2}});
  ChannelStore::erase_channel(second, 1);
  ChannelStore::erase_incoming(second, IncomingKey{1, 1});
  ChannelStore::put_channel(second, ChannelRecord{2, node(2), std::nullopt, Bytes{3}});
  ChannelStore::put_channel(second, ChannelRecord{2, node(2), std::nullopt, Bytes{4}});
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
  ChannelStore::put_channel(b, ChannelRecord{1, node(1), std::nullopt, Bytes{1}});
  b.put(TableId::Channels, store::U64Codec::encode(2), Bytes{99, 1, 2});  // unknown version
  b.put(TableId::Channels, store::U64Codec::encode(3), Bytes{1, 2});      // truncated peer
  b.put(TableId::Peers, Bytes{1, 2, 3}, Bytes{1});                        // bad node id
  ASSERT_TRUE(commit_and_wait(t, **s, std::move(b)).ok());
  auto c = (*s)->load();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->channels.size(), 1u);
  EXPECT_TRUE(c->peers.empty());
  EXPECT_EQ(c->corrupt.size(), 3u);
  (*s)->close();
}
