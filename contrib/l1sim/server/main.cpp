// l1sim: a regtest Bitcoin node speaking bitcoind's JSON-RPC, for Fulgur's demo and tests.
// Reading order: main() parses flags and opens the data directory (server/store.h), loads
// the chain and wallet (server/node.cpp, core/chainstate.h), then serves HTTP here; the
// methods are in server/rpc_chain.cpp and server/rpc_wallet.cpp.
#include <CLI/CLI.hpp>
#include <httplib.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "core/script_verify.h"
#include "crypto/random.h"
#include "server/node.h"
#include "server/rpc.h"

using namespace fulgur;
using namespace fulgur::l1sim;

namespace {

httplib::Server* g_server = nullptr;  // for the signal handler only

void on_signal(int) {
  if (g_server) g_server->stop();
}

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += table[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += table[(acc << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void serve(httplib::Server& server, Node& node, const std::string& auth_header) {
  auto handler = [&node, auth_header](const httplib::Request& req, httplib::Response& res) {
    if (!constant_time_equal(req.get_header_value("Authorization"), auth_header)) {
      node.log->warn("rejected a request with wrong RPC credentials");
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"jsonrpc\"");
      return;
    }
    // bitcoind's multiwallet endpoint: /wallet/<name> (httplib hands the path decoded);
    // "/" addresses the default wallet.
    std::string wallet = req.path.rfind("/wallet/", 0) == 0 ? req.path.substr(8) : "";
    auto [status, body] = handle_rpc_body(node, wallet, req.body);
    res.status = status;
    res.set_content(body, "application/json");
  };
  server.Post("/", handler);
  server.Post(R"(/wallet/.*)", handler);
  auto only_post = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("JSONRPC server handles only POST requests", "text/html");
  };
  server.Get(R"(/.*)", only_post);
  server.set_payload_max_length(32 * 1024 * 1024);
  server.set_read_timeout(30, 0);
  server.set_keep_alive_max_count(1000);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"l1sim: a regtest Bitcoin node speaking bitcoind's JSON-RPC"};
  std::string datadir;
  int port = 18443;
  std::string user, password, log_level = "info";
  double fallback_fee = 0.0002;
  app.add_option("--datadir", datadir, "data directory (chain, wallet, cookie, port file)")->required();
  app.add_option("--rpcport", port, "port on 127.0.0.1; 0 picks a free one")->check(CLI::Range(0, 65535));
  app.add_option("--rpcuser", user, "RPC user (without it, a .cookie file is written)");
  app.add_option("--rpcpassword", password, "RPC password");
  app.add_option("--fallbackfee", fallback_fee, "estimatesmartfee's answer and the wallet's feerate, BTC/kvB");
  app.add_option("--loglevel", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);

  auto store = Store::open(datadir);
  if (!store) {
    std::fprintf(stderr, "l1sim: %s\n", store.error().message.c_str());
    return 1;
  }
  auto file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
      (store->network_dir() / "l1sim.log").string());
  auto err_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("l1sim", spdlog::sinks_init_list{file_sink, err_sink});
  log->set_level(spdlog::level::from_str(log_level));
  log->flush_on(spdlog::level::info);

  Node node(std::move(*store), make_input_verifier(), [] { return crypto::SecretKey::random(); });
  node.log = log;
  node.fallback_fee_sat_per_kvb = static_cast<uint64_t>(std::llround(fallback_fee * 1e8));
  if (auto loaded = node.load(); !loaded) {
    log->error("cannot load {}: {}", datadir, loaded.error().message);
    return 1;
  }
  if (user.empty()) {
    auto cookie = node.store.write_cookie();
    if (!cookie) {
      log->error("{}", cookie.error().message);
      return 1;
    }
    user = "__cookie__";
    password = *cookie;
  }
  httplib::Server server;
  serve(server, node, "Basic " + base64(user + ":" + password));
  // `stop` answers first; a helper thread then stops the server (joined below).
  std::thread stopper;
  node.request_stop = [&server, &stopper] {
    if (!stopper.joinable()) stopper = std::thread([&server] { server.stop(); });
  };
  int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    log->error("cannot listen on 127.0.0.1:{}", port);
    return 1;
  }
  if (auto st = node.store.write_port(static_cast<uint16_t>(bound)); !st) {
    log->error("{}", st.error().message);
    return 1;
  }
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  log->info("listening on 127.0.0.1:{} (height {})", bound, node.chain.height());
  std::printf("l1sim listening on 127.0.0.1:%d\n", bound);
  std::fflush(stdout);
  server.listen_after_bind();
  g_server = nullptr;
  if (stopper.joinable()) stopper.join();
  node.store.remove_cookie();
  log->info("stopped");
  return 0;
}
