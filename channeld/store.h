// channeld's records in its LMDB environment (<datadir>/channels) and the group commit that
// makes them durable. Tables: `channels` (key index -> peer, short_channel_id and the state
// machine's record), `peers` (node id -> address to dial), `incoming` (key index, htlc id ->
// the onion of an HTLC the peer offered, until it is resolved), lib/payment's records under
// the keys it chose: `invoices` (invoices and keysend receipts), `forwards` (incoming <->
// outgoing HTLC links), `outgoing_payments` (our payment attempts); `node_meta` (the next
// channel key index, the shutdown script, the blocks the resolvers saw), `onchain` (key
// index -> the channel resolver's record, lib/channel/onchain.h).
//
// Group commit: every change made during one loop turn goes into one Batch; the batch is
// written in ONE write transaction (one fsync) on a writer thread while the loop carries
// on; the loop hears back when it is durable. One batch is in flight at a time. Must not:
// touch the environment from the loop thread while a batch is in flight (load first).
#pragma once

#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "payment/types.h"
#include "store/env.h"

namespace fulgur::channeld {

enum class TableId : uint8_t {
  Channels, Peers, Incoming, Invoices, Forwards, Payments, Meta, Onchain
};

// Puts (value) and erases (nothing) keyed by table and key; the last change to a key wins.
class Batch {
 public:
  void put(TableId table, Bytes key, Bytes value);
  void erase(TableId table, Bytes key);
  bool empty() const { return m_changes.empty(); }
  size_t size() const { return m_changes.size(); }
  const std::map<std::pair<TableId, Bytes>, std::optional<Bytes>>& changes() const {
    return m_changes;
  }

 private:
  std::map<std::pair<TableId, Bytes>, std::optional<Bytes>> m_changes;
};

// ---- records ----

struct ChannelRecord {
  uint64_t key_index = 0;
  NodeId peer;
  // From the funding transaction's confirmation (block height, index, output); what the
  // switch forwards by.
  std::optional<ShortChannelId> short_channel_id;
  Bytes state;  // channel::serialize(ChannelState)
};
Bytes encode_channel_value(const ChannelRecord& r);
Result<ChannelRecord> decode_channel_value(uint64_t key_index, ByteSpan value);

struct PeerRecord {
  NodeId id;
  std::string address;  // "host:port" we dial; empty for a peer that only dials us
};

struct IncomingKey {
  uint64_t key_index = 0;
  uint64_t htlc_id = 0;
  friend auto operator<=>(const IncomingKey&, const IncomingKey&) = default;
};
Bytes encode_incoming_key(const IncomingKey& k);

// Everything the store holds, read once at start.
struct StoreContents {
  std::vector<ChannelRecord> channels;
  std::vector<PeerRecord> peers;
  std::map<IncomingKey, Bytes> incoming;  // onions
  // lib/payment's records, as stored (the trackers decode them when they load them).
  std::vector<Bytes> invoices;
  std::vector<Bytes> forwards;
  std::vector<Bytes> payments;
  uint64_t next_key_index = 0;
  Bytes shutdown_script;  // where mutual closes pay us (a wallet address), empty if unset
  std::map<uint64_t, Bytes> resolvers;  // key index -> channel resolver record
  Bytes onchain_blocks;  // the blocks fed to the resolvers (channeld/onchain_watch.h)
  std::vector<std::string> corrupt;  // records that did not decode (reported, skipped)
};

class ChannelStore {
 public:
  // Opens the tables. `loop` delivers commit results; `env` must outlive this object.
  static Result<std::unique_ptr<ChannelStore>> open(uv_loop_t* loop, store::Environment& env);
  ~ChannelStore();
  ChannelStore(const ChannelStore&) = delete;
  ChannelStore& operator=(const ChannelStore&) = delete;

  // Reads every record (before the first commit).
  Result<StoreContents> load();

  // Writes `batch` in one transaction on the writer thread; `done` runs on the loop once it
  // is durable (or failed). Requires no batch in flight.
  void commit(Batch batch, std::function<void(Status)> done);
  bool in_flight() const { return m_in_flight; }
  uint64_t commits() const { return m_commits; }

  // Stops the writer thread (after the batch in flight) and closes the loop handle.
  void close();

  // Typed changes.
  static void put_channel(Batch& b, const ChannelRecord& r);
  static void erase_channel(Batch& b, uint64_t key_index);
  static void put_peer(Batch& b, const PeerRecord& p);
  static void erase_peer(Batch& b, const NodeId& id);
  static void put_incoming(Batch& b, const IncomingKey& k, ByteSpan onion);
  static void erase_incoming(Batch& b, const IncomingKey& k);
  static void put_invoice(Batch& b, const payment::Persist& p);
  static void put_forward(Batch& b, const payment::Persist& p);
  static void put_payment(Batch& b, const payment::Persist& p);
  static void put_next_key_index(Batch& b, uint64_t next);
  static void put_shutdown_script(Batch& b, ByteSpan script);
  static void put_resolver(Batch& b, uint64_t key_index, ByteSpan record);
  static void put_onchain_blocks(Batch& b, ByteSpan value);

 private:
  ChannelStore(uv_loop_t* loop, store::Environment& env);
  void run_writer();
  static void on_async(uv_async_t* async);

  store::Environment& m_env;
  std::map<TableId, MDB_dbi> m_tables;
  uv_async_t* m_async;  // heap: freed in its close callback

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::optional<Batch> m_job;           // guarded by m_mutex
  std::optional<Status> m_job_result;   // guarded by m_mutex
  bool m_quit = false;                  // guarded by m_mutex
  std::thread m_writer;

  std::function<void(Status)> m_done;   // loop thread only
  bool m_in_flight = false;
  bool m_closed = false;
  uint64_t m_commits = 0;
};

}  // namespace fulgur::channeld
