// A typed table: a named LMDB database whose keys and values go through codecs. A record
// that fails to decode is reported as StoreErrc::Corrupt, never trusted.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "store/codec.h"
#include "store/env.h"

namespace fulgur::store {

template <Codec K, Codec V>
class Table {
 public:
  using Key = typename K::Type;
  using Value = typename V::Type;

  static StoreResult<Table> open(Environment& env, const std::string& name) {
    FULGUR_TRY(MDB_dbi dbi, env.open_table(name));
    return Table(dbi, name);
  }

  StoreResult<std::optional<Value>> get(const Txn& txn, const Key& key) const {
    FULGUR_TRY(auto raw, txn.get(m_dbi, K::encode(key)));
    if (!raw) return std::optional<Value>{};
    FULGUR_TRY(Value value, decode_value(*raw));
    return std::optional<Value>{std::move(value)};
  }
  StoreResult<void> put(WriteTxn& txn, const Key& key, const Value& value) const {
    return txn.put(m_dbi, K::encode(key), V::encode(value));
  }
  StoreResult<bool> erase(WriteTxn& txn, const Key& key) const {
    return txn.erase(m_dbi, K::encode(key));
  }

  // Iterates in key order: first()/seek() then next() until it yields nothing.
  class Cursor {
   public:
    using Entry = std::pair<Key, Value>;
    StoreResult<std::optional<Entry>> first() { return typed(m_raw.first()); }
    StoreResult<std::optional<Entry>> last() { return typed(m_raw.last()); }
    StoreResult<std::optional<Entry>> next() { return typed(m_raw.next()); }
    StoreResult<std::optional<Entry>> prev() { return typed(m_raw.prev()); }
    StoreResult<std::optional<Entry>> seek(const Key& key) {
      return typed(m_raw.seek(K::encode(key)));
    }

   private:
    friend class Table;
    Cursor(RawCursor raw, const Table* table) : m_raw(std::move(raw)), m_table(table) {}
    StoreResult<std::optional<Entry>> typed(StoreResult<std::optional<RawCursor::Entry>> raw) {
      if (!raw) return Unexpected{std::move(raw).error()};
      if (!raw.value()) return std::optional<Entry>{};
      auto key = K::decode(raw.value()->first);
      if (!key) return m_table->corrupt("key", key.error());
      FULGUR_TRY(Value value, m_table->decode_value(raw.value()->second));
      return std::optional<Entry>{Entry{std::move(key).value(), std::move(value)}};
    }
    RawCursor m_raw;
    const Table* m_table;
  };

  StoreResult<Cursor> cursor(const Txn& txn) const {
    FULGUR_TRY(RawCursor raw, RawCursor::open(txn, m_dbi));
    return Cursor(std::move(raw), this);
  }

  MDB_dbi dbi() const { return m_dbi; }
  const std::string& name() const { return m_name; }

 private:
  Table(MDB_dbi dbi, std::string name) : m_dbi(dbi), m_name(std::move(name)) {}
  Unexpected<StoreError> corrupt(const char* what, const Error& error) const {
    return store_fail(StoreErrc::Corrupt, m_name + ": bad " + what + ": " + error.message);
  }
  StoreResult<Value> decode_value(ByteSpan raw) const {
    auto value = V::decode(raw);
    if (!value) return corrupt("value", value.error());
    return std::move(value).value();
  }

  MDB_dbi m_dbi;
  std::string m_name;
};

}  // namespace fulgur::store
