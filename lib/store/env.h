// An LMDB environment with RAII transactions and cursors over raw bytes. Typed access is
// in table.h; schema versions in schema.h. One Environment per daemon database; several
// processes may open the same one (LMDB's readers/writer locking), one writer at a time.
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/bytes.h"
#include "store/error.h"

namespace fulgur::store {

struct EnvOptions {
  size_t map_size = size_t{16} << 20;      // initial size of the memory map
  size_t max_map_size = size_t{1} << 40;   // growth stops here (MapFull)
  unsigned max_tables = 64;                // named tables in this environment
  bool read_only = false;                  // open without write access (other writers ok)
};

class Environment;

// A transaction; aborted on destruction unless committed. Not copyable; movable.
class Txn {
 public:
  Txn(Txn&& other) noexcept;
  Txn& operator=(Txn&&) = delete;
  Txn(const Txn&) = delete;
  ~Txn();

  // The value stored under `key` (valid until this transaction ends), or nothing.
  StoreResult<std::optional<ByteSpan>> get(MDB_dbi dbi, ByteSpan key) const;
  MDB_txn* handle() const { return m_txn; }

 protected:
  Txn(Environment* env, MDB_txn* txn) : m_env(env), m_txn(txn) {}
  void release();  // forget the handle after commit/abort

  Environment* m_env;
  MDB_txn* m_txn;
};

class ReadTxn : public Txn {
  friend class Environment;
  using Txn::Txn;
};

class WriteTxn : public Txn {
  friend class Environment;
  using Txn::Txn;

 public:
  StoreResult<void> put(MDB_dbi dbi, ByteSpan key, ByteSpan value);
  // True when the key existed.
  StoreResult<bool> erase(MDB_dbi dbi, ByteSpan key);
  // Makes every change durable (fsync) or returns the error; the transaction ends either way.
  StoreResult<void> commit();
};

// A position in one table, ordered by key bytes (memcmp order).
class RawCursor {
 public:
  using Entry = std::pair<ByteSpan, ByteSpan>;
  static StoreResult<RawCursor> open(const Txn& txn, MDB_dbi dbi);
  RawCursor(RawCursor&& other) noexcept : m_cursor(std::exchange(other.m_cursor, nullptr)) {}
  RawCursor(const RawCursor&) = delete;
  ~RawCursor();

  StoreResult<std::optional<Entry>> first() { return step(MDB_FIRST, {}); }
  StoreResult<std::optional<Entry>> last() { return step(MDB_LAST, {}); }
  StoreResult<std::optional<Entry>> next() { return step(MDB_NEXT, {}); }
  StoreResult<std::optional<Entry>> prev() { return step(MDB_PREV, {}); }
  // The first entry whose key is >= `key`.
  StoreResult<std::optional<Entry>> seek(ByteSpan key) { return step(MDB_SET_RANGE, key); }

 private:
  explicit RawCursor(MDB_cursor* cursor) : m_cursor(cursor) {}
  StoreResult<std::optional<Entry>> step(MDB_cursor_op op, ByteSpan key);
  MDB_cursor* m_cursor;
};

class Environment {
 public:
  // Opens (creating when writable) the environment in directory `dir` (mode 0700).
  static StoreResult<std::unique_ptr<Environment>> open(const std::filesystem::path& dir,
                                                        EnvOptions options = {});
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  StoreResult<ReadTxn> begin_read();
  StoreResult<WriteTxn> begin_write();

  // Runs `fn(WriteTxn&) -> StoreResult<R>` in a write transaction and commits it. When the
  // map is full the transaction is aborted, the map grows (doubling, up to max_map_size)
  // and `fn` runs again from scratch, so `fn` must only act through the transaction.
  // The calling thread must hold no other transaction on this environment.
  template <typename F>
  auto write(F&& fn) -> decltype(fn(std::declval<WriteTxn&>()));

  // The handle of a named table, created if missing (unless read-only).
  StoreResult<MDB_dbi> open_table(const std::string& name);

  // Doubles the map size (up to max_map_size). No transaction may be open.
  StoreResult<void> grow();
  size_t map_size() const;
  const EnvOptions& options() const { return m_options; }
  MDB_env* handle() const { return m_env; }

 private:
  friend class Txn;
  friend class WriteTxn;
  Environment(MDB_env* env, EnvOptions options) : m_env(env), m_options(options) {}
  StoreResult<MDB_txn*> begin(unsigned flags);

  MDB_env* m_env;
  EnvOptions m_options;
  int m_open_txns = 0;
};

template <typename F>
auto Environment::write(F&& fn) -> decltype(fn(std::declval<WriteTxn&>())) {
  constexpr int MAX_GROWTHS = 40;  // 2^40 times the initial size: more than any disk
  for (int attempt = 0;; ++attempt) {
    StoreError error;
    {
      auto txn = begin_write();
      if (!txn) return Unexpected{std::move(txn).error()};
      auto result = fn(*txn);
      if (!result) {
        error = result.error();
      } else {
        auto committed = txn->commit();
        if (committed) return result;
        error = committed.error();
      }
    }  // the transaction is aborted (or ended) here, so the map may be resized
    if (error.code != StoreErrc::MapFull || attempt == MAX_GROWTHS) {
      return Unexpected{std::move(error)};
    }
    auto grown = grow();
    if (!grown) return Unexpected{std::move(grown).error()};
  }
}

}  // namespace fulgur::store
