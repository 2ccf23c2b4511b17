// L1 over bitcoind's JSON-RPC (a real bitcoind or l1sim): each method is one RPC call whose
// answer is checked field by field; a missing or mistyped field is a BadResponse error.
#pragma once

#include "chain/l1.h"
#include "chain/rpc_client.h"

namespace fulgur::chain {

class BitcoindL1 final : public L1 {
 public:
  explicit BitcoindL1(RpcConfig config) : m_rpc(std::move(config)) {}

  ChainResult<ChainInfo> get_blockchain_info() override;
  ChainResult<uint32_t> get_block_count() override;
  ChainResult<BlockHash> get_best_block_hash() override;
  ChainResult<BlockHash> get_block_hash(uint32_t height) override;
  ChainResult<BlockHeaderInfo> get_block_header(const BlockHash& hash) override;
  ChainResult<Bytes> get_block(const BlockHash& hash) override;
  ChainResult<TxInfo> get_raw_transaction(const Txid& txid) override;
  ChainResult<std::optional<TxOutInfo>> get_tx_out(const Txid& txid, uint32_t vout,
                                                   bool include_mempool) override;
  ChainResult<std::vector<Txid>> get_raw_mempool() override;
  ChainResult<Txid> send_raw_transaction(ByteSpan tx) override;
  ChainResult<MempoolAccept> test_mempool_accept(ByteSpan tx) override;
  ChainResult<std::optional<FeeratePerKw>> estimate_smart_fee(uint32_t conf_target) override;

  ChainResult<std::string> get_new_address() override;
  ChainResult<FundResult> fund_raw_transaction(ByteSpan tx, const FundOptions& options) override;
  ChainResult<SignResult> sign_raw_transaction_with_wallet(ByteSpan tx) override;
  ChainResult<Txid> send_to_address(const std::string& address, Sat amount) override;
  ChainResult<Sat> get_balance() override;
  ChainResult<std::vector<Utxo>> list_unspent(uint32_t min_conf) override;

  // Regtest helpers (bitcoind and l1sim both have them); tests and the demo use them.
  ChainResult<std::vector<BlockHash>> generate_to_address(uint32_t blocks,
                                                          const std::string& address);
  ChainResult<void> invalidate_block(const BlockHash& hash);
  ChainResult<void> reconsider_block(const BlockHash& hash);
  ChainResult<void> stop();

  // Any other method, raw.
  ChainResult<nlohmann::json> call(const std::string& method,
                                   const nlohmann::json& params = nlohmann::json::array()) {
    return m_rpc.call(method, params);
  }

 private:
  JsonRpcClient m_rpc;
};

}  // namespace fulgur::chain
