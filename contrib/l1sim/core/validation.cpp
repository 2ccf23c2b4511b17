// Bitcoin Core's transaction checks and reject reasons, on l1sim's coin view.
#include "validation.h"

#include <fmt/core.h>

#include <set>

#include "bitcoin/serialize.h"

namespace fulgur::l1sim {

using bitcoin::Script;
using bitcoin::Transaction;

namespace {
constexpr uint32_t SEQUENCE_LOCKTIME_DISABLE_FLAG = 1u << 31;
constexpr uint32_t SEQUENCE_LOCKTIME_TYPE_FLAG = 1u << 22;
constexpr uint32_t SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
constexpr int SEQUENCE_LOCKTIME_GRANULARITY = 9;

bool money_range(uint64_t v) { return v <= bitcoin::MAX_MONEY.value(); }

bool is_standard_output(const Script& spk) {
  if (spk.is_p2wpkh() || spk.is_p2wsh() || spk.is_p2tr() || spk.is_p2pkh() || spk.is_p2sh()) {
    return true;
  }
  if (spk.is_op_return()) {
    return spk.size() <= 83 &&
           Script(Bytes(spk.bytes().begin() + 1, spk.bytes().end())).is_push_only();
  }
  return false;
}
}  // namespace

std::string format_money(int64_t sat) {
  // Core's FormatMoney: at least two decimals, trailing zeros beyond that trimmed.
  std::string s = fmt::format("{}{}.{:08d}", sat < 0 ? "-" : "", std::abs(sat) / 100'000'000,
                              std::abs(sat) % 100'000'000);
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 3] != '.') s.pop_back();
  return s;
}

Reject check_transaction(const Transaction& tx) {
  if (tx.inputs.empty()) return invalid("bad-txns-vin-empty");
  if (tx.outputs.empty()) return invalid("bad-txns-vout-empty");
  if (tx.serialize_without_witness().size() * 4 > MAX_BLOCK_WEIGHT) {
    return invalid("bad-txns-oversize");
  }
  uint64_t total = 0;
  for (const auto& out : tx.outputs) {
    if (!money_range(out.amount.value())) return invalid("bad-txns-vout-toolarge");
    total += out.amount.value();
    if (!money_range(total)) return invalid("bad-txns-txouttotal-toolarge");
  }
  std::set<bitcoin::OutPoint> seen;
  for (const auto& in : tx.inputs) {
    if (!seen.insert(in.prevout).second) return invalid("bad-txns-inputs-duplicate");
  }
  if (tx.is_coinbase()) {
    size_t n = tx.inputs[0].script_sig.size();
    if (n < 2 || n > 100) return invalid("bad-cb-length");
  } else {
    for (const auto& in : tx.inputs) {
      if (in.prevout.is_null()) return invalid("bad-txns-prevout-null");
    }
  }
  return std::nullopt;
}

Sat dust_threshold(const bitcoin::TxOut& out) {
  if (out.script_pubkey.is_op_return()) return Sat(0);
  bitcoin::Writer w;
  w.u64(0);
  w.var_bytes(out.script_pubkey.span());
  uint64_t size = w.out().size();
  // The cost of spending it: an input (32 + 4 + 1 + 4) plus its script or witness.
  size += out.script_pubkey.witness_program() ? 32 + 4 + 1 + (107 / 4) + 4 : 32 + 4 + 1 + 107 + 4;
  return Sat(size * DUST_RELAY_FEE_SAT_PER_KVB / 1000);
}

Reject check_standard(const Transaction& tx) {
  if (tx.version < 1 || tx.version > 3) return invalid("version");
  if (tx.weight() > MAX_STANDARD_TX_WEIGHT) return invalid("tx-size");
  if (tx.serialize_without_witness().size() < 65) return invalid("tx-size-small");
  for (const auto& in : tx.inputs) {
    if (in.script_sig.size() > 1650) return invalid("scriptsig-size");
    if (!in.script_sig.is_push_only()) return invalid("scriptsig-not-pushonly");
  }
  int op_returns = 0;
  for (const auto& out : tx.outputs) {
    if (!is_standard_output(out.script_pubkey)) return invalid("scriptpubkey");
    if (out.script_pubkey.is_op_return()) {
      ++op_returns;
    } else if (out.amount < dust_threshold(out)) {
      return invalid("dust");
    }
  }
  if (op_returns > 1) return invalid("multi-op-return");
  return std::nullopt;
}

bool is_final(const Transaction& tx, uint32_t height, int64_t mtp) {
  if (tx.locktime == 0) return true;
  int64_t cutoff = tx.locktime < LOCKTIME_THRESHOLD ? static_cast<int64_t>(height) : mtp;
  if (static_cast<int64_t>(tx.locktime) < cutoff) return true;
  for (const auto& in : tx.inputs) {
    if (in.sequence != bitcoin::SEQUENCE_FINAL) return false;
  }
  return true;
}

bool sequence_locks_ok(const Transaction& tx, const std::vector<Coin>& coins, uint32_t height,
                       int64_t tip_mtp, const std::function<int64_t(uint32_t)>& mtp_before) {
  if (tx.version < 2) return true;
  // The last height and time at which the tx is still NOT valid (-1: no constraint).
  int64_t min_height = -1;
  int64_t min_time = -1;
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    uint32_t seq = tx.inputs[i].sequence;
    if (seq & SEQUENCE_LOCKTIME_DISABLE_FLAG) continue;
    // Unconfirmed parents count as mined in the next block.
    int64_t coin_height = coins[i].height == MEMPOOL_HEIGHT ? height : coins[i].height;
    if (seq & SEQUENCE_LOCKTIME_TYPE_FLAG) {
      int64_t base = mtp_before(static_cast<uint32_t>(std::max<int64_t>(coin_height, 1)));
      int64_t t = base + (static_cast<int64_t>(seq & SEQUENCE_LOCKTIME_MASK)
                          << SEQUENCE_LOCKTIME_GRANULARITY) - 1;
      min_time = std::max(min_time, t);
    } else {
      min_height = std::max(min_height, coin_height + (seq & SEQUENCE_LOCKTIME_MASK) - 1);
    }
  }
  return min_height < static_cast<int64_t>(height) && min_time < tip_mtp;
}

Reject check_tx_inputs(const Transaction& tx, const std::vector<Coin>& coins,
                       uint32_t spend_height, Sat& fee) {
  uint64_t value_in = 0;
  for (const auto& coin : coins) {
    if (coin.coinbase && spend_height - coin.height < COINBASE_MATURITY) {
      return invalid("bad-txns-premature-spend-of-coinbase",
                     fmt::format("tried to spend coinbase at depth {}", spend_height - coin.height));
    }
    value_in += coin.out.amount.value();
    if (!money_range(coin.out.amount.value()) || !money_range(value_in)) {
      return invalid("bad-txns-inputvalues-outofrange");
    }
  }
  uint64_t value_out = 0;
  for (const auto& out : tx.outputs) value_out += out.amount.value();
  if (value_in < value_out) {
    return invalid("bad-txns-in-belowout",
                   fmt::format("value in ({}) < value out ({})", format_money(value_in),
                               format_money(value_out)));
  }
  fee = Sat(value_in - value_out);
  return std::nullopt;
}

Reject check_inputs_standard(const Transaction& tx, const std::vector<Coin>& coins) {
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    const Script& spk = coins[i].out.script_pubkey;
    if (!is_standard_output(spk) || spk.is_op_return()) {
      return invalid("bad-txns-nonstandard-inputs");
    }
    const auto& witness = tx.inputs[i].witness;
    if (spk.is_p2wsh()) {
      // Policy: witnessScript at most 3600 bytes, at most 100 other items of 80 bytes.
      if (witness.empty() || witness.back().size() > 3600 || witness.size() - 1 > 100) {
        return invalid("bad-witness-nonstandard");
      }
      for (size_t k = 0; k + 1 < witness.size(); ++k) {
        if (witness[k].size() > 80) return invalid("bad-witness-nonstandard");
      }
    }
  }
  return std::nullopt;
}

}  // namespace fulgur::l1sim
