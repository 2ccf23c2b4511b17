// channeld's tables and the writer thread of the group commit (see store.h). Record
// layouts: a version byte, then big-endian fields; a record that does not decode is
// reported and skipped at load, never trusted.
#include "channeld/store.h"

#include "store/codec.h"
#include "wire/codec.h"

namespace fulgur::channeld {

namespace {
constexpr uint8_t RECORD_VERSION = 1;
// Channel records: version 2 adds the short_channel_id (0 while unknown) after the peer.
constexpr uint8_t CHANNEL_RECORD_VERSION = 2;
const char* const META_NEXT_KEY_INDEX = "next_key_index";
const char* const META_SHUTDOWN_SCRIPT = "shutdown_script";
const char* const META_ONCHAIN_BLOCKS = "onchain_blocks";

const char* table_name(TableId t) {
  switch (t) {
    case TableId::Channels: return "channels";
    case TableId::Peers: return "peers";
    case TableId::Incoming: return "incoming";
    case TableId::Invoices: return "invoices";
    case TableId::Forwards: return "forwards";
    case TableId::Payments: return "outgoing_payments";
    case TableId::Meta: return "node_meta";
    case TableId::Onchain: return "onchain";
  }
  return "?";
}

Bytes u64_key(uint64_t v) { return store::U64Codec::encode(v); }

template <typename T>
Result<T> need(Result<T> r, const char* what) {
  if (!r) return fail(std::string("truncated ") + what);
  return r;
}
}  // namespace

void Batch::put(TableId table, Bytes key, Bytes value) {
  m_changes[{table, std::move(key)}] = std::move(value);
}

void Batch::erase(TableId table, Bytes key) { m_changes[{table, std::move(key)}] = std::nullopt; }

Bytes encode_channel_value(const ChannelRecord& r) {
  wire::Writer w(1 + 33 + 8 + r.state.size());
  w.u8(CHANNEL_RECORD_VERSION);
  w.bytes(r.peer.span());
  w.u64(r.short_channel_id ? r.short_channel_id->to_u64() : 0);
  w.bytes(r.state);
  return w.take();
}

Result<ChannelRecord> decode_channel_value(uint64_t key_index, ByteSpan value) {
  wire::Reader r(value);
  FULGUR_TRY(uint8_t version, need(r.u8(), "channel record"));
  if (version != RECORD_VERSION && version != CHANNEL_RECORD_VERSION) {
    return fail("unknown channel record version");
  }
  FULGUR_TRY(ByteSpan peer, need(r.bytes(33), "channel record"));
  ChannelRecord out;
  out.key_index = key_index;
  out.peer = *NodeId::from_span(peer);
  if (version == CHANNEL_RECORD_VERSION) {
    FULGUR_TRY(uint64_t scid, need(r.u64(), "channel record"));
    // Zero is "not known yet" (no funding output sits at block 0).
    if (scid != 0) out.short_channel_id = ShortChannelId(scid);
  }
  ByteSpan rest = r.rest();
  out.state.assign(rest.begin(), rest.end());
  return out;
}

Bytes encode_incoming_key(const IncomingKey& k) {
  wire::Writer w(16);
  w.u64(k.key_index);
  w.u64(k.htlc_id);
  return w.take();
}

void ChannelStore::put_channel(Batch& b, const ChannelRecord& r) {
  b.put(TableId::Channels, u64_key(r.key_index), encode_channel_value(r));
}
void ChannelStore::erase_channel(Batch& b, uint64_t key_index) {
  b.erase(TableId::Channels, u64_key(key_index));
}
void ChannelStore::put_peer(Batch& b, const PeerRecord& p) {
  wire::Writer w;
  w.u8(RECORD_VERSION);
  w.bytes(as_bytes(p.address));
  b.put(TableId::Peers, Bytes(p.id.begin(), p.id.end()), w.take());
}
void ChannelStore::erase_peer(Batch& b, const NodeId& id) {
  b.erase(TableId::Peers, Bytes(id.begin(), id.end()));
}
void ChannelStore::put_incoming(Batch& b, const IncomingKey& k, ByteSpan onion) {
  b.put(TableId::Incoming, encode_incoming_key(k), Bytes(onion.begin(), onion.end()));
}
void ChannelStore::erase_incoming(Batch& b, const IncomingKey& k) {
  b.erase(TableId::Incoming, encode_incoming_key(k));
}
void ChannelStore::put_invoice(Batch& b, const payment::Persist& p) {
  b.put(TableId::Invoices, p.key, p.record);
}
void ChannelStore::put_forward(Batch& b, const payment::Persist& p) {
  b.put(TableId::Forwards, p.key, p.record);
}
void ChannelStore::put_payment(Batch& b, const payment::Persist& p) {
  b.put(TableId::Payments, p.key, p.record);
}
void ChannelStore::put_next_key_index(Batch& b, uint64_t next) {
  std::string key = META_NEXT_KEY_INDEX;
  b.put(TableId::Meta, Bytes(key.begin(), key.end()), u64_key(next));
}

void ChannelStore::put_shutdown_script(Batch& b, ByteSpan script) {
  std::string key = META_SHUTDOWN_SCRIPT;
  b.put(TableId::Meta, Bytes(key.begin(), key.end()), Bytes(script.begin(), script.end()));
}

void ChannelStore::put_resolver(Batch& b, uint64_t key_index, ByteSpan record) {
  b.put(TableId::Onchain, u64_key(key_index), Bytes(record.begin(), record.end()));
}

void ChannelStore::put_onchain_blocks(Batch& b, ByteSpan value) {
  std::string key = META_ONCHAIN_BLOCKS;
  b.put(TableId::Meta, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
}

ChannelStore::ChannelStore(uv_loop_t* loop, store::Environment& env)
    : m_env(env), m_async(new uv_async_t{}) {
  uv_async_init(loop, m_async, &ChannelStore::on_async);
  m_async->data = this;
  // The writer does not keep the loop alive: a commit in flight is waited for by close().
  uv_unref(reinterpret_cast<uv_handle_t*>(m_async));
  m_writer = std::thread([this] { run_writer(); });
}

ChannelStore::~ChannelStore() { close(); }

Result<std::unique_ptr<ChannelStore>> ChannelStore::open(uv_loop_t* loop, store::Environment& env) {
  std::map<TableId, MDB_dbi> tables;
  for (TableId t : {TableId::Channels, TableId::Peers, TableId::Incoming, TableId::Invoices,
                    TableId::Forwards, TableId::Payments, TableId::Meta, TableId::Onchain}) {
    auto dbi = env.open_table(table_name(t));
    if (!dbi) return fail("store: " + dbi.error().message);
    tables[t] = *dbi;
  }
  std::unique_ptr<ChannelStore> s(new ChannelStore(loop, env));
  s->m_tables = std::move(tables);
  return s;
}

Result<StoreContents> ChannelStore::load() {
  FULGUR_REQUIRE(!m_in_flight);
  auto txn = m_env.begin_read();
  if (!txn) return fail("store: " + txn.error().message);
  StoreContents out;
  auto each = [&](TableId t, auto&& fn) -> Status {
    auto cursor = store::RawCursor::open(*txn, m_tables[t]);
    if (!cursor) return fail("store: " + cursor.error().message);
    for (auto e = cursor->first(); ; e = cursor->next()) {
      if (!e) return fail("store: " + e.error().message);
      if (!e->has_value()) return {};
      fn((*e)->first, (*e)->second);
    }
  };
  FULGUR_TRY_STATUS(each(TableId::Channels, [&](ByteSpan k, ByteSpan v) {
    auto key = store::U64Codec::decode(k);
    auto rec = key ? decode_channel_value(*key, v) : Result<ChannelRecord>(fail("bad key"));
    if (rec) {
      out.channels.push_back(std::move(*rec));
    } else {
      out.corrupt.push_back("channel: " + rec.error().message);
    }
  }));
  FULGUR_TRY_STATUS(each(TableId::Peers, [&](ByteSpan k, ByteSpan v) {
    auto id = NodeId::from_span(k);
    if (!id || v.empty() || v[0] != RECORD_VERSION) {
      out.corrupt.push_back("peer record");
      return;
    }
    out.peers.push_back(PeerRecord{*id, std::string(v.begin() + 1, v.end())});
  }));
  FULGUR_TRY_STATUS(each(TableId::Incoming, [&](ByteSpan k, ByteSpan v) {
    wire::Reader r(k);
    auto a = r.u64();
    auto b = r.u64();
    if (!a || !b || !r.empty()) {
      out.corrupt.push_back("incoming htlc key");
      return;
    }
    out.incoming[IncomingKey{*a, *b}] = Bytes(v.begin(), v.end());
  }));
  FULGUR_TRY_STATUS(each(TableId::Invoices, [&](ByteSpan, ByteSpan v) {
    out.invoices.emplace_back(v.begin(), v.end());
  }));
  FULGUR_TRY_STATUS(each(TableId::Forwards, [&](ByteSpan, ByteSpan v) {
    out.forwards.emplace_back(v.begin(), v.end());
  }));
  FULGUR_TRY_STATUS(each(TableId::Payments, [&](ByteSpan, ByteSpan v) {
    out.payments.emplace_back(v.begin(), v.end());
  }));
  FULGUR_TRY_STATUS(each(TableId::Onchain, [&](ByteSpan k, ByteSpan v) {
    auto key = store::U64Codec::decode(k);
    if (!key) {
      out.corrupt.push_back("resolver key");
      return;
    }
    out.resolvers[*key] = Bytes(v.begin(), v.end());  // decoded (and checked) by the resolver
  }));
  std::string meta_key = META_NEXT_KEY_INDEX;
  auto next = txn->get(m_tables[TableId::Meta], as_bytes(meta_key));
  if (!next) return fail("store: " + next.error().message);
  if (*next) {
    auto v = store::U64Codec::decode(**next);
    if (!v) return fail("store: bad next_key_index");
    out.next_key_index = *v;
  }
  std::string script_key = META_SHUTDOWN_SCRIPT;
  auto script = txn->get(m_tables[TableId::Meta], as_bytes(script_key));
  if (!script) return fail("store: " + script.error().message);
  if (*script) out.shutdown_script.assign((*script)->begin(), (*script)->end());
  std::string blocks_key = META_ONCHAIN_BLOCKS;
  auto blocks = txn->get(m_tables[TableId::Meta], as_bytes(blocks_key));
  if (!blocks) return fail("store: " + blocks.error().message);
  if (*blocks) out.onchain_blocks.assign((*blocks)->begin(), (*blocks)->end());
  return out;
}

void ChannelStore::commit(Batch batch, std::function<void(Status)> done) {
  FULGUR_REQUIRE(!m_in_flight && !m_closed);
  m_in_flight = true;
  m_done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job = std::move(batch);
  }
  m_cv.notify_one();
}

void ChannelStore::run_writer() {
  for (;;) {
    Batch job;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_cv.wait(lock, [&] { return m_quit || m_job.has_value(); });
      if (!m_job) return;  // quitting with nothing to write
      job = std::move(*m_job);
      m_job.reset();
    }
    auto written = m_env.write([&](store::WriteTxn& txn) -> store::StoreResult<void> {
      for (const auto& [where, value] : job.changes()) {
        MDB_dbi dbi = m_tables.at(where.first);
        if (value) {
          FULGUR_TRY_STATUS(txn.put(dbi, where.second, *value));
        } else {
          FULGUR_TRY(bool existed, txn.erase(dbi, where.second));
          (void)existed;
        }
      }
      return {};
    });
    Status result;
    if (!written) result = fail("store commit: " + written.error().message);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_job_result = std::move(result);
    }
    uv_async_send(m_async);
  }
}

void ChannelStore::on_async(uv_async_t* async) {
  auto* self = static_cast<ChannelStore*>(async->data);
  if (self == nullptr) return;
  std::optional<Status> result;
  {
    std::lock_guard<std::mutex> lock(self->m_mutex);
    result = std::move(self->m_job_result);
    self->m_job_result.reset();
  }
  if (!result) return;
  self->m_in_flight = false;
  ++self->m_commits;
  auto done = std::move(self->m_done);
  self->m_done = nullptr;
  if (done) done(std::move(*result));
}

void ChannelStore::close() {
  if (m_closed) return;
  m_closed = true;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_quit = true;
  }
  m_cv.notify_one();
  if (m_writer.joinable()) m_writer.join();  // finishes the batch in flight first
  m_async->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(m_async),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

}  // namespace fulgur::channeld
