// lib/chain's JSON-RPC client against an in-process HTTP server that answers like bitcoind:
// reply parsing, auth (user/password and cookie), error codes, amounts, transport errors.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chain/bitcoind.h"
#include "chain/rpc_client.h"

using namespace fulgur;
using namespace fulgur::chain;
using nlohmann::json;

TEST(ParseRpcReply, ResultAndErrors) {
  auto ok = parse_rpc_reply(200, R"({"result":42,"error":null,"id":1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);

  auto rejected = parse_rpc_reply(
      500, R"({"result":null,"error":{"code":-26,"message":"min relay fee not met"},"id":1})");
  ASSERT_FALSE(rejected);
  EXPECT_TRUE(rejected.error().is_rpc(RpcCode::VerifyRejected));
  EXPECT_EQ(rejected.error().message, "min relay fee not met");

  auto missing = parse_rpc_reply(
      404, R"({"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1})");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is_rpc(RpcCode::MethodNotFound));

  auto unauthorized = parse_rpc_reply(401, "");
  ASSERT_FALSE(unauthorized);
  EXPECT_EQ(unauthorized.error().kind, ChainErrorKind::Unauthorized);

  EXPECT_EQ(parse_rpc_reply(200, "not json").error().kind, ChainErrorKind::BadResponse);
  EXPECT_EQ(parse_rpc_reply(200, R"({"id":1})").error().kind, ChainErrorKind::BadResponse);
  EXPECT_EQ(parse_rpc_reply(503, "busy").error().kind, ChainErrorKind::Http);
  EXPECT_EQ(parse_rpc_reply(200, R"({"error":{"code":"x"}})").error().kind,
            ChainErrorKind::BadResponse);
}

TEST(RpcCodes, NamesAndDescriptions) {
  EXPECT_STREQ(to_string(RpcCode::VerifyRejected), "RPC_VERIFY_REJECTED");
  EXPECT_STREQ(to_string(RpcCode::DeserializationError), "RPC_DESERIALIZATION_ERROR");
  EXPECT_TRUE(is_known_rpc_code(-27));
  EXPECT_FALSE(is_known_rpc_code(-999));
  EXPECT_EQ(rpc_error(RpcCode::DeserializationError, "TX decode failed").describe(),
            "rpc error -22 (RPC_DESERIALIZATION_ERROR): TX decode failed");
}

TEST(Amounts, BtcToSatExact) {
  EXPECT_EQ(sat_from_btc(50.0)->value(), 5'000'000'000u);
  EXPECT_EQ(sat_from_btc(0.00000001)->value(), 1u);
  EXPECT_EQ(sat_from_btc(20999999.97690000)->value(), 2'099'999'997'690'000u);
  EXPECT_EQ(sat_from_btc(0.1 + 0.2)->value(), 30'000'000u);
  EXPECT_FALSE(sat_from_btc(-1.0));
  EXPECT_FALSE(sat_from_btc(0.000000001));
  EXPECT_FALSE(sat_from_btc(21e6 + 1));
  for (uint64_t s : {1ull, 12345678ull, 2'100'000'000'000'000ull, 99'999'999ull}) {
    EXPECT_EQ(sat_from_btc(btc_from_sat(Sat(s)))->value(), s);
  }
  // 0.00001 BTC/kvB = 1000 sat/kvB = 250 sat/kw (bitcoind's minimum relay fee).
  EXPECT_EQ(feerate_from_btc_per_kvb(0.00001).value(), 250u);
}

namespace {

// A bitcoind stand-in: checks Basic auth, answers methods from a table, and speaks
// bitcoind's error convention (HTTP 500 + JSON error; 404 for unknown methods).
class FakeBitcoind {
 public:
  FakeBitcoind(std::string user, std::string password) {
    m_server.Post("/", [this, auth = "Basic " + base64(user + ":" + password)](
                           const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") != auth) {
        res.status = 401;
        return;
      }
      json request = json::parse(req.body);
      last_request = request;
      std::string method = request["method"];
      auto it = answers.find(method);
      json reply = {{"id", request["id"]}};
      if (it == answers.end()) {
        res.status = 404;
        reply["result"] = nullptr;
        reply["error"] = {{"code", -32601}, {"message", "Method not found"}};
      } else if (it->second.contains("__error")) {
        res.status = 500;
        reply["result"] = nullptr;
        reply["error"] = it->second["__error"];
      } else {
        reply["result"] = it->second;
        reply["error"] = nullptr;
      }
      res.set_content(reply.dump(), "application/json");
    });
    port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    // bind_to_any_port already listens: connections queue until the thread accepts them.
  }
  ~FakeBitcoind() {
    m_server.stop();
    m_thread.join();
  }

  static std::string base64(const std::string& in) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
      for (int k = 18; k >= 0; k -= 6) out += table[(v >> k) & 63];
    }
    if (i + 1 == in.size()) {
      uint32_t v = uint8_t(in[i]) << 16;
      out += table[(v >> 18) & 63];
      out += table[(v >> 12) & 63];
      out += "==";
    } else if (i + 2 == in.size()) {
      uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
      for (int k = 18; k >= 6; k -= 6) out += table[(v >> k) & 63];
      out += "=";
    }
    return out;
  }

  std::map<std::string, json> answers;
  json last_request;
  int port = 0;

 private:
  httplib::Server m_server;
  std::thread m_thread;
};

RpcConfig config_for(int port, std::string user, std::string password) {
  RpcConfig config;
  config.port = static_cast<uint16_t>(port);
  config.user = std::move(user);
  config.password = std::move(password);
  return config;
}

const std::string HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

}  // namespace

TEST(BitcoindL1, TypedAnswersAndErrors) {
  FakeBitcoind node("alice", "secret");
  node.answers["getblockcount"] = 101;
  node.answers["getbestblockhash"] = HASH;
  node.answers["getblockheader"] = {{"hash", HASH},       {"height", 0},
                                    {"time", 1296688602}, {"mediantime", 1296688602},
                                    {"confirmations", 1}};
  node.answers["getbalance"] = 49.99999859;
  node.answers["estimatesmartfee"] = {{"feerate", 0.0002}, {"blocks", 2}};
  node.answers["sendrawtransaction"] = {
      {"__error", {{"code", -26}, {"message", "bad-txns-inputs-missingorspent"}}}};
  node.answers["gettxout"] = nullptr;
  BitcoindL1 l1(config_for(node.port, "alice", "secret"));

  EXPECT_EQ(*l1.get_block_count(), 101u);
  EXPECT_EQ(l1.get_best_block_hash()->to_hex(), HASH);
  auto header = l1.get_block_header(*BlockHash::from_hex(HASH));
  ASSERT_TRUE(header) << header.error().describe();
  EXPECT_FALSE(header->previous.has_value());
  EXPECT_EQ(node.last_request["method"], "getblockheader");
  EXPECT_EQ(node.last_request["params"][0], HASH);
  EXPECT_EQ(l1.get_balance()->value(), 4'999'999'859u);
  EXPECT_EQ(l1.estimate_smart_fee(2)->value().value(), 5000u);  // 20000 sat/kvB
  EXPECT_FALSE(l1.get_tx_out(Txid(), 0, true)->has_value());

  auto sent = l1.send_raw_transaction(Bytes{1, 2, 3});
  ASSERT_FALSE(sent);
  EXPECT_TRUE(sent.error().is_rpc(RpcCode::VerifyRejected));
  EXPECT_EQ(sent.error().message, "bad-txns-inputs-missingorspent");
  EXPECT_EQ(node.last_request["params"][0], "010203");

  auto unknown = l1.get_new_address();
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().is_rpc(RpcCode::MethodNotFound));

  node.answers["getblockcount"] = "not a number";
  EXPECT_EQ(l1.get_block_count().error().kind, ChainErrorKind::BadResponse);

  BitcoindL1 wrong(config_for(node.port, "alice", "guess"));
  EXPECT_EQ(wrong.get_block_count().error().kind, ChainErrorKind::Unauthorized);
}

TEST(BitcoindL1, CookieAuth) {
  FakeBitcoind node("__cookie__", "c0ffee");
  node.answers["getblockcount"] = 7;
  auto dir = std::filesystem::temp_directory_path() /
             ("fulgur-cookie-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / ".cookie") << "__cookie__:c0ffee";
  RpcConfig config;
  config.port = static_cast<uint16_t>(node.port);
  config.cookie_file = (dir / ".cookie").string();
  BitcoindL1 l1(config);
  EXPECT_EQ(*l1.get_block_count(), 7u);

  config.cookie_file = (dir / "missing").string();
  BitcoindL1 nocookie(config);
  EXPECT_EQ(nocookie.get_block_count().error().kind, ChainErrorKind::Config);
  std::filesystem::remove_all(dir);
}

TEST(BitcoindL1, TransportErrorWhenNobodyListens) {
  // Bind a port and close it again without listening: nothing answers there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  RpcConfig config;
  config.port = static_cast<uint16_t>(port);
  config.connect_timeout_ms = 500;
  config.read_timeout_ms = 500;
  BitcoindL1 l1(config);
  auto r = l1.get_block_count();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ChainErrorKind::Transport);
}
