// l1sim's chain: a block tree (every block ever seen, some marked invalid), the active
// chain with its UTXO set and undo data, a transaction index, and the mempool. Accepts
// transactions with bitcoind's rules and reject reasons, mines the mempool by feerate,
// reorgs on invalidate/reconsider. Pure: no I/O, no clock (block times are derived from
// the previous block), no threads; the caller serialises access.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "block.h"
#include "common/result.h"
#include "validation.h"

namespace fulgur::l1sim {

// Checks one input's script. `standard` selects Bitcoin Core's standard policy flags,
// otherwise only the mandatory (consensus) ones. Returns the interpreter's error text
// ("Signature must be zero for failed CHECK(MULTI)SIG operation") or nothing when valid.
using InputVerifier = std::function<std::optional<std::string>(
    const bitcoin::Transaction& tx, size_t input, const std::vector<bitcoin::TxOut>& spent,
    bool standard)>;

struct MempoolEntry {
  bitcoin::Transaction tx;
  Sat fee;
  uint64_t vsize = 0;
  uint64_t sequence = 0;  // arrival order
};

struct BlockEntry {
  Block block;
  BlockHash hash;
  uint32_t height = 0;
  int64_t median_time_past = 0;  // MTP of this block and its 10 predecessors
  bool invalid = false;
  std::vector<std::pair<bitcoin::OutPoint, Coin>> undo;  // spent coins, while connected
};

struct TxLocation {
  BlockHash block;
  uint32_t height = 0;
};

struct AcceptResult {
  Txid txid;
  Txid wtxid;
  Sat fee;
  uint64_t vsize = 0;
};

class ChainState {
 public:
  static constexpr uint32_t GENESIS_TIME = 1296688602;
  static constexpr uint32_t BLOCK_INTERVAL = 600;
  static constexpr uint32_t HALVING_INTERVAL = 150;  // regtest

  explicit ChainState(InputVerifier verifier);

  // Chain queries.
  uint32_t height() const { return static_cast<uint32_t>(m_active.size() - 1); }
  const BlockHash& tip() const { return m_active.back(); }
  const BlockEntry& tip_entry() const { return m_blocks.at(tip()); }
  const BlockEntry* find_block(const BlockHash& hash) const;
  std::optional<BlockHash> hash_at(uint32_t height) const;
  bool in_active_chain(const BlockEntry& entry) const;
  std::optional<Coin> utxo(const bitcoin::OutPoint& out) const;
  const std::map<bitcoin::OutPoint, Coin>& utxos() const { return m_utxo; }
  std::optional<TxLocation> find_tx(const Txid& txid) const;
  const std::map<Txid, MempoolEntry>& mempool() const { return m_mempool; }
  bool mempool_spends(const bitcoin::OutPoint& out) const { return m_spent_by.count(out); }
  static Sat subsidy(uint32_t height);

  // Mempool acceptance with bitcoind's checks; `test_only` leaves the mempool unchanged.
  // Scripts are checked with standard flags; a failure is re-checked with the mandatory
  // ones to tell "non-mandatory-script-verify-flag" from "mandatory-…-failed".
  Result<AcceptResult, TxReject> accept(const bitcoin::Transaction& tx, bool test_only,
                                        std::optional<uint64_t> max_fee_sat_per_kvb = {});

  // Mines one block on the tip paying `coinbase_script`, filled from the mempool by
  // feerate (parents before children, within the weight limit). Returns its hash.
  BlockHash mine(const bitcoin::Script& coinbase_script);

  // Adds a block received from disk (already mined before). It is connected if it extends
  // the best valid chain; errors if its parent is unknown or it fails validation.
  Status add_block(const Block& block, bool invalid);

  // Marks the block and its descendants invalid and moves to the best valid chain; the
  // disconnected blocks' transactions go back to the mempool where still valid.
  Status invalidate(const BlockHash& hash);
  // Clears the invalid mark from the block, its ancestors and descendants and moves to the
  // best valid chain.
  Status reconsider(const BlockHash& hash);

  // Every known block, parents before children, with its invalid mark (for persistence).
  std::vector<const BlockEntry*> all_blocks() const;

 private:
  int64_t mtp_for_next(const BlockHash& parent) const;
  int64_t mtp_before_height(uint32_t height) const;
  Reject validate_inputs(const bitcoin::Transaction& tx, std::vector<Coin>& coins,
                         bool with_mempool) const;
  Reject check_scripts(const bitcoin::Transaction& tx, const std::vector<Coin>& coins,
                       bool standard) const;
  Status connect(const BlockHash& hash);
  void disconnect_tip(std::vector<bitcoin::Transaction>& returned);
  void activate_best_chain();
  bool chain_valid_from_root(const BlockHash& hash) const;
  void remove_with_descendants(const Txid& txid);
  void remove_for_block(const Block& block);
  void readd_to_mempool(std::vector<bitcoin::Transaction> txs);
  std::vector<const MempoolEntry*> select_for_block() const;

  InputVerifier m_verifier;
  std::map<BlockHash, BlockEntry> m_blocks;
  std::multimap<BlockHash, BlockHash> m_children;
  std::vector<BlockHash> m_active;  // index = height
  std::map<bitcoin::OutPoint, Coin> m_utxo;
  std::map<Txid, TxLocation> m_tx_index;
  std::map<Txid, MempoolEntry> m_mempool;
  std::map<bitcoin::OutPoint, Txid> m_spent_by;
  uint64_t m_next_sequence = 0;
};

}  // namespace fulgur::l1sim
