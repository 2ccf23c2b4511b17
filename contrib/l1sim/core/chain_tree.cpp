// ChainState's block tree: adding blocks, connecting and disconnecting them with undo
// data, choosing the best valid chain, invalidate/reconsider, and the mempool's upkeep
// across blocks and reorgs.
#include <fmt/core.h>

#include <algorithm>
#include <deque>

#include "chainstate.h"
#include "common/assert.h"

namespace fulgur::l1sim {

using bitcoin::OutPoint;
using bitcoin::Transaction;

Status ChainState::add_block(const Block& block, bool is_invalid) {
  BlockHash hash = block.header.hash();
  if (m_blocks.count(hash)) return {};  // genesis, or a duplicate
  auto parent = m_blocks.find(block.header.prev_block);
  if (parent == m_blocks.end()) return fail("prev-blk-not-found");
  bool mutated = false;
  if (block.transactions.empty() ||
      bitcoin::block_merkle_root(block, &mutated) != block.header.merkle_root || mutated) {
    return fail("bad-txnmrklroot");
  }
  if (!meets_target(block.header)) return fail("high-hash");
  BlockEntry entry;
  entry.block = block;
  entry.hash = hash;
  entry.height = parent->second.height + 1;
  entry.invalid = is_invalid;
  // Median time past: the median of this block's time and its ten predecessors'.
  std::vector<int64_t> times{block.header.time};
  for (const BlockEntry* e = &parent->second; times.size() < 11;) {
    times.push_back(e->block.header.time);
    if (e->height == 0) break;
    e = &m_blocks.at(e->block.header.prev_block);
  }
  std::sort(times.begin(), times.end());
  entry.median_time_past = times[times.size() / 2];
  m_children.emplace(block.header.prev_block, hash);
  m_blocks.emplace(hash, std::move(entry));
  if (block.header.prev_block == tip() && !is_invalid) {
    // The common case (mining, loading from disk): extend the tip directly.
    if (!connect(hash).ok()) m_blocks.at(hash).invalid = true;
  } else {
    activate_best_chain();
  }
  const BlockEntry& added = m_blocks.at(hash);
  if (added.invalid && !is_invalid) return fail("block failed validation");
  return {};
}

Status ChainState::connect(const BlockHash& hash) {
  BlockEntry& entry = m_blocks.at(hash);
  FULGUR_REQUIRE(entry.block.header.prev_block == tip());
  const Block& block = entry.block;
  uint32_t h = entry.height;
  int64_t parent_mtp = tip_entry().median_time_past;
  std::vector<std::pair<OutPoint, Coin>> undo;
  std::vector<OutPoint> added;
  auto rollback = [&](std::string why) {
    for (const auto& out : added) m_utxo.erase(out);
    for (auto& [out, coin] : undo) m_utxo[out] = coin;
    return fail(std::move(why));
  };
  if (!block.transactions[0].is_coinbase()) return rollback("bad-cb-missing");
  if (block.weight() > MAX_BLOCK_WEIGHT) return rollback("bad-blk-weight");
  Sat fees(0);
  auto mtp_before = [this](uint32_t height) { return mtp_before_height(height); };
  for (size_t t = 0; t < block.transactions.size(); ++t) {
    const Transaction& tx = block.transactions[t];
    if (auto r = check_transaction(tx)) return rollback(r->reason);
    if (t > 0 && tx.is_coinbase()) return rollback("bad-cb-multiple");
    if (!is_final(tx, h, parent_mtp)) return rollback("bad-txns-nonfinal");
    if (t > 0) {
      std::vector<Coin> coins;
      if (auto r = validate_inputs(tx, coins, false)) return rollback(r->reason);
      if (!sequence_locks_ok(tx, coins, h, parent_mtp, mtp_before)) {
        return rollback("bad-txns-nonfinal");
      }
      Sat fee;
      if (auto r = check_tx_inputs(tx, coins, h, fee)) return rollback(r->to_string());
      if (auto r = check_scripts(tx, coins, false)) return rollback(r->reason);
      fees = *fees.checked_add(fee);
      for (const auto& in : tx.inputs) {
        undo.emplace_back(in.prevout, m_utxo.at(in.prevout));
        m_utxo.erase(in.prevout);
      }
    }
    Txid txid = tx.txid();
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      if (tx.outputs[i].script_pubkey.is_op_return()) continue;  // provably unspendable
      OutPoint out{txid, i};
      m_utxo[out] = Coin{tx.outputs[i], h, t == 0};
      added.push_back(out);
    }
  }
  uint64_t paid = 0;
  for (const auto& out : block.transactions[0].outputs) paid += out.amount.value();
  if (paid > subsidy(h).value() + fees.value()) return rollback("bad-cb-amount");
  entry.undo = std::move(undo);
  m_active.push_back(hash);
  for (const auto& tx : block.transactions) m_tx_index[tx.txid()] = TxLocation{hash, h};
  remove_for_block(block);
  return {};
}

void ChainState::disconnect_tip(std::vector<Transaction>& returned) {
  FULGUR_REQUIRE(m_active.size() > 1);
  BlockEntry& entry = m_blocks.at(tip());
  const Block& block = entry.block;
  for (auto it = block.transactions.rbegin(); it != block.transactions.rend(); ++it) {
    Txid txid = it->txid();
    for (uint32_t i = 0; i < it->outputs.size(); ++i) m_utxo.erase(OutPoint{txid, i});
    m_tx_index.erase(txid);
  }
  for (auto& [out, coin] : entry.undo) m_utxo[out] = coin;
  entry.undo.clear();
  std::vector<Transaction> txs(block.transactions.begin() + 1, block.transactions.end());
  returned.insert(returned.begin(), txs.begin(), txs.end());
  m_active.pop_back();
}

void ChainState::activate_best_chain() {
  std::vector<Transaction> returned;
  bool reorged = false;
  for (;;) {
    // Leave any invalid part of the active chain first.
    while (m_active.size() > 1 && !chain_valid_from_root(tip())) {
      disconnect_tip(returned);
      reorged = true;
    }
    // The highest valid block wins; on a tie the active tip stays.
    const BlockEntry* best = &tip_entry();
    for (const auto& [hash, e] : m_blocks) {
      if (e.height > best->height && chain_valid_from_root(hash)) best = &e;
    }
    if (best->hash == tip()) break;
    std::vector<BlockHash> path;
    const BlockEntry* e = best;
    for (; !in_active_chain(*e); e = &m_blocks.at(e->block.header.prev_block)) path.push_back(e->hash);
    while (tip() != e->hash) {
      disconnect_tip(returned);
      reorged = true;
    }
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      if (!connect(*it).ok()) {
        m_blocks.at(*it).invalid = true;
        break;
      }
    }
  }
  if (reorged) readd_to_mempool(std::move(returned));
}

bool ChainState::chain_valid_from_root(const BlockHash& hash) const {
  for (const BlockEntry* e = &m_blocks.at(hash);; e = &m_blocks.at(e->block.header.prev_block)) {
    if (e->invalid) return false;
    if (e->height == 0) return true;
  }
}

void ChainState::remove_with_descendants(const Txid& txid) {
  std::deque<Txid> todo{txid};
  while (!todo.empty()) {
    auto it = m_mempool.find(todo.front());
    todo.pop_front();
    if (it == m_mempool.end()) continue;
    const Transaction& tx = it->second.tx;
    for (const auto& in : tx.inputs) m_spent_by.erase(in.prevout);
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      if (auto child = m_spent_by.find(OutPoint{it->first, i}); child != m_spent_by.end()) {
        todo.push_back(child->second);
      }
    }
    m_mempool.erase(it);
  }
}

void ChainState::remove_for_block(const Block& block) {
  for (const auto& tx : block.transactions) {
    Txid txid = tx.txid();
    if (auto it = m_mempool.find(txid); it != m_mempool.end()) {
      // Confirmed: its children stay (their parent is now on chain).
      for (const auto& in : it->second.tx.inputs) m_spent_by.erase(in.prevout);
      m_mempool.erase(it);
    }
    for (const auto& in : tx.inputs) {
      if (auto c = m_spent_by.find(in.prevout); c != m_spent_by.end()) {
        remove_with_descendants(c->second);  // a conflict: double-spent by the block
      }
    }
  }
}

void ChainState::readd_to_mempool(std::vector<Transaction> txs) {
  std::vector<const MempoolEntry*> old;
  for (const auto& [id, e] : m_mempool) old.push_back(&e);
  std::sort(old.begin(), old.end(),
            [](const MempoolEntry* a, const MempoolEntry* b) { return a->sequence < b->sequence; });
  for (const auto* e : old) txs.push_back(e->tx);
  m_mempool.clear();
  m_spent_by.clear();
  for (const auto& tx : txs) (void)accept(tx, false);  // what no longer fits is dropped
}

Status ChainState::invalidate(const BlockHash& hash) {
  auto it = m_blocks.find(hash);
  if (it == m_blocks.end()) return fail("Block not found");
  if (it->second.height == 0) return fail("Genesis block cannot be invalidated");
  it->second.invalid = true;
  activate_best_chain();
  return {};
}

Status ChainState::reconsider(const BlockHash& hash) {
  auto it = m_blocks.find(hash);
  if (it == m_blocks.end()) return fail("Block not found");
  for (const BlockEntry* e = &it->second; e->height > 0; e = &m_blocks.at(e->block.header.prev_block)) {
    m_blocks.at(e->hash).invalid = false;
  }
  std::deque<BlockHash> todo{hash};
  while (!todo.empty()) {
    auto [first, last] = m_children.equal_range(todo.front());
    todo.pop_front();
    for (auto c = first; c != last; ++c) {
      m_blocks.at(c->second).invalid = false;
      todo.push_back(c->second);
    }
  }
  activate_best_chain();
  return {};
}

std::vector<const BlockEntry*> ChainState::all_blocks() const {
  std::vector<const BlockEntry*> out;
  for (const auto& [hash, e] : m_blocks) out.push_back(&e);
  std::stable_sort(out.begin(), out.end(),
                   [](const BlockEntry* a, const BlockEntry* b) { return a->height < b->height; });
  return out;
}

}  // namespace fulgur::l1sim
