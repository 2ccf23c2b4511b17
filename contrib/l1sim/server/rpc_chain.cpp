// Chain and mempool RPCs: getblockchaininfo … getrawmempool, sendrawtransaction,
// testmempoolaccept, estimatesmartfee, generatetoaddress, invalidate/reconsiderblock, stop.
#include <fmt/core.h>

#include "bitcoin/bech32.h"
#include "chain/errors.h"
#include "common/hex.h"
#include "server/rpc.h"

namespace fulgur::l1sim {

using chain::RpcCode;
using nlohmann::json;

namespace {

[[noreturn]] void throw_rpc(RpcCode code, std::string message) {
  throw RpcFailure{static_cast<int>(code), std::move(message)};
}

constexpr double REGTEST_DIFFICULTY = 4.656542373906925e-10;

std::string chainwork(uint32_t height) {
  // Every regtest block (bits 0x207fffff) adds 2 to the chain work.
  return fmt::format("{:064x}", (static_cast<uint64_t>(height) + 1) * 2);
}

const BlockEntry& block_or_throw(const Node& node, const BlockHash& hash) {
  const BlockEntry* e = node.chain.find_block(hash);
  if (!e) throw_rpc(RpcCode::InvalidAddressOrKey, "Block not found");
  return *e;
}

json header_json(const Node& node, const BlockEntry& e) {
  const auto& h = e.block.header;
  bool active = node.chain.in_active_chain(e);
  json out = {{"hash", e.hash.to_hex()},
              {"confirmations", active ? int64_t{node.chain.height()} - e.height + 1 : -1},
              {"height", e.height},
              {"version", h.version},
              {"versionHex", fmt::format("{:08x}", static_cast<uint32_t>(h.version))},
              {"merkleroot", Txid(h.merkle_root.array()).to_hex()},
              {"time", h.time},
              {"mediantime", e.median_time_past},
              {"nonce", h.nonce},
              {"bits", fmt::format("{:08x}", h.bits)},
              {"difficulty", REGTEST_DIFFICULTY},
              {"chainwork", chainwork(e.height)},
              {"nTx", e.block.transactions.size()}};
  if (e.height > 0) out["previousblockhash"] = h.prev_block.to_hex();
  if (active) {
    if (auto next = node.chain.hash_at(e.height + 1)) out["nextblockhash"] = next->to_hex();
  }
  return out;
}

bitcoin::Transaction decode_tx_or_throw(const json& params, size_t index) {
  std::string hex = param::string(params, index, "");
  auto tx = bitcoin::decode_transaction_hex(hex);
  if (!tx) {
    throw_rpc(RpcCode::DeserializationError,
              "TX decode failed. Make sure the tx has at least one input.");
  }
  return *tx;
}

uint64_t max_fee_rate(const json& params, size_t index) {
  // maxfeerate in BTC/kvB (default 0.10); 0 disables the check.
  const json* v = param::get(params, index);
  Sat rate = v ? param::amount(*v) : Sat(10'000'000);
  return rate.value();
}

json getblockchaininfo(Node& node, const json&) {
  const BlockEntry& tip = node.chain.tip_entry();
  return {{"chain", "regtest"},
          {"blocks", tip.height},
          {"headers", tip.height},
          {"bestblockhash", tip.hash.to_hex()},
          {"difficulty", REGTEST_DIFFICULTY},
          {"time", tip.block.header.time},
          {"mediantime", tip.median_time_past},
          {"verificationprogress", 1},
          {"initialblockdownload", false},
          {"chainwork", chainwork(tip.height)},
          {"size_on_disk", 0},
          {"pruned", false},
          {"warnings", ""}};
}

json getblockcount(Node& node, const json&) { return node.chain.height(); }
json getbestblockhash(Node& node, const json&) { return node.chain.tip().to_hex(); }

json getblockhash(Node& node, const json& params) {
  int64_t h = param::integer(params, 0, -1);
  if (h < 0 || h > node.chain.height()) throw_rpc(RpcCode::InvalidParameter, "Block height out of range");
  return node.chain.hash_at(static_cast<uint32_t>(h))->to_hex();
}

json getblockheader(Node& node, const json& params) {
  const BlockEntry& e = block_or_throw(node, param::hash<BlockHash>(params, 0, "blockhash"));
  if (!param::boolean(params, 1, true)) return to_hex(e.block.header.serialize());
  return header_json(node, e);
}

json getblock(Node& node, const json& params) {
  const BlockEntry& e = block_or_throw(node, param::hash<BlockHash>(params, 0, "blockhash"));
  int64_t verbosity = 1;
  if (const json* v = param::get(params, 1)) {
    if (v->is_boolean()) verbosity = v->get<bool>() ? 1 : 0;
    else verbosity = param::integer(params, 1, 1);
  }
  Bytes raw = e.block.serialize();
  if (verbosity <= 0) return to_hex(raw);
  json out = header_json(node, e);
  out["size"] = raw.size();
  out["weight"] = e.block.weight();
  out["strippedsize"] = (e.block.weight() - raw.size()) / 3;
  json txs = json::array();
  for (const auto& tx : e.block.transactions) {
    txs.push_back(verbosity == 1 ? json(tx.txid().to_hex()) : tx_to_json(tx));
  }
  out["tx"] = txs;
  return out;
}

json getrawtransaction(Node& node, const json& params) {
  Txid txid = param::hash<Txid>(params, 0, "txid");
  bool verbose = false;
  if (const json* v = param::get(params, 1)) {
    if (v->is_boolean()) verbose = v->get<bool>();
    else if (v->is_number_integer()) verbose = v->get<int64_t>() != 0;
    else param::type_error(*v, "bool");
  }
  const bitcoin::Transaction* found = nullptr;
  const BlockEntry* block = nullptr;
  if (auto m = node.chain.mempool().find(txid); m != node.chain.mempool().end()) {
    found = &m->second.tx;
  } else if (auto loc = node.chain.find_tx(txid)) {
    block = node.chain.find_block(loc->block);
    for (const auto& tx : block->block.transactions) {
      if (tx.txid() == txid) found = &tx;
    }
  }
  if (!found) {
    throw_rpc(RpcCode::InvalidAddressOrKey,
              "No such mempool or blockchain transaction. Use gettransaction for wallet "
              "transactions.");
  }
  if (!verbose) return to_hex(found->serialize());
  json out = tx_to_json(*found);
  if (block) {
    out["blockhash"] = block->hash.to_hex();
    out["confirmations"] = node.chain.height() - block->height + 1;
    out["time"] = block->block.header.time;
    out["blocktime"] = block->block.header.time;
  }
  return out;
}

// bitcoind's sendrawtransaction error mapping (BroadcastTransaction).
[[noreturn]] void throw_reject(const TxReject& r) {
  switch (r.kind) {
    case RejectKind::Invalid: throw_rpc(RpcCode::VerifyRejected, r.to_string());
    case RejectKind::MissingInputs: throw_rpc(RpcCode::VerifyError, r.to_string());
    case RejectKind::AlreadyInChain:
      throw_rpc(RpcCode::VerifyAlreadyInChain, "Transaction outputs already in utxo set");
    case RejectKind::MaxFeeExceeded:
      throw_rpc(RpcCode::VerifyError,
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)");
    case RejectKind::AlreadyInMempool: throw_rpc(RpcCode::VerifyRejected, r.to_string());
  }
  throw_rpc(RpcCode::MiscError, r.to_string());
}

json sendrawtransaction(Node& node, const json& params) {
  bitcoin::Transaction tx = decode_tx_or_throw(params, 0);
  auto accepted = node.chain.accept(tx, false, max_fee_rate(params, 1));
  if (!accepted) {
    // Already in the mempool: bitcoind answers with the txid again.
    if (accepted.error().kind == RejectKind::AlreadyInMempool) return tx.txid().to_hex();
    node.log->info("rejected {}: {}", tx.txid().to_hex(), accepted.error().to_string());
    throw_reject(accepted.error());
  }
  node.log->info("accepted {} ({} sat fee, {} vB)", accepted->txid.to_hex(),
                 accepted->fee.value(), accepted->vsize);
  return accepted->txid.to_hex();
}

json testmempoolaccept(Node& node, const json& params) {
  const json* raw = param::get(params, 0);
  if (!raw || !raw->is_array()) param::type_error(raw ? *raw : json(), "array");
  if (raw->size() > 25 || raw->empty()) {
    throw_rpc(RpcCode::InvalidParameter, "Array must contain between 1 and 25 transactions.");
  }
  uint64_t max_fee = max_fee_rate(params, 1);
  json out = json::array();
  for (const auto& hex : *raw) {
    if (!hex.is_string()) param::type_error(hex, "string");
    auto tx = bitcoin::decode_transaction_hex(hex.get<std::string>());
    if (!tx) {
      throw_rpc(RpcCode::DeserializationError,
                "TX decode failed: " + tx.error().message + " Make sure the tx has at least one input.");
    }
    json r = {{"txid", tx->txid().to_hex()}, {"wtxid", tx->wtxid().to_hex()}};
    auto accepted = node.chain.accept(*tx, true, max_fee);
    if (accepted) {
      r["allowed"] = true;
      r["vsize"] = accepted->vsize;
      r["fees"] = {{"base", btc(accepted->fee)}};
    } else {
      r["allowed"] = false;
      const TxReject& e = accepted.error();
      r["reject-reason"] = e.kind == RejectKind::MissingInputs ? "missing-inputs" : e.reason;
    }
    out.push_back(r);
  }
  return out;
}

json gettxout(Node& node, const json& params) {
  Txid txid = param::hash<Txid>(params, 0, "txid");
  int64_t n = param::integer(params, 1, -1);
  if (n < 0 || n > UINT32_MAX) throw_rpc(RpcCode::InvalidParameter, "Invalid vout");
  bool include_mempool = param::boolean(params, 2, true);
  bitcoin::OutPoint out{txid, static_cast<uint32_t>(n)};
  std::optional<Coin> coin = node.chain.utxo(out);
  if (include_mempool) {
    if (node.chain.mempool_spends(out)) return nullptr;
    auto m = node.chain.mempool().find(txid);
    if (!coin && m != node.chain.mempool().end() && out.vout < m->second.tx.outputs.size()) {
      coin = Coin{m->second.tx.outputs[out.vout], MEMPOOL_HEIGHT, false};
    }
  }
  if (!coin) return nullptr;
  int64_t confs = coin->height == MEMPOOL_HEIGHT ? 0 : int64_t{node.chain.height()} - coin->height + 1;
  return {{"bestblock", node.chain.tip().to_hex()},
          {"confirmations", confs},
          {"value", btc(coin->out.amount)},
          {"scriptPubKey", script_pubkey_json(coin->out.script_pubkey)},
          {"coinbase", coin->coinbase}};
}

json getrawmempool(Node& node, const json& params) {
  bool verbose = param::boolean(params, 0, false);
  json out = verbose ? json::object() : json::array();
  for (const auto& [txid, e] : node.chain.mempool()) {
    if (!verbose) {
      out.push_back(txid.to_hex());
      continue;
    }
    json depends = json::array();
    for (const auto& in : e.tx.inputs) {
      if (node.chain.mempool().count(in.prevout.txid)) depends.push_back(in.prevout.txid.to_hex());
    }
    out[txid.to_hex()] = {{"vsize", e.vsize},
                          {"weight", e.tx.weight()},
                          {"height", node.chain.height()},
                          {"wtxid", e.tx.wtxid().to_hex()},
                          {"fees", {{"base", btc(e.fee)}}},
                          {"depends", depends}};
  }
  return out;
}

json estimatesmartfee(Node& node, const json& params) {
  int64_t target = param::integer(params, 0, 0);
  if (target < 1 || target > 1008) {
    throw_rpc(RpcCode::InvalidParameter, "Invalid conf_target, must be between 1 and 1008");
  }
  std::string mode = param::string(params, 1, "economical");
  for (auto& c : mode) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (mode != "UNSET" && mode != "ECONOMICAL" && mode != "CONSERVATIVE") {
    throw_rpc(RpcCode::InvalidParameter, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"");
  }
  return {{"feerate", btc(Sat(node.fallback_fee_sat_per_kvb))}, {"blocks", target}};
}

json generatetoaddress(Node& node, const json& params) {
  int64_t count = param::integer(params, 0, 0);
  std::string address = param::string(params, 1, "");
  auto script = bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, address);
  if (!script) throw_rpc(RpcCode::InvalidAddressOrKey, "Error: Invalid address");
  if (count < 0 || count > 10000) throw_rpc(RpcCode::InvalidParameter, "Invalid nblocks");
  json hashes = json::array();
  for (int64_t i = 0; i < count; ++i) {
    BlockHash hash = node.chain.mine(*script);
    const BlockEntry& e = node.chain.tip_entry();
    if (auto st = node.store.append_block(e.block); !st) {
      throw_rpc(RpcCode::DatabaseError, st.error().message);
    }
    node.log->info("mined block {} at height {} with {} txs", hash.to_hex(), e.height,
                   e.block.transactions.size());
    hashes.push_back(hash.to_hex());
  }
  return hashes;
}

json mark_block(Node& node, const json& params, ChainRecord kind) {
  BlockHash hash = param::hash<BlockHash>(params, 0, "blockhash");
  block_or_throw(node, hash);
  Status st = kind == ChainRecord::Invalidate ? node.chain.invalidate(hash) : node.chain.reconsider(hash);
  if (!st) throw_rpc(RpcCode::DatabaseError, st.error().message);
  if (auto saved = node.store.append_hash_record(kind, hash); !saved) {
    throw_rpc(RpcCode::DatabaseError, saved.error().message);
  }
  node.log->info("{} {}: tip now {} at {}", kind == ChainRecord::Invalidate ? "invalidated" : "reconsidered",
                 hash.to_hex(), node.chain.tip().to_hex(), node.chain.height());
  return nullptr;
}

json invalidateblock(Node& node, const json& params) { return mark_block(node, params, ChainRecord::Invalidate); }
json reconsiderblock(Node& node, const json& params) { return mark_block(node, params, ChainRecord::Reconsider); }

json stop(Node& node, const json&) {
  node.log->info("stop requested over RPC");
  if (node.request_stop) node.request_stop();
  return "Bitcoin Core stopping";
}

json getnetworkinfo(Node&, const json&) {
  return {{"version", 270000},        {"subversion", "/l1sim:0.1.0/"},
          {"protocolversion", 70016}, {"relayfee", 0.00001},
          {"incrementalfee", 0.00001}, {"networkactive", true},
          {"connections", 0},         {"warnings", ""}};
}

}  // namespace

const std::vector<RpcMethodInfo>& chain_methods() {
  static const std::vector<RpcMethodInfo> methods = {
      {"getblockchaininfo", getblockchaininfo, {}, 0},
      {"getnetworkinfo", getnetworkinfo, {}, 0},
      {"getblockcount", getblockcount, {}, 0},
      {"getbestblockhash", getbestblockhash, {}, 0},
      {"getblockhash", getblockhash, {"height"}, 1},
      {"getblockheader", getblockheader, {"blockhash", "verbose"}, 1},
      {"getblock", getblock, {"blockhash", "verbosity"}, 1},
      {"getrawtransaction", getrawtransaction, {"txid", "verbose", "blockhash"}, 1},
      {"sendrawtransaction", sendrawtransaction, {"hexstring", "maxfeerate", "maxburnamount"}, 1},
      {"testmempoolaccept", testmempoolaccept, {"rawtxs", "maxfeerate"}, 1},
      {"gettxout", gettxout, {"txid", "n", "include_mempool"}, 2},
      {"getrawmempool", getrawmempool, {"verbose", "mempool_sequence"}, 0},
      {"estimatesmartfee", estimatesmartfee, {"conf_target", "estimate_mode"}, 1},
      {"generatetoaddress", generatetoaddress, {"nblocks", "address", "maxtries"}, 2},
      {"invalidateblock", invalidateblock, {"blockhash"}, 1},
      {"reconsiderblock", reconsiderblock, {"blockhash"}, 1},
      {"stop", stop, {}, 0},
  };
  return methods;
}

}  // namespace fulgur::l1sim
