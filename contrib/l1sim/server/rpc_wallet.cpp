// Wallet RPCs: createwallet, loadwallet, listwallets, and on the addressed wallet
// getnewaddress, getbalance, listunspent, fundrawtransaction, signrawtransactionwithwallet,
// sendtoaddress.
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

// The wallet the request's URL names, or bitcoind's error for a wallet that is not loaded.
Node::LoadedWallet& addressed(Node& node) {
  auto it = node.wallets.find(node.addressed_wallet);
  if (it == node.wallets.end()) {
    throw_rpc(RpcCode::WalletNotFound, "Requested wallet does not exist or is not loaded");
  }
  return it->second;
}

void save_keys(Node& node, Node::LoadedWallet& w) {
  if (auto st = node.save_new_keys(w); !st) throw_rpc(RpcCode::WalletError, st.error().message);
}

json createwallet(Node& node, const json& params) {
  std::string name = param::string(params, 0, "");
  if (node.wallets.count(name) != 0) {
    throw_rpc(RpcCode::WalletError, "Wallet file verification failed. Failed to create database path '" +
                                        name + "'. Database already exists.");
  }
  if (!Store::valid_wallet_name(name)) {
    throw_rpc(RpcCode::WalletError,
              "Invalid wallet name '" + name + "' (l1sim: 1-64 of A-Z a-z 0-9 _ - .)");
  }
  if (auto st = node.create_wallet(name); !st) throw_rpc(RpcCode::WalletError, st.error().message);
  node.log->info("created wallet {}", name);
  return {{"name", name}, {"warning", ""}};
}

// Every wallet on disk is loaded at start, so loadwallet only tells which case it is.
json loadwallet(Node& node, const json& params) {
  std::string name = param::string(params, 0, "");
  if (node.wallets.count(name) != 0) {
    throw_rpc(RpcCode::WalletAlreadyLoaded, "Wallet \"" + name + "\" is already loaded.");
  }
  throw_rpc(RpcCode::WalletNotFound, "Wallet file verification failed. Failed to load database path '" +
                                         name + "'. Path does not exist.");
}

json listwallets(Node& node, const json&) {
  json out = json::array();
  for (const auto& [name, w] : node.wallets) out.push_back(name);
  return out;
}

json getnewaddress(Node& node, const json& params) {
  (void)param::string(params, 0, "");  // label: accepted, not kept
  std::string type = param::string(params, 1, "bech32");
  if (type != "bech32") throw_rpc(RpcCode::InvalidAddressOrKey, "Unknown address type '" + type + "'");
  auto& w = addressed(node);
  std::string address = w.wallet.new_address();
  save_keys(node, w);
  return address;
}

json getbalance(Node& node, const json& params) {
  if (const json* dummy = param::get(params, 0); dummy && *dummy != "*") {
    throw_rpc(RpcCode::MethodDeprecated, "dummy first argument must be excluded or set to \"*\".");
  }
  int64_t min_conf = param::integer(params, 1, 0);
  Sat total(0);
  for (const auto& c : addressed(node).wallet.coins(node.chain, static_cast<uint32_t>(std::max<int64_t>(min_conf, 0)))) {
    total = *total.checked_add(c.coin.out.amount);
  }
  return btc(total);
}

json listunspent(Node& node, const json& params) {
  int64_t min_conf = param::integer(params, 0, 1);
  int64_t max_conf = param::integer(params, 1, 9999999);
  const Wallet& wallet = addressed(node).wallet;
  json out = json::array();
  for (const auto& c : wallet.coins(node.chain, static_cast<uint32_t>(std::max<int64_t>(min_conf, 0)))) {
    if (c.confirmations > max_conf) continue;
    out.push_back({{"txid", c.outpoint.txid.to_hex()},
                   {"vout", c.outpoint.vout},
                   {"address", wallet.address_of(c.coin.out.script_pubkey)},
                   {"label", ""},
                   {"scriptPubKey", c.coin.out.script_pubkey.to_hex()},
                   {"amount", btc(c.coin.out.amount)},
                   {"confirmations", c.confirmations},
                   {"spendable", true},
                   {"solvable", true},
                   {"safe", true}});
  }
  return out;
}

bitcoin::Transaction decode_or_throw(const json& params) {
  auto tx = bitcoin::decode_transaction_hex(param::string(params, 0, ""));
  if (!tx) throw_rpc(RpcCode::DeserializationError, "TX decode failed");
  return *tx;
}

json fundrawtransaction(Node& node, const json& params) {
  auto& w = addressed(node);
  bitcoin::Transaction tx = decode_or_throw(params);
  uint64_t feerate = node.fallback_fee_sat_per_kvb;
  std::optional<bitcoin::Script> change;
  Wallet::FundExtras extras;
  if (const json* opts = param::get(params, 1)) {
    if (!opts->is_object()) param::type_error(*opts, "object");
    if (auto r = opts->find("fee_rate"); r != opts->end()) {
      // fee_rate is in sat/vB: read it with the amount rules, scaled (1 sat/vB = 1e-8 "BTC").
      feerate = param::amount(*r).value() / 100'000;  // units of 1e-8 sat/vB → sat/kvB
    }
    if (auto r = opts->find("feeRate"); r != opts->end()) feerate = param::amount(*r).value();
    if (auto r = opts->find("changeAddress"); r != opts->end()) {
      if (!r->is_string()) param::type_error(*r, "string");
      auto script = bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, r->get<std::string>());
      if (!script) throw_rpc(RpcCode::InvalidAddressOrKey, "Change address must be a valid bitcoin address");
      change = *script;
    }
    if (auto r = opts->find("changePosition"); r != opts->end()) {
      if (!r->is_number_integer()) param::type_error(*r, "number");
      int64_t pos = r->get<int64_t>();
      if (pos < 0 || static_cast<uint64_t>(pos) > tx.outputs.size()) {
        throw_rpc(RpcCode::InvalidParameter, "changePosition out of bounds");
      }
      extras.change_position = static_cast<size_t>(pos);
    }
    if (auto r = opts->find("input_weights"); r != opts->end()) {
      if (!r->is_array()) param::type_error(*r, "array");
      for (const auto& e : *r) {
        if (!e.is_object() || !e.contains("txid") || !e.contains("vout") || !e.contains("weight") ||
            !e["txid"].is_string() || !e["vout"].is_number_integer() ||
            !e["weight"].is_number_integer()) {
          throw_rpc(RpcCode::InvalidParameter, "Invalid parameter, input_weights needs txid, vout and weight");
        }
        auto txid = Txid::from_hex(e["txid"].get<std::string>());
        int64_t vout = e["vout"].get<int64_t>(), weight = e["weight"].get<int64_t>();
        if (!txid || vout < 0 || vout > UINT32_MAX) {
          throw_rpc(RpcCode::InvalidParameter, "Invalid parameter, bad input_weights entry");
        }
        // bitcoind: at least an input's non-witness weight, at most a standard transaction's.
        if (weight < 165) throw_rpc(RpcCode::InvalidParameter, "Invalid parameter, weight cannot be less than 165");
        if (weight > 400000) throw_rpc(RpcCode::InvalidParameter, "Invalid parameter, weight cannot be greater than the maximum standard tx weight of 400000");
        extras.input_weights[bitcoin::OutPoint{*txid, static_cast<uint32_t>(vout)}] =
            static_cast<uint64_t>(weight);
      }
    }
  }
  auto funded = w.wallet.fund(node.chain, tx, feerate, change, extras);
  save_keys(node, w);
  if (!funded) throw_rpc(RpcCode::WalletError, funded.error().message);
  return {{"hex", to_hex(funded->tx.serialize())},
          {"fee", btc(funded->fee)},
          {"changepos", funded->change_position}};
}

json signrawtransactionwithwallet(Node& node, const json& params) {
  bitcoin::Transaction tx = decode_or_throw(params);
  std::string hashtype = param::string(params, 2, "ALL");
  if (hashtype != "ALL" && hashtype != "DEFAULT") {
    throw_rpc(RpcCode::InvalidParameter, "Only ALL is supported by l1sim's wallet: " + hashtype);
  }
  auto errors = addressed(node).wallet.sign(node.chain, tx);
  json out = {{"hex", to_hex(tx.serialize())}, {"complete", errors.empty()}};
  if (!errors.empty()) {
    json list = json::array();
    for (const auto& e : errors) {
      const auto& in = tx.inputs[e.input];
      json witness = json::array();
      for (const auto& w : in.witness) witness.push_back(to_hex(w));
      list.push_back({{"txid", in.prevout.txid.to_hex()},
                      {"vout", in.prevout.vout},
                      {"witness", witness},
                      {"scriptSig", in.script_sig.to_hex()},
                      {"sequence", in.sequence},
                      {"error", e.error}});
    }
    out["errors"] = list;
  }
  return out;
}

json sendtoaddress(Node& node, const json& params) {
  auto& w = addressed(node);
  std::string address = param::string(params, 0, "");
  auto script = bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, address);
  if (!script) throw_rpc(RpcCode::InvalidAddressOrKey, "Invalid address");
  const json* amount_value = param::get(params, 1);
  Sat amount = param::amount(*amount_value);
  if (amount.value() == 0) throw_rpc(RpcCode::TypeError, "Invalid amount for send");
  bitcoin::Transaction tx;
  tx.outputs.push_back({amount, *script});
  tx.locktime = node.chain.height();  // anti fee sniping, as bitcoind's wallet does
  auto funded = w.wallet.fund(node.chain, tx, node.fallback_fee_sat_per_kvb, std::nullopt);
  save_keys(node, w);
  if (!funded) throw_rpc(RpcCode::WalletInsufficientFunds, funded.error().message);
  if (!w.wallet.sign(node.chain, funded->tx).empty()) {
    throw_rpc(RpcCode::WalletError, "Signing transaction failed");
  }
  auto accepted = node.chain.accept(funded->tx, false);
  if (!accepted) throw_rpc(RpcCode::WalletError, accepted.error().to_string());
  node.log->info("sendtoaddress {} {} sat: {}", address, amount.value(), accepted->txid.to_hex());
  return accepted->txid.to_hex();
}

}  // namespace

const std::vector<RpcMethodInfo>& wallet_methods() {
  static const std::vector<RpcMethodInfo> methods = {
      {"createwallet", createwallet, {"wallet_name", "disable_private_keys", "blank", "passphrase", "avoid_reuse", "descriptors", "load_on_startup", "external_signer"}, 1},
      {"loadwallet", loadwallet, {"filename", "load_on_startup"}, 1},
      {"listwallets", listwallets, {}, 0},
      {"getnewaddress", getnewaddress, {"label", "address_type"}, 0},
      {"getbalance", getbalance, {"dummy", "minconf", "include_watchonly", "avoid_reuse"}, 0},
      {"listunspent", listunspent, {"minconf", "maxconf", "addresses", "include_unsafe", "query_options"}, 0},
      {"fundrawtransaction", fundrawtransaction, {"hexstring", "options", "iswitness"}, 1},
      {"signrawtransactionwithwallet", signrawtransactionwithwallet, {"hexstring", "prevtxs", "sighashtype"}, 1},
      {"sendtoaddress", sendtoaddress, {"address", "amount", "comment", "comment_to", "subtractfeefromamount", "replaceable", "conf_target", "estimate_mode", "avoid_reuse", "fee_rate", "verbose"}, 2},
  };
  return methods;
}

}  // namespace fulgur::l1sim
