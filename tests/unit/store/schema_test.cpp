// Schema version record: fresh databases, migrations step by step, failures roll back,
// newer data is refused.
#include <gtest/gtest.h>

#include "store/schema.h"
#include "store/table.h"
#include "temp_dir.h"

namespace fulgur::store {
namespace {

using V1 = Table<StringCodec, StringCodec>;  // version 1: amounts as decimal text
using V2 = Table<StringCodec, U64Codec>;     // version 2: amounts as integers

StoreResult<void> migrate(Environment& env, WriteTxn& txn, uint32_t from,
                          std::vector<uint32_t>& steps) {
  steps.push_back(from);
  if (from == 0) return {};
  // 1 -> 2: rewrite every amount of "amounts_v1" into "amounts_v2".
  FULGUR_TRY(MDB_dbi old_dbi, [&]() -> StoreResult<MDB_dbi> {
    MDB_dbi dbi = 0;
    int rc = mdb_dbi_open(txn.handle(), "amounts_v1", 0, &dbi);
    if (rc != MDB_SUCCESS) return mdb_fail(rc, "open v1");
    return dbi;
  }());
  MDB_dbi new_dbi = 0;
  if (int rc = mdb_dbi_open(txn.handle(), "amounts_v2", MDB_CREATE, &new_dbi); rc != 0) {
    return mdb_fail(rc, "open v2");
  }
  FULGUR_TRY(RawCursor cursor, RawCursor::open(txn, old_dbi));
  for (auto e = cursor.first(); ; e = cursor.next()) {
    if (!e) return Unexpected{std::move(e).error()};
    if (!e.value()) break;
    std::string text(e.value()->second.begin(), e.value()->second.end());
    FULGUR_TRY_STATUS(txn.put(new_dbi, e.value()->first, U64Codec::encode(std::stoull(text))));
  }
  (void)env;
  return {};
}

TEST(StoreSchema, FreshDatabaseRecordsVersionAfterRunningEveryStep) {
  test::TempDir dir;
  auto env = Environment::open(dir.path()).value();
  EXPECT_EQ(schema_version(*env).value(), 0u);
  std::vector<uint32_t> steps;
  auto hook = [&](WriteTxn&, uint32_t from) -> StoreResult<void> {
    steps.push_back(from);
    return {};
  };
  ASSERT_TRUE(ensure_schema(*env, 3, hook));
  EXPECT_EQ(steps, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(schema_version(*env).value(), 3u);
  steps.clear();
  ASSERT_TRUE(ensure_schema(*env, 3, hook));
  EXPECT_TRUE(steps.empty());  // already current: nothing runs
}

TEST(StoreSchema, MigratesOldDataOnReopen) {
  test::TempDir dir;
  std::vector<uint32_t> steps;
  {
    auto env = Environment::open(dir.path()).value();
    ASSERT_TRUE(ensure_schema(*env, 1, [](WriteTxn&, uint32_t) { return StoreResult<void>{}; }));
    auto v1 = V1::open(*env, "amounts_v1").value();
    ASSERT_TRUE(env->write([&](WriteTxn& txn) -> StoreResult<void> {
      FULGUR_TRY_STATUS(v1.put(txn, "alice", "1500"));
      return v1.put(txn, "bob", "42");
    }));
  }
  auto env = Environment::open(dir.path()).value();
  auto migrated = ensure_schema(*env, 2, [&](WriteTxn& txn, uint32_t from) {
    return migrate(*env, txn, from, steps);
  });
  ASSERT_TRUE(migrated) << migrated.error().message;
  EXPECT_EQ(steps, (std::vector<uint32_t>{1}));
  EXPECT_EQ(schema_version(*env).value(), 2u);
  auto v2 = V2::open(*env, "amounts_v2").value();
  auto txn = env->begin_read().value();
  EXPECT_EQ(v2.get(txn, "alice").value(), std::optional<uint64_t>(1500));
  EXPECT_EQ(v2.get(txn, "bob").value(), std::optional<uint64_t>(42));
}

TEST(StoreSchema, FailedMigrationLeavesOldVersionAndData) {
  test::TempDir dir;
  auto env = Environment::open(dir.path()).value();
  ASSERT_TRUE(ensure_schema(*env, 1, [](WriteTxn&, uint32_t) { return StoreResult<void>{}; }));
  auto side = V1::open(*env, "side").value();
  auto result = ensure_schema(*env, 2, [&](WriteTxn& txn, uint32_t) -> StoreResult<void> {
    FULGUR_TRY_STATUS(side.put(txn, "half", "done"));
    return store_fail(StoreErrc::Io, "disk on fire");
  });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, StoreErrc::Migration);
  EXPECT_EQ(schema_version(*env).value(), 1u);
  auto txn = env->begin_read().value();
  EXPECT_EQ(side.get(txn, "half").value(), std::nullopt);
}

TEST(StoreSchema, NewerDataIsRefused) {
  test::TempDir dir;
  auto env = Environment::open(dir.path()).value();
  auto none = [](WriteTxn&, uint32_t) { return StoreResult<void>{}; };
  ASSERT_TRUE(ensure_schema(*env, 5, none));
  auto older = ensure_schema(*env, 4, none);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, StoreErrc::SchemaTooNew);
  EXPECT_EQ(schema_version(*env).value(), 5u);
}

}  // namespace
}  // namespace fulgur::store
