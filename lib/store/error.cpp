// Translation of LMDB's return codes into StoreErrc.
#include "store/error.h"

#include <lmdb.h>

namespace fulgur::store {

const char* to_string(StoreErrc code) {
  switch (code) {
    case StoreErrc::MapFull: return "map_full";
    case StoreErrc::Corrupt: return "corrupt";
    case StoreErrc::VersionMismatch: return "version_mismatch";
    case StoreErrc::SchemaTooNew: return "schema_too_new";
    case StoreErrc::Migration: return "migration";
    case StoreErrc::LimitReached: return "limit_reached";
    case StoreErrc::BadUsage: return "bad_usage";
    case StoreErrc::Io: return "io";
  }
  return "unknown";
}

namespace {
StoreErrc classify(int rc) {
  switch (rc) {
    case MDB_MAP_FULL: return StoreErrc::MapFull;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_PANIC: return StoreErrc::Corrupt;
    case MDB_VERSION_MISMATCH: return StoreErrc::VersionMismatch;
    case MDB_DBS_FULL:
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL: return StoreErrc::LimitReached;
    case MDB_BAD_TXN:
    case MDB_BAD_VALSIZE:
    case MDB_BAD_DBI:
    case MDB_BAD_RSLOT:
    case MDB_INCOMPATIBLE:
    case MDB_NOTFOUND:
    case MDB_KEYEXIST:
    case EINVAL: return StoreErrc::BadUsage;
    default: return StoreErrc::Io;
  }
}
}  // namespace

Unexpected<StoreError> mdb_fail(int rc, const std::string& what) {
  return {StoreError{classify(rc), rc, what + ": " + mdb_strerror(rc)}};
}

}  // namespace fulgur::store
