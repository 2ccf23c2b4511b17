// BitcoindL1: bitcoind's RPC answers turned into the L1 interface's types.
#include "chain/bitcoind.h"

#include <cmath>

#include "common/hex.h"

namespace fulgur::chain {

using nlohmann::json;

namespace {

Unexpected<ChainError> bad_response(std::string why) {
  return Unexpected<ChainError>{{ChainErrorKind::BadResponse, 0, std::move(why)}};
}

// Field accessors: a missing or mistyped field is the node's bug, reported as BadResponse.
ChainResult<const json*> field(const json& obj, const char* name) {
  if (!obj.is_object()) return bad_response(std::string("expected an object around ") + name);
  auto it = obj.find(name);
  if (it == obj.end()) return bad_response(std::string("missing field ") + name);
  return &*it;
}

ChainResult<std::string> string_field(const json& obj, const char* name) {
  FULGUR_TRY(const json* v, field(obj, name));
  if (!v->is_string()) return bad_response(std::string(name) + " is not a string");
  return v->get<std::string>();
}

ChainResult<int64_t> int_field(const json& obj, const char* name) {
  FULGUR_TRY(const json* v, field(obj, name));
  if (!v->is_number_integer()) return bad_response(std::string(name) + " is not an integer");
  return v->get<int64_t>();
}

ChainResult<Sat> amount_of(const json& v, const char* what) {
  if (!v.is_number()) return bad_response(std::string(what) + " is not a number");
  auto sat = sat_from_btc(v.get<double>());
  if (!sat) return bad_response(std::string(what) + ": " + sat.error().message);
  return *sat;
}

ChainResult<Sat> amount_field(const json& obj, const char* name) {
  FULGUR_TRY(const json* v, field(obj, name));
  return amount_of(*v, name);
}

template <typename H>
ChainResult<H> hash_of(const json& v) {
  if (!v.is_string()) return bad_response("hash is not a string");
  auto h = H::from_hex(v.get<std::string>());
  if (!h) return bad_response("bad hash: " + h.error().message);
  return *h;
}

template <typename H>
ChainResult<H> hash_field(const json& obj, const char* name) {
  FULGUR_TRY(const json* v, field(obj, name));
  return hash_of<H>(*v);
}

ChainResult<Bytes> hex_of(const json& v) {
  if (!v.is_string()) return bad_response("hex is not a string");
  auto b = from_hex(v.get<std::string>());
  if (!b) return bad_response("bad hex: " + b.error().message);
  return *b;
}

ChainResult<Bytes> hex_field(const json& obj, const char* name) {
  FULGUR_TRY(const json* v, field(obj, name));
  return hex_of(*v);
}

ChainResult<Utxo> utxo_of(const json& u) {
  Utxo out;
  FULGUR_TRY(out.txid, hash_field<Txid>(u, "txid"));
  FULGUR_TRY(int64_t vout, int_field(u, "vout"));
  if (vout < 0 || vout > UINT32_MAX) return bad_response("vout out of range");
  out.vout = static_cast<uint32_t>(vout);
  if (u.contains("address") && u["address"].is_string()) out.address = u["address"];
  FULGUR_TRY(out.script_pubkey, hex_field(u, "scriptPubKey"));
  FULGUR_TRY(out.amount, amount_field(u, "amount"));
  FULGUR_TRY(out.confirmations, int_field(u, "confirmations"));
  if (u.contains("spendable") && u["spendable"].is_boolean()) out.spendable = u["spendable"];
  return out;
}

}  // namespace

Result<Sat> sat_from_btc(double btc) {
  if (!std::isfinite(btc) || btc < 0) return fail("amount is negative or not finite");
  if (btc > 21e6) return fail("amount is above 21 million BTC");
  double sats = btc * 1e8;
  double rounded = std::round(sats);
  if (std::fabs(sats - rounded) > 1e-3) return fail("amount has a fraction of a satoshi");
  return Sat(static_cast<uint64_t>(rounded));
}

double btc_from_sat(Sat sat) { return static_cast<double>(sat.value()) / 1e8; }

FeeratePerKw feerate_from_btc_per_kvb(double btc_per_kvb) {
  if (!std::isfinite(btc_per_kvb) || btc_per_kvb <= 0) return FeeratePerKw(0);
  // BTC/kvB * 1e8 = sat/kvB; one vbyte is four weight units, so sat/kvB / 4 = sat/kw.
  double per_kw = std::floor(btc_per_kvb * 1e8 / 4.0);
  if (per_kw > static_cast<double>(UINT32_MAX)) return FeeratePerKw::max();
  return FeeratePerKw(static_cast<uint32_t>(per_kw));
}

ChainResult<ChainInfo> BitcoindL1::get_blockchain_info() {
  FULGUR_TRY(json r, m_rpc.call("getblockchaininfo"));
  ChainInfo info;
  FULGUR_TRY(info.chain, string_field(r, "chain"));
  FULGUR_TRY(int64_t blocks, int_field(r, "blocks"));
  if (blocks < 0 || blocks > UINT32_MAX) return bad_response("blocks out of range");
  info.blocks = static_cast<uint32_t>(blocks);
  FULGUR_TRY(info.best_block_hash, hash_field<BlockHash>(r, "bestblockhash"));
  FULGUR_TRY(info.median_time, int_field(r, "mediantime"));
  FULGUR_TRY(const json* ibd, field(r, "initialblockdownload"));
  if (!ibd->is_boolean()) return bad_response("initialblockdownload is not a boolean");
  info.initial_block_download = ibd->get<bool>();
  return info;
}

ChainResult<uint32_t> BitcoindL1::get_block_count() {
  FULGUR_TRY(json r, m_rpc.call("getblockcount"));
  if (!r.is_number_unsigned() || r.get<uint64_t>() > UINT32_MAX) {
    return bad_response("block count is not a height");
  }
  return r.get<uint32_t>();
}

ChainResult<BlockHash> BitcoindL1::get_best_block_hash() {
  FULGUR_TRY(json r, m_rpc.call("getbestblockhash"));
  return hash_of<BlockHash>(r);
}

ChainResult<BlockHash> BitcoindL1::get_block_hash(uint32_t height) {
  FULGUR_TRY(json r, m_rpc.call("getblockhash", json::array({height})));
  return hash_of<BlockHash>(r);
}

ChainResult<BlockHeaderInfo> BitcoindL1::get_block_header(const BlockHash& hash) {
  FULGUR_TRY(json r, m_rpc.call("getblockheader", json::array({hash.to_hex(), true})));
  BlockHeaderInfo h;
  FULGUR_TRY(h.hash, hash_field<BlockHash>(r, "hash"));
  FULGUR_TRY(int64_t height, int_field(r, "height"));
  if (height < 0 || height > UINT32_MAX) return bad_response("height out of range");
  h.height = static_cast<uint32_t>(height);
  if (r.contains("previousblockhash")) {
    FULGUR_TRY(h.previous, hash_field<BlockHash>(r, "previousblockhash"));
  }
  FULGUR_TRY(h.time, int_field(r, "time"));
  FULGUR_TRY(h.median_time, int_field(r, "mediantime"));
  FULGUR_TRY(h.confirmations, int_field(r, "confirmations"));
  return h;
}

ChainResult<Bytes> BitcoindL1::get_block(const BlockHash& hash) {
  FULGUR_TRY(json r, m_rpc.call("getblock", json::array({hash.to_hex(), 0})));
  return hex_of(r);
}

ChainResult<TxInfo> BitcoindL1::get_raw_transaction(const Txid& txid) {
  FULGUR_TRY(json r, m_rpc.call("getrawtransaction", json::array({txid.to_hex(), true})));
  TxInfo info;
  FULGUR_TRY(info.raw, hex_field(r, "hex"));
  if (r.contains("blockhash")) {
    FULGUR_TRY(info.block_hash, hash_field<BlockHash>(r, "blockhash"));
    FULGUR_TRY(info.confirmations, int_field(r, "confirmations"));
  }
  return info;
}

ChainResult<std::optional<TxOutInfo>> BitcoindL1::get_tx_out(const Txid& txid, uint32_t vout,
                                                             bool include_mempool) {
  FULGUR_TRY(json r, m_rpc.call("gettxout", json::array({txid.to_hex(), vout, include_mempool})));
  if (r.is_null()) return std::optional<TxOutInfo>{};
  TxOutInfo out;
  FULGUR_TRY(out.value, amount_field(r, "value"));
  FULGUR_TRY(out.confirmations, int_field(r, "confirmations"));
  FULGUR_TRY(const json* spk, field(r, "scriptPubKey"));
  FULGUR_TRY(out.script_pubkey, hex_field(*spk, "hex"));
  FULGUR_TRY(const json* cb, field(r, "coinbase"));
  if (!cb->is_boolean()) return bad_response("coinbase is not a boolean");
  out.coinbase = cb->get<bool>();
  return std::optional<TxOutInfo>{std::move(out)};
}

ChainResult<std::vector<Txid>> BitcoindL1::get_raw_mempool() {
  FULGUR_TRY(json r, m_rpc.call("getrawmempool"));
  if (!r.is_array()) return bad_response("getrawmempool: not an array");
  std::vector<Txid> out;
  for (const auto& v : r) {
    FULGUR_TRY(Txid id, hash_of<Txid>(v));
    out.push_back(id);
  }
  return out;
}

ChainResult<Txid> BitcoindL1::send_raw_transaction(ByteSpan tx) {
  FULGUR_TRY(json r, m_rpc.call("sendrawtransaction", json::array({to_hex(tx)})));
  return hash_of<Txid>(r);
}

ChainResult<MempoolAccept> BitcoindL1::test_mempool_accept(ByteSpan tx) {
  FULGUR_TRY(json r, m_rpc.call("testmempoolaccept", json::array({json::array({to_hex(tx)})})));
  if (!r.is_array() || r.size() != 1) return bad_response("testmempoolaccept: not one result");
  MempoolAccept out;
  FULGUR_TRY(out.txid, hash_field<Txid>(r[0], "txid"));
  FULGUR_TRY(const json* allowed, field(r[0], "allowed"));
  if (!allowed->is_boolean()) return bad_response("allowed is not a boolean");
  out.allowed = allowed->get<bool>();
  if (!out.allowed) {
    FULGUR_TRY(out.reject_reason, string_field(r[0], "reject-reason"));
  }
  return out;
}

ChainResult<std::optional<FeeratePerKw>> BitcoindL1::estimate_smart_fee(uint32_t conf_target) {
  FULGUR_TRY(json r, m_rpc.call("estimatesmartfee", json::array({conf_target})));
  if (!r.is_object()) return bad_response("estimatesmartfee: not an object");
  auto rate = r.find("feerate");
  if (rate == r.end()) return std::optional<FeeratePerKw>{};
  if (!rate->is_number()) return bad_response("feerate is not a number");
  return std::optional<FeeratePerKw>{feerate_from_btc_per_kvb(rate->get<double>())};
}

ChainResult<std::string> BitcoindL1::get_new_address() {
  FULGUR_TRY(json r, m_rpc.call("getnewaddress", json::array({"", "bech32"})));
  if (!r.is_string()) return bad_response("getnewaddress: not a string");
  return r.get<std::string>();
}

ChainResult<FundResult> BitcoindL1::fund_raw_transaction(ByteSpan tx, const FundOptions& options) {
  json opts = json::object();
  if (options.fee_rate_sat_per_vb) opts["fee_rate"] = *options.fee_rate_sat_per_vb;
  if (options.change_address) opts["changeAddress"] = *options.change_address;
  if (options.lock_unspents) opts["lockUnspents"] = true;
  if (options.change_position) opts["changePosition"] = *options.change_position;
  if (!options.input_weights.empty()) {
    json weights = json::array();
    for (const auto& w : options.input_weights) {
      weights.push_back({{"txid", w.txid.to_hex()}, {"vout", w.vout}, {"weight", w.weight}});
    }
    opts["input_weights"] = weights;
  }
  FULGUR_TRY(json r, m_rpc.call("fundrawtransaction", json::array({to_hex(tx), opts})));
  FundResult out;
  FULGUR_TRY(out.tx, hex_field(r, "hex"));
  FULGUR_TRY(out.fee, amount_field(r, "fee"));
  FULGUR_TRY(int64_t pos, int_field(r, "changepos"));
  out.change_position = static_cast<int>(pos);
  return out;
}

ChainResult<SignResult> BitcoindL1::sign_raw_transaction_with_wallet(ByteSpan tx) {
  FULGUR_TRY(json r, m_rpc.call("signrawtransactionwithwallet", json::array({to_hex(tx)})));
  SignResult out;
  FULGUR_TRY(out.tx, hex_field(r, "hex"));
  FULGUR_TRY(const json* complete, field(r, "complete"));
  if (!complete->is_boolean()) return bad_response("complete is not a boolean");
  out.complete = complete->get<bool>();
  if (auto errs = r.find("errors"); errs != r.end() && errs->is_array()) {
    for (const auto& e : *errs) {
      if (e.contains("error") && e["error"].is_string()) out.errors.push_back(e["error"]);
    }
  }
  return out;
}

ChainResult<Txid> BitcoindL1::send_to_address(const std::string& address, Sat amount) {
  // Amounts go out as JSON numbers with at most 8 decimals, as bitcoind expects.
  FULGUR_TRY(json r, m_rpc.call("sendtoaddress", json::array({address, btc_from_sat(amount)})));
  return hash_of<Txid>(r);
}

ChainResult<Sat> BitcoindL1::get_balance() {
  FULGUR_TRY(json r, m_rpc.call("getbalance"));
  return amount_of(r, "balance");
}

ChainResult<std::vector<Utxo>> BitcoindL1::list_unspent(uint32_t min_conf) {
  FULGUR_TRY(json r, m_rpc.call("listunspent", json::array({min_conf})));
  if (!r.is_array()) return bad_response("listunspent: not an array");
  std::vector<Utxo> out;
  for (const auto& u : r) {
    FULGUR_TRY(Utxo utxo, utxo_of(u));
    out.push_back(std::move(utxo));
  }
  return out;
}

ChainResult<std::vector<BlockHash>> BitcoindL1::generate_to_address(uint32_t blocks,
                                                                    const std::string& address) {
  FULGUR_TRY(json r, m_rpc.call("generatetoaddress", json::array({blocks, address})));
  if (!r.is_array()) return bad_response("generatetoaddress: not an array");
  std::vector<BlockHash> out;
  for (const auto& v : r) {
    FULGUR_TRY(BlockHash h, hash_of<BlockHash>(v));
    out.push_back(h);
  }
  return out;
}

ChainResult<void> BitcoindL1::invalidate_block(const BlockHash& hash) {
  FULGUR_TRY(json r, m_rpc.call("invalidateblock", json::array({hash.to_hex()})));
  (void)r;
  return {};
}

ChainResult<void> BitcoindL1::reconsider_block(const BlockHash& hash) {
  FULGUR_TRY(json r, m_rpc.call("reconsiderblock", json::array({hash.to_hex()})));
  (void)r;
  return {};
}

ChainResult<void> BitcoindL1::stop() {
  FULGUR_TRY(json r, m_rpc.call("stop"));
  (void)r;
  return {};
}

}  // namespace fulgur::chain
