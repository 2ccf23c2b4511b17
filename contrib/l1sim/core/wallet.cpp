// Wallet keys, coins, coin selection and signing.
#include "wallet.h"

#include <algorithm>

#include "crypto/hash.h"
#include "bitcoin/sighash.h"

namespace fulgur::l1sim {

using bitcoin::OutPoint;
using bitcoin::Script;
using bitcoin::Transaction;

void Wallet::add_key(crypto::SecretKey key) {
  auto pub = key.public_key().serialize();
  m_by_script[bitcoin::p2wpkh_for_key(pub)] = m_keys.size();
  m_keys.push_back(std::move(key));
}

std::string Wallet::new_address() {
  add_key(m_fresh_key());
  auto pub = m_keys.back().public_key().serialize();
  return address_of(bitcoin::p2wpkh_for_key(pub));
}

bool Wallet::is_mine(const Script& spk) const { return m_by_script.count(spk) != 0; }

std::string Wallet::address_of(const Script& spk) const {
  auto addr = bitcoin::encode_segwit_address(bitcoin::Network::Regtest, spk);
  return addr ? *addr : std::string();
}

std::vector<WalletCoin> Wallet::coins(const ChainState& chain, uint32_t min_conf) const {
  std::vector<WalletCoin> out;
  uint32_t tip = chain.height();
  for (const auto& [outpoint, coin] : chain.utxos()) {
    if (!is_mine(coin.out.script_pubkey) || chain.mempool_spends(outpoint)) continue;
    uint32_t confs = tip - coin.height + 1;
    // bitcoind's wallet counts a coinbase as mature after 101 confirmations.
    if (coin.coinbase && confs <= COINBASE_MATURITY) continue;
    if (confs < min_conf) continue;
    out.push_back({outpoint, coin, confs});
  }
  if (min_conf == 0) {
    for (const auto& [txid, entry] : chain.mempool()) {
      for (uint32_t i = 0; i < entry.tx.outputs.size(); ++i) {
        OutPoint op{txid, i};
        if (!is_mine(entry.tx.outputs[i].script_pubkey) || chain.mempool_spends(op)) continue;
        out.push_back({op, Coin{entry.tx.outputs[i], MEMPOOL_HEIGHT, false}, 0});
      }
    }
  }
  return out;
}

Sat Wallet::balance(const ChainState& chain) const {
  Sat total(0);
  for (const auto& c : coins(chain, 0)) total = *total.checked_add(c.coin.out.amount);
  return total;
}

namespace {
// The fee for `tx` once every wallet input carries a 72-byte signature and a key, and every
// foreign input with a declared weight weighs that much.
uint64_t fee_with_dummy_witnesses(Transaction tx, const std::vector<bool>& ours,
                                  uint64_t feerate_sat_per_kvb,
                                  const std::map<OutPoint, uint64_t>& input_weights) {
  uint64_t extra = 0;
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    if (ours[i]) {
      tx.inputs[i].witness = {Bytes(72, 0), Bytes(33, 0)};
      continue;
    }
    auto w = input_weights.find(tx.inputs[i].prevout);
    uint64_t base = (32 + 4 + 1 + 4 + tx.inputs[i].script_sig.size()) * 4;
    if (w != input_weights.end() && w->second > base) extra += w->second - base;
  }
  bool segwit = std::any_of(tx.inputs.begin(), tx.inputs.end(),
                            [](const auto& in) { return !in.witness.empty(); });
  if (extra > 0 && !segwit) extra += 2;  // the segwit marker and flag
  uint64_t vsize = (tx.weight() + extra + 3) / 4;
  return (vsize * feerate_sat_per_kvb + 999) / 1000;
}
}  // namespace

Result<FundOutcome> Wallet::fund(const ChainState& chain, Transaction tx, uint64_t feerate,
                                 std::optional<Script> change_script, const FundExtras& extras) {
  size_t change_at = extras.change_position.value_or(tx.outputs.size());
  if (change_at > tx.outputs.size()) return fail("changePosition out of bounds");
  uint64_t target = 0;
  for (const auto& out : tx.outputs) target += out.amount.value();
  auto candidates = coins(chain, 0);
  std::sort(candidates.begin(), candidates.end(), [](const WalletCoin& a, const WalletCoin& b) {
    if (a.confirmations != b.confirmations && (a.confirmations == 0 || b.confirmations == 0)) {
      return a.confirmations > b.confirmations;  // confirmed coins first
    }
    return a.coin.out.amount > b.coin.out.amount;
  });
  std::vector<bool> ours(tx.inputs.size(), false);
  uint64_t in_value = 0;
  for (const auto& in : tx.inputs) {
    auto coin = chain.utxo(in.prevout);
    if (coin) {
      in_value += coin->out.amount.value();
      continue;
    }
    auto parent = chain.mempool().find(in.prevout.txid);
    if (parent == chain.mempool().end() || in.prevout.vout >= parent->second.tx.outputs.size()) {
      return fail("Insufficient funds");  // we cannot value an unknown input
    }
    in_value += parent->second.tx.outputs[in.prevout.vout].amount.value();
  }
  Script change = change_script ? *change_script : Script();
  if (!change_script) {
    auto fresh = m_fresh_key();
    change = bitcoin::p2wpkh_for_key(fresh.public_key().serialize());
    add_key(std::move(fresh));
  }
  size_t next = 0;
  for (;;) {
    Transaction with_change = tx;
    auto at = with_change.outputs.begin() + static_cast<std::ptrdiff_t>(change_at);
    with_change.outputs.insert(at, {Sat(0), change});
    std::vector<bool> ours_c = ours;
    uint64_t fee_c = fee_with_dummy_witnesses(with_change, ours_c, feerate, extras.input_weights);
    uint64_t fee_n = fee_with_dummy_witnesses(tx, ours, feerate, extras.input_weights);
    if (in_value >= target + fee_c) {
      uint64_t left = in_value - target - fee_c;
      bitcoin::TxOut change_out{Sat(left), change};
      if (left >= dust_threshold(change_out).value()) {
        with_change.outputs[change_at].amount = Sat(left);
        return FundOutcome{with_change, Sat(fee_c), static_cast<int>(change_at)};
      }
    }
    if (in_value >= target + fee_n && (!tx.inputs.empty() || in_value > 0)) {
      return FundOutcome{tx, Sat(in_value - target), -1};
    }
    // Skip coins the transaction already spends.
    while (next < candidates.size() &&
           std::any_of(tx.inputs.begin(), tx.inputs.end(),
                       [&](const auto& in) { return in.prevout == candidates[next].outpoint; })) {
      ++next;
    }
    if (next == candidates.size()) return fail("Insufficient funds");
    bitcoin::TxIn in;
    in.prevout = candidates[next].outpoint;
    in.sequence = 0xfffffffd;  // bitcoind's wallet default: RBF signalling, locktime enabled
    tx.inputs.push_back(in);
    ours.push_back(true);
    in_value += candidates[next].coin.out.amount.value();
    ++next;
  }
}

std::vector<InputSignError> Wallet::sign(const ChainState& chain, Transaction& tx) const {
  std::vector<InputSignError> errors;
  std::vector<bitcoin::TxOut> spent;
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    std::optional<Coin> coin = chain.utxo(tx.inputs[i].prevout);
    if (!coin) {
      auto parent = chain.mempool().find(tx.inputs[i].prevout.txid);
      if (parent != chain.mempool().end() &&
          tx.inputs[i].prevout.vout < parent->second.tx.outputs.size()) {
        coin = Coin{parent->second.tx.outputs[tx.inputs[i].prevout.vout], MEMPOOL_HEIGHT, false};
      }
    }
    spent.push_back(coin ? coin->out : bitcoin::TxOut{});
    if (!coin) errors.push_back({i, "Input not found or already spent"});
  }
  bitcoin::PrecomputedTxData cache(tx);
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    if (std::any_of(errors.begin(), errors.end(), [&](const auto& e) { return e.input == i; })) {
      continue;
    }
    auto key = m_by_script.find(spent[i].script_pubkey);
    if (key == m_by_script.end()) {
      if (tx.inputs[i].witness.empty()) {
        errors.push_back({i, "Unable to sign input, invalid stack size (possibly missing key)"});
      }
      continue;
    }
    const crypto::SecretKey& secret = m_keys[key->second];
    auto pub = secret.public_key().serialize();
    Hash256 digest = bitcoin::segwit_v0_sighash(
        tx, i, bitcoin::p2wpkh_script_code(crypto::hash160(pub)).span(), spent[i].amount,
        bitcoin::SIGHASH_ALL, cache);
    Bytes sig = crypto::sign(secret, digest).to_der();
    sig.push_back(0x01);  // SIGHASH_ALL
    tx.inputs[i].witness = {sig, Bytes(pub.begin(), pub.end())};
  }
  return errors;
}

}  // namespace fulgur::l1sim
