// The schema version record and its migration hook. Every daemon database carries one
// version number in the table "__meta"; opening with a newer code version runs the hook
// once per step (from -> from + 1) inside the same write transaction that records the new
// version, so a crash mid-migration leaves the old data and the old version.
#pragma once

#include <cstdint>
#include <functional>

#include "store/env.h"

namespace fulgur::store {

// Migrates the data from version `from` to `from + 1` (from == 0: a fresh database, create
// what version 1 needs). Any error aborts the whole migration.
using MigrationHook = std::function<StoreResult<void>(WriteTxn& txn, uint32_t from)>;

// Brings the environment to `version`: records it on a fresh database (running the hook for
// each step from 0), migrates an older one, refuses a newer one (SchemaTooNew).
StoreResult<void> ensure_schema(Environment& env, uint32_t version, const MigrationHook& hook);

// The recorded version, 0 when none is recorded yet.
StoreResult<uint32_t> schema_version(Environment& env);

}  // namespace fulgur::store
