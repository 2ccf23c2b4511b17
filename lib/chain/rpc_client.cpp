// JSON-RPC over HTTP/1.1 with cpp-httplib: request framing, auth, and bitcoind's replies.
#include "chain/rpc_client.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

namespace fulgur::chain {

using nlohmann::json;

Result<std::pair<std::string, std::string>, ChainError> read_cookie_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return Unexpected<ChainError>{{ChainErrorKind::Config, 0, "cannot read cookie file " + path}};
  }
  auto colon = line.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Unexpected<ChainError>{{ChainErrorKind::Config, 0, "malformed cookie file " + path}};
  }
  return std::pair{line.substr(0, colon), line.substr(colon + 1)};
}

Result<json, ChainError> parse_rpc_reply(int http_status, const std::string& body) {
  auto bad = [&](std::string why) {
    return Unexpected<ChainError>{{ChainErrorKind::BadResponse, http_status, std::move(why)}};
  };
  if (http_status == 401 || http_status == 403) {
    return Unexpected<ChainError>{
        {ChainErrorKind::Unauthorized, http_status, "the node refused our RPC credentials"}};
  }
  json reply = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object()) {
    if (http_status != 200) {
      return Unexpected<ChainError>{
          {ChainErrorKind::Http, http_status, body.substr(0, 200)}};
    }
    return bad("reply is not a JSON object");
  }
  auto err = reply.find("error");
  if (err != reply.end() && !err->is_null()) {
    if (!err->is_object() || !err->contains("code") || !(*err)["code"].is_number_integer()) {
      return bad("malformed error object: " + err->dump());
    }
    std::string message;
    if (auto m = err->find("message"); m != err->end() && m->is_string()) message = *m;
    return Unexpected<ChainError>{
        {ChainErrorKind::Rpc, (*err)["code"].get<int>(), std::move(message)}};
  }
  if (http_status != 200) return bad("HTTP " + std::to_string(http_status) + " without an error");
  auto res = reply.find("result");
  if (res == reply.end()) return bad("reply has no result");
  return *res;
}

Result<json, ChainError> JsonRpcClient::call(const std::string& method, const json& params) {
  std::string user = m_config.user;
  std::string password = m_config.password;
  if (!m_config.cookie_file.empty()) {
    auto cookie = read_cookie_file(m_config.cookie_file);
    if (!cookie) return Unexpected<ChainError>{cookie.error()};
    user = cookie->first;
    password = cookie->second;
  }
  httplib::Client http(m_config.host, m_config.port);
  http.set_connection_timeout(std::chrono::milliseconds(m_config.connect_timeout_ms));
  http.set_read_timeout(std::chrono::milliseconds(m_config.read_timeout_ms));
  http.set_write_timeout(std::chrono::milliseconds(m_config.read_timeout_ms));
  http.set_basic_auth(user, password);
  http.set_keep_alive(false);

  json request = {{"jsonrpc", "1.0"}, {"id", m_next_id++}, {"method", method}, {"params", params}};
  std::string path = m_config.wallet.empty() ? "/" : "/wallet/" + m_config.wallet;
  auto response = http.Post(path, request.dump(), "application/json");
  if (!response) {
    return Unexpected<ChainError>{{ChainErrorKind::Transport, 0,
                                   method + ": " + httplib::to_string(response.error())}};
  }
  return parse_rpc_reply(response->status, response->body);
}

}  // namespace fulgur::chain
