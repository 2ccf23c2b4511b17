// The L1 interface the daemons use: chain tip and headers, blocks, transaction lookup,
// broadcast, fee estimates, and the L1 node's wallet (Fulgur keeps its on-chain funds in
// the L1 node's wallet, as Eclair does). Calls block; run them off the event loop through
// chain/async_l1.h. BitcoindL1 (chain/bitcoind.h) implements it over JSON-RPC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/errors.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"

namespace fulgur::chain {

template <typename T>
using ChainResult = Result<T, ChainError>;

struct ChainInfo {
  std::string chain;  // "main", "test", "signet", "regtest"
  uint32_t blocks = 0;
  BlockHash best_block_hash;
  int64_t median_time = 0;
  bool initial_block_download = false;
};

struct BlockHeaderInfo {
  BlockHash hash;
  uint32_t height = 0;
  std::optional<BlockHash> previous;  // none for genesis
  int64_t time = 0;
  int64_t median_time = 0;
  int64_t confirmations = 0;  // -1 when the block is not on the active chain
};

struct TxInfo {
  Bytes raw;                           // serialized with witness
  std::optional<BlockHash> block_hash;  // none while in the mempool
  int64_t confirmations = 0;
};

struct TxOutInfo {
  Sat value;
  Bytes script_pubkey;
  int64_t confirmations = 0;  // 0 for a mempool output
  bool coinbase = false;
};

struct MempoolAccept {
  Txid txid;
  bool allowed = false;
  std::string reject_reason;  // bitcoind's reason when not allowed
};

struct Utxo {
  Txid txid;
  uint32_t vout = 0;
  std::string address;
  Bytes script_pubkey;
  Sat amount;
  int64_t confirmations = 0;
  bool spendable = true;
};

// The weight of an input the wallet cannot sign (bitcoind's `input_weights`): outpoint,
// scriptSig and witness included, so that the fee covers it.
struct InputWeight {
  Txid txid;
  uint32_t vout = 0;
  uint64_t weight = 0;
};

struct FundOptions {
  std::optional<uint64_t> fee_rate_sat_per_vb;  // bitcoind's `fee_rate` option
  std::optional<std::string> change_address;
  std::optional<uint32_t> change_position;  // bitcoind's `changePosition`
  std::vector<InputWeight> input_weights;   // for inputs that are not the wallet's
  bool lock_unspents = false;
};

struct FundResult {
  Bytes tx;
  Sat fee;
  int change_position = -1;
};

struct SignResult {
  Bytes tx;
  bool complete = false;
  std::vector<std::string> errors;  // one per input that could not be signed
};

class L1 {
 public:
  virtual ~L1() = default;

  virtual ChainResult<ChainInfo> get_blockchain_info() = 0;
  virtual ChainResult<uint32_t> get_block_count() = 0;
  virtual ChainResult<BlockHash> get_best_block_hash() = 0;
  virtual ChainResult<BlockHash> get_block_hash(uint32_t height) = 0;
  virtual ChainResult<BlockHeaderInfo> get_block_header(const BlockHash& hash) = 0;
  // The serialized block (getblock verbosity 0).
  virtual ChainResult<Bytes> get_block(const BlockHash& hash) = 0;
  virtual ChainResult<TxInfo> get_raw_transaction(const Txid& txid) = 0;
  // Nothing when the output is spent or never existed.
  virtual ChainResult<std::optional<TxOutInfo>> get_tx_out(const Txid& txid, uint32_t vout,
                                                           bool include_mempool) = 0;
  virtual ChainResult<std::vector<Txid>> get_raw_mempool() = 0;
  virtual ChainResult<Txid> send_raw_transaction(ByteSpan tx) = 0;
  virtual ChainResult<MempoolAccept> test_mempool_accept(ByteSpan tx) = 0;
  // Feerate for confirmation within `conf_target` blocks; nothing when the node has no
  // estimate yet (bitcoind answers with "errors" then).
  virtual ChainResult<std::optional<FeeratePerKw>> estimate_smart_fee(uint32_t conf_target) = 0;

  // Wallet.
  virtual ChainResult<std::string> get_new_address() = 0;
  virtual ChainResult<FundResult> fund_raw_transaction(ByteSpan tx, const FundOptions& options) = 0;
  virtual ChainResult<SignResult> sign_raw_transaction_with_wallet(ByteSpan tx) = 0;
  virtual ChainResult<Txid> send_to_address(const std::string& address, Sat amount) = 0;
  virtual ChainResult<Sat> get_balance() = 0;
  virtual ChainResult<std::vector<Utxo>> list_unspent(uint32_t min_conf) = 0;
};

// bitcoind quotes amounts in BTC as JSON numbers; these convert exactly for every amount
// up to 21 million BTC. Negative, fractional-satoshi or out-of-range values are errors.
Result<Sat> sat_from_btc(double btc);
double btc_from_sat(Sat sat);
// estimatesmartfee's BTC/kvB to BOLT's sat per 1000 weight units (rounded down).
FeeratePerKw feerate_from_btc_per_kvb(double btc_per_kvb);

}  // namespace fulgur::chain
