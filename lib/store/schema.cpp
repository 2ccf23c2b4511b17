// Schema version record and migration (see schema.h).
#include "store/schema.h"

#include <string>

#include "store/table.h"

namespace fulgur::store {
namespace {
using MetaTable = Table<StringCodec, U32Codec>;
const char* const META_TABLE = "__meta";
const char* const VERSION_KEY = "schema_version";

StoreResult<uint32_t> read_version(const MetaTable& meta, const Txn& txn) {
  FULGUR_TRY(auto stored, meta.get(txn, VERSION_KEY));
  return stored.value_or(0);
}
}  // namespace

StoreResult<uint32_t> schema_version(Environment& env) {
  FULGUR_TRY(MetaTable meta, MetaTable::open(env, META_TABLE));
  FULGUR_TRY(ReadTxn txn, env.begin_read());
  return read_version(meta, txn);
}

StoreResult<void> ensure_schema(Environment& env, uint32_t version, const MigrationHook& hook) {
  FULGUR_TRY(MetaTable meta, MetaTable::open(env, META_TABLE));
  return env.write([&](WriteTxn& txn) -> StoreResult<void> {
    FULGUR_TRY(uint32_t stored, read_version(meta, txn));
    if (stored > version) {
      return store_fail(StoreErrc::SchemaTooNew,
                        "data has schema version " + std::to_string(stored) +
                            ", this build knows up to " + std::to_string(version));
    }
    for (uint32_t from = stored; from < version; ++from) {
      auto step = hook(txn, from);
      if (!step) {
        if (step.error().code == StoreErrc::MapFull) return step;  // env.write grows, retries
        return store_fail(StoreErrc::Migration, "migration from version " +
                                                    std::to_string(from) + " failed: " +
                                                    step.error().message);
      }
    }
    if (stored == version) return {};
    return meta.put(txn, VERSION_KEY, version);
  });
}

}  // namespace fulgur::store
