// ChainState: mempool acceptance, block connection with undo data, mining, and reorgs.
#include "chainstate.h"

#include <fmt/core.h>

#include <algorithm>

#include "common/assert.h"

namespace fulgur::l1sim {

using bitcoin::OutPoint;
using bitcoin::Transaction;

ChainState::ChainState(InputVerifier verifier) : m_verifier(std::move(verifier)) {
  Block genesis = regtest_genesis();
  BlockEntry entry;
  entry.hash = genesis.header.hash();
  entry.height = 0;
  entry.median_time_past = genesis.header.time;
  entry.block = std::move(genesis);
  m_active.push_back(entry.hash);
  // As in Bitcoin Core, the genesis coinbase is not spendable: no UTXO, no index entry.
  m_blocks.emplace(entry.hash, std::move(entry));
}

Sat ChainState::subsidy(uint32_t height) {
  uint32_t halvings = height / HALVING_INTERVAL;
  if (halvings >= 64) return Sat(0);
  return Sat(uint64_t{5'000'000'000} >> halvings);
}

const BlockEntry* ChainState::find_block(const BlockHash& hash) const {
  auto it = m_blocks.find(hash);
  return it == m_blocks.end() ? nullptr : &it->second;
}

std::optional<BlockHash> ChainState::hash_at(uint32_t h) const {
  if (h >= m_active.size()) return std::nullopt;
  return m_active[h];
}

bool ChainState::in_active_chain(const BlockEntry& entry) const {
  return entry.height < m_active.size() && m_active[entry.height] == entry.hash;
}

std::optional<Coin> ChainState::utxo(const OutPoint& out) const {
  auto it = m_utxo.find(out);
  if (it == m_utxo.end()) return std::nullopt;
  return it->second;
}

std::optional<TxLocation> ChainState::find_tx(const Txid& txid) const {
  auto it = m_tx_index.find(txid);
  if (it == m_tx_index.end()) return std::nullopt;
  return it->second;
}

int64_t ChainState::mtp_before_height(uint32_t h) const {
  return m_blocks.at(m_active.at(h == 0 ? 0 : h - 1)).median_time_past;
}

Reject ChainState::validate_inputs(const Transaction& tx, std::vector<Coin>& coins,
                                   bool with_mempool) const {
  coins.clear();
  for (const auto& in : tx.inputs) {
    if (auto it = m_utxo.find(in.prevout); it != m_utxo.end()) {
      coins.push_back(it->second);
      continue;
    }
    auto parent = with_mempool ? m_mempool.find(in.prevout.txid) : m_mempool.end();
    if (parent != m_mempool.end() && in.prevout.vout < parent->second.tx.outputs.size()) {
      coins.push_back({parent->second.tx.outputs[in.prevout.vout], MEMPOOL_HEIGHT, false});
      continue;
    }
    // bitcoind: if any of our outputs is unspent on chain, we are already confirmed.
    Txid txid = tx.txid();
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      if (m_utxo.count(OutPoint{txid, i})) {
        return TxReject{RejectKind::AlreadyInChain, "txn-already-known", ""};
      }
    }
    return TxReject{RejectKind::MissingInputs, "bad-txns-inputs-missingorspent", ""};
  }
  return std::nullopt;
}

Reject ChainState::check_scripts(const Transaction& tx, const std::vector<Coin>& coins,
                                 bool standard) const {
  std::vector<bitcoin::TxOut> spent;
  for (const auto& c : coins) spent.push_back(c.out);
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    auto err = m_verifier(tx, i, spent, standard);
    if (!err) continue;
    if (!standard) return invalid(fmt::format("mandatory-script-verify-flag-failed ({})", *err));
    // Bitcoin Core re-runs a failed check with the mandatory flags only, to tell a
    // policy failure from an invalid transaction; both report the first run's error.
    if (m_verifier(tx, i, spent, false)) {
      return invalid(fmt::format("mandatory-script-verify-flag-failed ({})", *err));
    }
    return invalid(fmt::format("non-mandatory-script-verify-flag ({})", *err));
  }
  return std::nullopt;
}

Result<AcceptResult, TxReject> ChainState::accept(const Transaction& tx, bool test_only,
                                                  std::optional<uint64_t> max_fee_per_kvb) {
  auto reject = [](TxReject r) { return Unexpected<TxReject>{std::move(r)}; };
  if (auto r = check_transaction(tx)) return reject(*r);
  if (tx.is_coinbase()) return reject(invalid("coinbase"));
  if (auto r = check_standard(tx)) return reject(*r);
  uint32_t next = height() + 1;
  int64_t tip_mtp = tip_entry().median_time_past;
  if (!is_final(tx, next, tip_mtp)) return reject(invalid("non-final"));
  Txid txid = tx.txid();
  if (m_mempool.count(txid)) {
    return reject({RejectKind::AlreadyInMempool, "txn-already-in-mempool", ""});
  }
  for (const auto& in : tx.inputs) {
    if (m_spent_by.count(in.prevout)) return reject(invalid("txn-mempool-conflict"));
  }
  std::vector<Coin> coins;
  if (auto r = validate_inputs(tx, coins, true)) return reject(*r);
  auto mtp_before = [this](uint32_t h) { return mtp_before_height(h); };
  if (!sequence_locks_ok(tx, coins, next, tip_mtp, mtp_before)) {
    return reject(invalid("non-BIP68-final"));
  }
  Sat fee;
  if (auto r = check_tx_inputs(tx, coins, next, fee)) return reject(*r);
  if (auto r = check_inputs_standard(tx, coins)) return reject(*r);
  uint64_t vsize = tx.vsize();
  uint64_t min_fee = (vsize * MIN_RELAY_FEE_SAT_PER_KVB + 999) / 1000;
  if (fee.value() < min_fee) {
    return reject(invalid("min relay fee not met", fmt::format("{} < {}", fee.value(), min_fee)));
  }
  if (auto r = check_scripts(tx, coins, true)) return reject(*r);
  if (max_fee_per_kvb && *max_fee_per_kvb > 0 && fee.value() > *max_fee_per_kvb * vsize / 1000) {
    return reject({RejectKind::MaxFeeExceeded, "max-fee-exceeded", ""});
  }
  AcceptResult result{txid, tx.wtxid(), fee, vsize};
  if (test_only) return result;
  for (const auto& in : tx.inputs) m_spent_by[in.prevout] = txid;
  m_mempool.emplace(txid, MempoolEntry{tx, fee, vsize, m_next_sequence++});
  return result;
}

std::vector<const MempoolEntry*> ChainState::select_for_block() const {
  std::vector<const MempoolEntry*> order;
  for (const auto& [id, e] : m_mempool) order.push_back(&e);
  // Highest feerate first, then arrival.
  auto rate = [](const MempoolEntry* e) {
    return static_cast<double>(e->fee.value()) / static_cast<double>(e->vsize);
  };
  std::sort(order.begin(), order.end(), [&](const MempoolEntry* a, const MempoolEntry* b) {
    if (rate(a) != rate(b)) return rate(a) > rate(b);
    return a->sequence < b->sequence;
  });
  std::set<Txid> included;
  std::vector<const MempoolEntry*> selected;
  uint64_t weight = 4000;  // room for the header and the coinbase
  for (bool progress = true; progress;) {
    progress = false;
    for (const auto* e : order) {
      Txid id = e->tx.txid();
      if (included.count(id)) continue;
      bool parents_in = std::all_of(e->tx.inputs.begin(), e->tx.inputs.end(), [&](const auto& in) {
        return !m_mempool.count(in.prevout.txid) || included.count(in.prevout.txid);
      });
      uint64_t w = e->tx.weight();
      if (!parents_in || weight + w > MAX_BLOCK_WEIGHT) continue;
      weight += w;
      included.insert(id);
      selected.push_back(e);
      progress = true;
    }
  }
  return selected;
}

BlockHash ChainState::mine(const bitcoin::Script& coinbase_script) {
  const BlockEntry& parent = tip_entry();
  uint32_t h = parent.height + 1;
  Block block;
  Transaction coinbase;
  coinbase.inputs.resize(1);
  coinbase.inputs[0].prevout.vout = 0xffffffff;
  // BIP 34: the coinbase starts with the height.
  coinbase.inputs[0].script_sig.push_int(h).push_opcode(bitcoin::OP_0);
  coinbase.inputs[0].witness = {Bytes(32, 0)};  // BIP 141 witness reserved value
  Sat fees(0);
  std::vector<Transaction> txs;
  for (const auto* e : select_for_block()) {
    fees = *fees.checked_add(e->fee);
    txs.push_back(e->tx);
  }
  coinbase.outputs.push_back({*subsidy(h).checked_add(fees), coinbase_script});
  coinbase.outputs.push_back({Sat(0), bitcoin::Script()});
  block.transactions.push_back(std::move(coinbase));
  for (auto& tx : txs) block.transactions.push_back(std::move(tx));
  block.transactions[0].outputs[1].script_pubkey = witness_commitment_output(block);
  block.header.prev_block = parent.hash;
  block.header.time = parent.block.header.time + BLOCK_INTERVAL;
  block.header.version = 0x20000000;
  block.header.bits = REGTEST_BITS;
  block.header.merkle_root = bitcoin::block_merkle_root(block);
  // Mining again on a parent after invalidateblock would rebuild the same block: move
  // the time on by a second until the block is new (bitcoind's clock does that for it).
  for (;;) {
    while (!meets_target(block.header)) ++block.header.nonce;
    if (!m_blocks.count(block.header.hash())) break;
    ++block.header.time;
    block.header.nonce = 0;
  }
  BlockHash hash = block.header.hash();
  Status added = add_block(block, false);
  FULGUR_ASSERT(added.ok() && tip() == hash);  // our own template must connect
  return hash;
}

}  // namespace fulgur::l1sim
