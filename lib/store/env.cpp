// LMDB environment, transactions and cursors (see env.h).
#include "store/env.h"

#include <sys/stat.h>

#include <system_error>

namespace fulgur::store {
namespace {
MDB_val to_val(ByteSpan bytes) {
  return MDB_val{bytes.size(), const_cast<uint8_t*>(bytes.data())};
}
ByteSpan from_val(const MDB_val& val) {
  return {static_cast<const uint8_t*>(val.mv_data), val.mv_size};
}
}  // namespace

Txn::Txn(Txn&& other) noexcept
    : m_env(other.m_env), m_txn(std::exchange(other.m_txn, nullptr)) {}

Txn::~Txn() {
  if (m_txn != nullptr) {
    mdb_txn_abort(m_txn);
    release();
  }
}

void Txn::release() {
  m_txn = nullptr;
  --m_env->m_open_txns;
}

StoreResult<std::optional<ByteSpan>> Txn::get(MDB_dbi dbi, ByteSpan key) const {
  FULGUR_REQUIRE(m_txn != nullptr);
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = mdb_get(m_txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<ByteSpan>{};
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "get");
  return std::optional<ByteSpan>{from_val(v)};
}

StoreResult<void> WriteTxn::put(MDB_dbi dbi, ByteSpan key, ByteSpan value) {
  FULGUR_REQUIRE(m_txn != nullptr);
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  int rc = mdb_put(m_txn, dbi, &k, &v, 0);
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "put");
  return {};
}

StoreResult<bool> WriteTxn::erase(MDB_dbi dbi, ByteSpan key) {
  FULGUR_REQUIRE(m_txn != nullptr);
  MDB_val k = to_val(key);
  int rc = mdb_del(m_txn, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "erase");
  return true;
}

StoreResult<void> WriteTxn::commit() {
  FULGUR_REQUIRE(m_txn != nullptr);
  int rc = mdb_txn_commit(m_txn);
  release();  // LMDB frees the transaction whether or not the commit succeeded
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "commit");
  return {};
}

StoreResult<RawCursor> RawCursor::open(const Txn& txn, MDB_dbi dbi) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.handle(), dbi, &cursor);
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "cursor open");
  return RawCursor(cursor);
}

RawCursor::~RawCursor() {
  if (m_cursor != nullptr) mdb_cursor_close(m_cursor);
}

StoreResult<std::optional<RawCursor::Entry>> RawCursor::step(MDB_cursor_op op, ByteSpan key) {
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = mdb_cursor_get(m_cursor, &k, &v, op);
  if (rc == MDB_NOTFOUND) return std::optional<Entry>{};
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "cursor");
  return std::optional<Entry>{Entry{from_val(k), from_val(v)}};
}

StoreResult<std::unique_ptr<Environment>> Environment::open(const std::filesystem::path& dir,
                                                            EnvOptions options) {
  std::error_code ec;
  if (!options.read_only) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return store_fail(StoreErrc::Io, "create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "env create");
  auto fail_closed = [env](int code, const std::string& what) {
    mdb_env_close(env);
    return mdb_fail(code, what);
  };
  if ((rc = mdb_env_set_maxdbs(env, options.max_tables)) != MDB_SUCCESS) {
    return fail_closed(rc, "set max tables");
  }
  if ((rc = mdb_env_set_mapsize(env, options.map_size)) != MDB_SUCCESS) {
    return fail_closed(rc, "set map size");
  }
  // MDB_NOTLS: read transactions are not tied to a thread's slot (safe with event loops).
  unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0);
  if ((rc = mdb_env_open(env, dir.c_str(), flags, 0600)) != MDB_SUCCESS) {
    return fail_closed(rc, "open " + dir.string());
  }
  // Another process may already have grown the map: adopt the size in the file.
  MDB_envinfo info{};
  mdb_env_info(env, &info);
  if (info.me_mapsize > options.map_size) options.map_size = info.me_mapsize;
  return std::unique_ptr<Environment>(new Environment(env, options));
}

Environment::~Environment() {
  FULGUR_REQUIRE(m_open_txns == 0);
  mdb_env_close(m_env);
}

StoreResult<MDB_txn*> Environment::begin(unsigned flags) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(m_env, nullptr, flags, &txn);
  if (rc == MDB_MAP_RESIZED && m_open_txns == 0) {
    // Another process grew the map: adopt its size, then try again.
    mdb_env_set_mapsize(m_env, 0);
    rc = mdb_txn_begin(m_env, nullptr, flags, &txn);
  }
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "begin transaction");
  ++m_open_txns;
  return txn;
}

StoreResult<ReadTxn> Environment::begin_read() {
  FULGUR_TRY(MDB_txn * txn, begin(MDB_RDONLY));
  return ReadTxn(this, txn);
}

StoreResult<WriteTxn> Environment::begin_write() {
  if (m_options.read_only) return store_fail(StoreErrc::BadUsage, "environment is read-only");
  FULGUR_TRY(MDB_txn * txn, begin(0));
  return WriteTxn(this, txn);
}

StoreResult<MDB_dbi> Environment::open_table(const std::string& name) {
  FULGUR_TRY(MDB_txn * txn, begin(m_options.read_only ? MDB_RDONLY : 0));
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn, name.c_str(), m_options.read_only ? 0 : MDB_CREATE, &dbi);
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    --m_open_txns;
    return mdb_fail(rc, "open table " + name);
  }
  rc = mdb_txn_commit(txn);
  --m_open_txns;
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "open table " + name);
  return dbi;
}

StoreResult<void> Environment::grow() {
  if (m_open_txns != 0) {
    return store_fail(StoreErrc::MapFull, "map full and a transaction is still open");
  }
  size_t current = map_size();
  if (current >= m_options.max_map_size) {
    return store_fail(StoreErrc::MapFull, "map reached its maximum of " +
                                              std::to_string(m_options.max_map_size) + " bytes");
  }
  size_t next = std::min(current * 2, m_options.max_map_size);
  int rc = mdb_env_set_mapsize(m_env, next);
  if (rc != MDB_SUCCESS) return mdb_fail(rc, "grow map");
  m_options.map_size = next;
  return {};
}

size_t Environment::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(m_env, &info);
  return info.me_mapsize;
}

}  // namespace fulgur::store
