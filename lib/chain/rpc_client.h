// A JSON-RPC 1.0 client for bitcoind-compatible nodes over HTTP/1.1 (cpp-httplib), with
// rpcuser/rpcpassword or cookie-file auth. One call = one blocking HTTP request on a fresh
// connection, so one client may be used from several threads at once.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <string>

#include "chain/errors.h"
#include "common/result.h"

namespace fulgur::chain {

struct RpcConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 18443;  // bitcoind's regtest default
  std::string user;
  std::string password;
  // bitcoind's `.cookie` ("__cookie__:<hex>"); read at every call when set, so that a
  // restarted node's new cookie is picked up.
  std::string cookie_file;
  std::string wallet;  // when set, calls go to /wallet/<name>
  int connect_timeout_ms = 5000;
  int read_timeout_ms = 60000;
};

// Reads a cookie file into (user, password); errors when missing or not "user:password".
Result<std::pair<std::string, std::string>, ChainError> read_cookie_file(const std::string& path);

class JsonRpcClient {
 public:
  explicit JsonRpcClient(RpcConfig config) : m_config(std::move(config)) {}

  // The `result` of `method(params)`, or the typed error. `params` is a JSON array.
  Result<nlohmann::json, ChainError> call(const std::string& method,
                                          const nlohmann::json& params = nlohmann::json::array());

  const RpcConfig& config() const { return m_config; }

 private:
  RpcConfig m_config;
  std::atomic<uint64_t> m_next_id{1};
};

// Turns an HTTP answer (status, body) into the call's result or error, as bitcoind sends
// them: JSON-RPC errors arrive with HTTP 500/404/400 and a JSON body, auth failures as
// 401 with an empty body. Pure: tested without a server.
Result<nlohmann::json, ChainError> parse_rpc_reply(int http_status, const std::string& body);

}  // namespace fulgur::chain
