// l1sim's transaction rules, pure: Bitcoin Core's context-free checks (CheckTransaction),
// standardness (IsStandardTx, dust, witness limits), finality (BIP 113) and sequence locks
// (BIP 68), input amounts and coinbase maturity (CheckTxInputs), each failing with Core's
// reject reason and debug text. Scripts are checked by script_check.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bitcoin/tx.h"
#include "common/units.h"

namespace fulgur::l1sim {

// An unspent output and where it was created.
struct Coin {
  bitcoin::TxOut out;
  uint32_t height = 0;  // MEMPOOL_HEIGHT for an output of a mempool transaction
  bool coinbase = false;
};
inline constexpr uint32_t MEMPOOL_HEIGHT = 0x7fffffff;
inline constexpr uint32_t COINBASE_MATURITY = 100;
inline constexpr uint64_t MAX_BLOCK_WEIGHT = 4'000'000;
inline constexpr uint64_t MAX_STANDARD_TX_WEIGHT = 400'000;
inline constexpr uint64_t MIN_RELAY_FEE_SAT_PER_KVB = 1000;
inline constexpr uint64_t DUST_RELAY_FEE_SAT_PER_KVB = 3000;
inline constexpr uint32_t LOCKTIME_THRESHOLD = 500'000'000;

// How bitcoind reports a rejection: sendrawtransaction's error code follows the kind.
enum class RejectKind {
  Invalid,         // consensus or policy: RPC_VERIFY_REJECTED (-26)
  MissingInputs,   // RPC_VERIFY_ERROR (-25); testmempoolaccept says "missing-inputs"
  AlreadyInChain,  // RPC_VERIFY_ALREADY_IN_CHAIN (-27)
  AlreadyInMempool,  // sendrawtransaction answers with the txid; testmempoolaccept rejects
  MaxFeeExceeded,    // sendrawtransaction's maxfeerate: RPC_VERIFY_ERROR (-25)
};

struct TxReject {
  RejectKind kind = RejectKind::Invalid;
  std::string reason;  // "min relay fee not met"
  std::string debug;   // "100 < 141"
  // Core's TxValidationState::ToString(): "reason, debug" or "reason".
  std::string to_string() const { return debug.empty() ? reason : reason + ", " + debug; }
};

using Reject = std::optional<TxReject>;

inline TxReject invalid(std::string reason, std::string debug = {}) {
  return {RejectKind::Invalid, std::move(reason), std::move(debug)};
}

// CheckTransaction: non-empty, size, output ranges, duplicate inputs, coinbase shape.
Reject check_transaction(const bitcoin::Transaction& tx);
// IsStandardTx: version, weight, scriptSig size and push-only, standard outputs, dust,
// at most one OP_RETURN.
Reject check_standard(const bitcoin::Transaction& tx);
// IsFinalTx for a block at `height` whose locktime cutoff is `mtp` (BIP 113).
bool is_final(const bitcoin::Transaction& tx, uint32_t height, int64_t mtp);
// BIP 68 sequence locks for inclusion in a block at `height` on a chain whose MTP is
// `tip_mtp`; `mtp_before(h)` is the median time past of the block before height h.
bool sequence_locks_ok(const bitcoin::Transaction& tx, const std::vector<Coin>& coins,
                       uint32_t height, int64_t tip_mtp,
                       const std::function<int64_t(uint32_t)>& mtp_before);
// CheckTxInputs: coinbase maturity, value ranges, inputs cover outputs. Sets `fee`.
Reject check_tx_inputs(const bitcoin::Transaction& tx, const std::vector<Coin>& coins,
                       uint32_t spend_height, Sat& fee);
// AreInputsStandard and IsWitnessStandard for segwit v0 spends.
Reject check_inputs_standard(const bitcoin::Transaction& tx, const std::vector<Coin>& coins);
// Bitcoin Core's dust threshold for an output at the 3 sat/vB dust relay fee.
Sat dust_threshold(const bitcoin::TxOut& out);
// "0.01" style amount text in Core's FormatMoney form ("0.01", "50.00").
std::string format_money(int64_t sat);

}  // namespace fulgur::l1sim
