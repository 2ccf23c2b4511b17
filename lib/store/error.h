// LMDB failures as typed errors: every store call returns StoreResult<T>, never throws and
// never aborts on a bad file or a full map.
#pragma once

#include <string>

#include "common/result.h"

namespace fulgur::store {

enum class StoreErrc {
  MapFull,          // the map cannot grow further (max_map_size reached)
  Corrupt,          // LMDB found a damaged page, or a record failed to decode
  VersionMismatch,  // the environment was written by an incompatible LMDB
  SchemaTooNew,     // the data was written by a newer Fulgur (higher schema version)
  Migration,        // a migration hook failed; the data is unchanged
  LimitReached,     // too many tables, readers, or dirty pages in one transaction
  BadUsage,         // a caller broke LMDB's rules (bad handle, key too long, wrong txn)
  Io,               // the operating system refused (permissions, disk, missing file)
};

const char* to_string(StoreErrc code);

struct StoreError {
  StoreErrc code = StoreErrc::Io;
  int mdb_rc = 0;  // LMDB's (or errno's) code, 0 when not from LMDB
  std::string message;
};

template <typename T>
using StoreResult = Result<T, StoreError>;

inline Unexpected<StoreError> store_fail(StoreErrc code, std::string message, int rc = 0) {
  return {StoreError{code, rc, std::move(message)}};
}

// Maps an LMDB return code (not MDB_SUCCESS) to a typed error; `what` names the operation.
Unexpected<StoreError> mdb_fail(int rc, const std::string& what);

}  // namespace fulgur::store
