// JSON-RPC framing, dispatch and parameter checks, answered as bitcoind answers them.
#include "server/rpc.h"

#include <cmath>
#include <map>

#include "bitcoin/bech32.h"
#include "chain/errors.h"
#include "common/hex.h"

namespace fulgur::l1sim {

using chain::RpcCode;
using nlohmann::json;

namespace {

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "bool";
    case json::value_t::object: return "object";
    case json::value_t::array: return "array";
    case json::value_t::string: return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number";
    case json::value_t::binary:
    case json::value_t::discarded: return "unknown";
  }
  return "unknown";
}

const RpcMethodInfo* find_method(const std::string& name) {
  static const std::map<std::string, const RpcMethodInfo*> table = [] {
    std::map<std::string, const RpcMethodInfo*> t;
    for (const auto& m : chain_methods()) t[m.name] = &m;
    for (const auto& m : wallet_methods()) t[m.name] = &m;
    return t;
  }();
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

std::string usage(const RpcMethodInfo& m) {
  std::string text = m.name;
  for (size_t i = 0; i < m.args.size(); ++i) {
    text += i < m.required ? std::string(" ") + m.args[i] : std::string(" ( ") + m.args[i] + " )";
  }
  return text;
}

// Named parameters become positional ones, as bitcoind's transformNamedArguments does.
json positional(const RpcMethodInfo& m, const json& params) {
  if (params.is_array()) return params;
  json out = json::array();
  json remaining = params;
  for (size_t i = 0; i < m.args.size(); ++i) {
    auto it = remaining.find(m.args[i]);
    if (it != remaining.end()) {
      while (out.size() < i) out.push_back(nullptr);
      out.push_back(*it);
      remaining.erase(it);
    }
  }
  if (!remaining.empty()) {
    throw RpcFailure{static_cast<int>(RpcCode::InvalidParameter),
                     "Unknown named parameter " + remaining.begin().key()};
  }
  return out;
}

json execute(Node& node, const std::string& wallet, const json& request) {
  if (!request.is_object()) {
    throw RpcFailure{static_cast<int>(RpcCode::InvalidRequest), "Invalid Request object"};
  }
  auto method = request.find("method");
  if (method == request.end()) {
    throw RpcFailure{static_cast<int>(RpcCode::InvalidRequest), "Missing method"};
  }
  if (!method->is_string()) {
    throw RpcFailure{static_cast<int>(RpcCode::InvalidRequest), "Method must be a string"};
  }
  json params = json::array();
  if (auto p = request.find("params"); p != request.end() && !p->is_null()) {
    if (!p->is_array() && !p->is_object()) {
      throw RpcFailure{static_cast<int>(RpcCode::InvalidRequest),
                       "Params must be an array or object"};
    }
    params = *p;
  }
  const RpcMethodInfo* m = find_method(*method);
  if (!m) throw RpcFailure{static_cast<int>(RpcCode::MethodNotFound), "Method not found"};
  params = positional(*m, params);
  size_t given = params.size();
  while (given > 0 && params[given - 1].is_null()) --given;
  if (params.size() > m->args.size() || given < m->required) {
    throw RpcFailure{static_cast<int>(RpcCode::MiscError), usage(*m)};
  }
  node.log->debug("rpc {} {}", m->name, params.dump().substr(0, 200));
  std::lock_guard lock(node.mutex);
  node.addressed_wallet = wallet;
  return m->fn(node, params);
}

json reply(const json& id, const json& result, const json& error) {
  return json{{"result", result}, {"error", error}, {"id", id}};
}

// One request object: its reply and the HTTP status bitcoind would use for it alone.
std::pair<int, json> answer(Node& node, const std::string& wallet, const json& request) {
  json id = request.is_object() && request.contains("id") ? request["id"] : json(nullptr);
  try {
    return {200, reply(id, execute(node, wallet, request), nullptr)};
  } catch (const RpcFailure& f) {
    int status = 500;
    if (f.code == static_cast<int>(RpcCode::InvalidRequest)) status = 400;
    if (f.code == static_cast<int>(RpcCode::MethodNotFound)) status = 404;
    return {status, reply(id, nullptr, {{"code", f.code}, {"message", f.message}})};
  } catch (const json::exception& e) {
    // A value of the wrong JSON type deep inside a parameter.
    return {500, reply(id, nullptr, {{"code", static_cast<int>(RpcCode::TypeError)},
                                     {"message", std::string("JSON value is not of expected type: ") + e.what()}})};
  }
}

}  // namespace

std::pair<int, std::string> handle_rpc_body(Node& node, const std::string& wallet,
                                            const std::string& body) {
  json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    json err = {{"code", static_cast<int>(RpcCode::ParseError)}, {"message", "Parse error"}};
    return {500, reply(nullptr, nullptr, err).dump() + "\n"};
  }
  if (request.is_array()) {
    json replies = json::array();
    for (const auto& r : request) replies.push_back(answer(node, wallet, r).second);
    return {200, replies.dump() + "\n"};
  }
  auto [status, out] = answer(node, wallet, request);
  return {status, out.dump() + "\n"};
}

namespace param {

const json* get(const json& params, size_t index) {
  if (index >= params.size() || params[index].is_null()) return nullptr;
  return &params[index];
}

void type_error(const json& value, const char* expected) {
  throw RpcFailure{static_cast<int>(RpcCode::TypeError),
                   std::string("JSON value of type ") + type_name(value) +
                       " is not of expected type " + expected};
}

int64_t integer(const json& params, size_t index, int64_t fallback) {
  const json* v = get(params, index);
  if (!v) return fallback;
  if (!v->is_number_integer()) type_error(*v, "number");
  return v->get<int64_t>();
}

bool boolean(const json& params, size_t index, bool fallback) {
  const json* v = get(params, index);
  if (!v) return fallback;
  if (!v->is_boolean()) type_error(*v, "bool");
  return v->get<bool>();
}

std::string string(const json& params, size_t index, const std::string& fallback) {
  const json* v = get(params, index);
  if (!v) return fallback;
  if (!v->is_string()) type_error(*v, "string");
  return v->get<std::string>();
}

template <typename H>
H hash(const json& params, size_t index, const char* name) {
  const json* v = get(params, index);
  if (!v) throw RpcFailure{static_cast<int>(RpcCode::InvalidParameter), std::string(name) + " is required"};
  if (!v->is_string()) type_error(*v, "string");
  std::string s = *v;
  if (s.size() != 64) {
    throw RpcFailure{static_cast<int>(RpcCode::InvalidParameter),
                     std::string(name) + " must be of length 64 (not " + std::to_string(s.size()) +
                         ", for '" + s + "')"};
  }
  auto h = H::from_hex(s);
  if (!h) {
    throw RpcFailure{static_cast<int>(RpcCode::InvalidParameter),
                     std::string(name) + " must be hexadecimal string (not '" + s + "')"};
  }
  return *h;
}
template BlockHash hash<BlockHash>(const json&, size_t, const char*);
template Txid hash<Txid>(const json&, size_t, const char*);

Sat amount(const json& value) {
  double btc_value = 0;
  if (value.is_number()) {
    btc_value = value.get<double>();
  } else if (value.is_string()) {
    try {
      size_t used = 0;
      btc_value = std::stod(value.get<std::string>(), &used);
      if (used != value.get<std::string>().size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw RpcFailure{static_cast<int>(RpcCode::TypeError), "Invalid amount"};
    }
  } else {
    throw RpcFailure{static_cast<int>(RpcCode::TypeError), "Amount is not a number or string"};
  }
  if (!std::isfinite(btc_value) || btc_value < 0 || btc_value > 21e6) {
    throw RpcFailure{static_cast<int>(RpcCode::TypeError), "Amount out of range"};
  }
  double sats = btc_value * 1e8;
  if (std::fabs(sats - std::round(sats)) > 1e-3) {
    throw RpcFailure{static_cast<int>(RpcCode::TypeError), "Invalid amount"};
  }
  return Sat(static_cast<uint64_t>(std::llround(sats)));
}

}  // namespace param

json btc(Sat sat) { return static_cast<double>(sat.value()) / 1e8; }

json script_pubkey_json(const bitcoin::Script& spk) {
  const char* type = "nonstandard";
  if (spk.is_p2wpkh()) type = "witness_v0_keyhash";
  else if (spk.is_p2wsh()) type = "witness_v0_scripthash";
  else if (spk.is_p2tr()) type = "witness_v1_taproot";
  else if (spk.is_p2pkh()) type = "pubkeyhash";
  else if (spk.is_p2sh()) type = "scripthash";
  else if (spk.is_op_return()) type = "nulldata";
  else if (spk.witness_program()) type = "witness_unknown";
  json out = {{"asm", spk.to_asm()}, {"hex", spk.to_hex()}, {"type", type}};
  if (spk.witness_program()) {
    if (auto addr = bitcoin::encode_segwit_address(bitcoin::Network::Regtest, spk)) {
      out["address"] = *addr;
    }
  }
  return out;
}

json tx_to_json(const bitcoin::Transaction& tx) {
  json vin = json::array();
  for (const auto& in : tx.inputs) {
    json j;
    if (tx.is_coinbase()) {
      j["coinbase"] = in.script_sig.to_hex();
    } else {
      j["txid"] = in.prevout.txid.to_hex();
      j["vout"] = in.prevout.vout;
      j["scriptSig"] = {{"asm", in.script_sig.to_asm()}, {"hex", in.script_sig.to_hex()}};
    }
    if (!in.witness.empty()) {
      json w = json::array();
      for (const auto& item : in.witness) w.push_back(to_hex(item));
      j["txinwitness"] = w;
    }
    j["sequence"] = in.sequence;
    vin.push_back(j);
  }
  json vout = json::array();
  for (size_t i = 0; i < tx.outputs.size(); ++i) {
    vout.push_back({{"value", btc(tx.outputs[i].amount)},
                    {"n", i},
                    {"scriptPubKey", script_pubkey_json(tx.outputs[i].script_pubkey)}});
  }
  return {{"txid", tx.txid().to_hex()},        {"hash", tx.wtxid().to_hex()},
          {"version", tx.version},             {"size", tx.serialize().size()},
          {"vsize", tx.vsize()},               {"weight", tx.weight()},
          {"locktime", tx.locktime},           {"vin", vin},
          {"vout", vout},                      {"hex", to_hex(tx.serialize())}};
}

}  // namespace fulgur::l1sim
