// Typed tables: round trips through codecs, cursor order, erase, corrupt records, map growth.
#include <gtest/gtest.h>

#include "store/schema.h"
#include "store/table.h"
#include "temp_dir.h"

namespace fulgur::store {
namespace {

using Numbers = Table<U64Codec, StringCodec>;
using Blobs = Table<StringCodec, BytesCodec>;

TEST(StoreTable, TypedRoundTripAndCursorOrder) {
  test::TempDir dir;
  auto env = Environment::open(dir.path()).value();
  auto table = Numbers::open(*env, "numbers").value();
  auto wrote = env->write([&](WriteTxn& txn) -> StoreResult<void> {
    for (uint64_t k : {300u, 5u, 70000u, 1u}) {
      FULGUR_TRY_STATUS(table.put(txn, k, "v" + std::to_string(k)));
    }
    return {};
  });
  ASSERT_TRUE(wrote) << wrote.error().message;

  auto txn = env->begin_read().value();
  EXPECT_EQ(table.get(txn, 300).value(), std::optional<std::string>("v300"));
  EXPECT_EQ(table.get(txn, 2).value(), std::nullopt);
  auto cursor = table.cursor(txn).value();
  std::vector<uint64_t> keys;
  for (auto e = cursor.first().value(); e; e = cursor.next().value()) keys.push_back(e->first);
  EXPECT_EQ(keys, (std::vector<uint64_t>{1, 5, 300, 70000}));  // numeric, not lexical
  auto at = cursor.seek(6).value();
  ASSERT_TRUE(at);
  EXPECT_EQ(at->first, 300u);
}

TEST(StoreTable, EraseAndAbortedWriteLeavesNoTrace) {
  test::TempDir dir;
  auto env = Environment::open(dir.path()).value();
  auto table = Numbers::open(*env, "numbers").value();
  ASSERT_TRUE(env->write([&](WriteTxn& txn) { return table.put(txn, 1, "one"); }));
  {
    auto txn = env->begin_write().value();
    ASSERT_TRUE(table.put(txn, 2, "two"));
    ASSERT_TRUE(table.erase(txn, 1).value());
  }  // dropped without commit: aborted
  {
    auto txn = env->begin_read().value();
    EXPECT_EQ(table.get(txn, 1).value(), std::optional<std::string>("one"));
    EXPECT_EQ(table.get(txn, 2).value(), std::nullopt);
  }
  auto erased = env->write([&](WriteTxn& txn) { return table.erase(txn, 1); });
  EXPECT_TRUE(erased.value());
  auto again = env->write([&](WriteTxn& txn) { return table.erase(txn, 1); });
  EXPECT_FALSE(again.value());
}

TEST(StoreTable, UndecodableRecordIsCorruptNotTrusted) {
  test::TempDir dir;
  auto env = Environment::open(dir.path()).value();
  auto raw = Blobs::open(*env, "t").value();
  ASSERT_TRUE(env->write([&](WriteTxn& txn) { return raw.put(txn, "k", Bytes{1, 2, 3}); }));
  using Typed = Table<StringCodec, U64Codec>;  // the same table read as 8-byte integers
  auto typed = Typed::open(*env, "t").value();
  auto txn = env->begin_read().value();
  auto got = typed.get(txn, "k");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, StoreErrc::Corrupt);
}

TEST(StoreTable, MapGrowsWhenFull) {
  test::TempDir dir;
  EnvOptions options;
  options.map_size = 64 * 1024;
  auto env = Environment::open(dir.path(), options).value();
  auto table = Numbers::open(*env, "big").value();
  size_t before = env->map_size();
  const std::string value(4000, 'x');
  for (uint64_t batch = 0; batch < 8; ++batch) {
    auto wrote = env->write([&](WriteTxn& txn) -> StoreResult<void> {
      for (uint64_t i = 0; i < 64; ++i) FULGUR_TRY_STATUS(table.put(txn, batch * 64 + i, value));
      return {};
    });
    ASSERT_TRUE(wrote) << wrote.error().message;
  }
  EXPECT_GT(env->map_size(), before);
  auto txn = env->begin_read().value();
  EXPECT_EQ(table.get(txn, 511).value(), std::optional<std::string>(value));
}

TEST(StoreTable, GrowthStopsAtTheLimitWithMapFull) {
  test::TempDir dir;
  EnvOptions options;
  options.map_size = 64 * 1024;
  options.max_map_size = 128 * 1024;
  auto env = Environment::open(dir.path(), options).value();
  auto table = Numbers::open(*env, "big").value();
  const std::string value(4000, 'x');
  auto wrote = env->write([&](WriteTxn& txn) -> StoreResult<void> {
    for (uint64_t i = 0; i < 256; ++i) FULGUR_TRY_STATUS(table.put(txn, i, value));
    return {};
  });
  ASSERT_FALSE(wrote);
  EXPECT_EQ(wrote.error().code, StoreErrc::MapFull);
  auto txn = env->begin_read().value();
  EXPECT_EQ(table.get(txn, 0).value(), std::nullopt);  // nothing of the failed write stayed
}

TEST(StoreTable, ReadOnlyEnvironmentRefusesWrites) {
  test::TempDir dir;
  {
    auto env = Environment::open(dir.path()).value();
    auto table = Numbers::open(*env, "n").value();
    ASSERT_TRUE(env->write([&](WriteTxn& txn) { return table.put(txn, 7, "seven"); }));
  }
  EnvOptions options;
  options.read_only = true;
  auto env = Environment::open(dir.path(), options).value();
  auto table = Numbers::open(*env, "n").value();
  auto txn = env->begin_read().value();
  EXPECT_EQ(table.get(txn, 7).value(), std::optional<std::string>("seven"));
  auto write = env->begin_write();
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().code, StoreErrc::BadUsage);
}

TEST(StoreTable, MissingDirectoryIsAnIoError) {
  EnvOptions options;
  options.read_only = true;
  auto env = Environment::open("/nonexistent/fulgur/store", options);
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().code, StoreErrc::Io);
}

}  // namespace
}  // namespace fulgur::store
