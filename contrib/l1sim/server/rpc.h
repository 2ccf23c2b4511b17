// l1sim's JSON-RPC layer: bitcoind's request/response framing (single and batch, JSON-RPC
// 1.0/2.0), its parameter checks and error codes and messages, and the method table.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "server/node.h"

namespace fulgur::l1sim {

// Thrown only inside the RPC layer, from parameter checks and methods, and turned into a
// JSON-RPC error object by the dispatcher; it never leaves rpc*.cpp.
struct RpcFailure {
  int code;
  std::string message;
};

using RpcMethod = nlohmann::json (*)(Node& node, const nlohmann::json& params);

struct RpcMethodInfo {
  const char* name;
  RpcMethod fn;
  std::vector<const char*> args;  // argument names, for named parameters and usage text
  size_t required = 0;
};

// The method table (rpc_chain.cpp and rpc_wallet.cpp).
const std::vector<RpcMethodInfo>& chain_methods();
const std::vector<RpcMethodInfo>& wallet_methods();

// One HTTP request body in, (HTTP status, response body) out, as bitcoind answers.
// `wallet` is the name in a /wallet/<name> URL ("" for "/").
std::pair<int, std::string> handle_rpc_body(Node& node, const std::string& wallet,
                                            const std::string& body);

// Parameter helpers with bitcoind's messages.
namespace param {
const nlohmann::json* get(const nlohmann::json& params, size_t index);  // null when absent
int64_t integer(const nlohmann::json& params, size_t index, int64_t fallback);
bool boolean(const nlohmann::json& params, size_t index, bool fallback);
std::string string(const nlohmann::json& params, size_t index, const std::string& fallback);
// A 64-hex-digit hash named `name` ("blockhash must be of length 64 (not 3, for 'abc')").
template <typename H>
H hash(const nlohmann::json& params, size_t index, const char* name);
// bitcoind's AmountFromValue: a number or numeric string, >= 0, at most 8 decimals.
Sat amount(const nlohmann::json& value);
[[noreturn]] void type_error(const nlohmann::json& value, const char* expected);
}  // namespace param

// BTC amounts as bitcoind prints them (a JSON number with 8 decimals).
nlohmann::json btc(Sat sat);
nlohmann::json tx_to_json(const bitcoin::Transaction& tx);
nlohmann::json script_pubkey_json(const bitcoin::Script& spk);

}  // namespace fulgur::l1sim
