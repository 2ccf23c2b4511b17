// channeld's options (see options.h).
#include "channeld/options.h"

namespace fulgur::channeld {

void add_channeld_options(CLI::App& app, ChanneldOptions& o) {
  app.add_option("--bind-addr", o.bind_addr, "host:port to listen on for peers (port 0: any)")
      ->capture_default_str();
  app.add_option("--listen", o.listen, "accept connections from peers (true/false)")
      ->capture_default_str();
  app.add_option("--bitcoind-rpchost", o.rpc_host, "the L1 node's JSON-RPC host (bitcoind or l1sim)")
      ->capture_default_str();
  app.add_option("--bitcoind-rpcport", o.rpc_port, "the L1 node's JSON-RPC port")
      ->capture_default_str();
  app.add_option("--bitcoind-rpcuser", o.rpc_user, "JSON-RPC user (with --bitcoind-rpcpassword)");
  app.add_option("--bitcoind-rpcpassword", o.rpc_password, "JSON-RPC password");
  app.add_option("--bitcoind-rpccookie", o.rpc_cookie,
                 "bitcoind's .cookie file (instead of user and password)");
  app.add_option("--bitcoind-wallet", o.rpc_wallet, "the L1 wallet to use (bitcoind -rpcwallet)");
  app.add_option("--commit-feerate-perkw", o.commit_feerate,
                 "feerate of the commitments of channels we open")->capture_default_str();
  app.add_option("--funding-feerate-satvb", o.funding_feerate,
                 "feerate of funding transactions (0: the L1 wallet's)")->capture_default_str();
  app.add_option("--closing-feerate-perkw", o.closing_feerate,
                 "feerate we propose for mutual closes")->capture_default_str();
  app.add_option("--to-self-delay", o.to_self_delay, "blocks we make the peer wait for its funds")
      ->capture_default_str();
  app.add_option("--minimum-depth", o.minimum_depth,
                 "confirmations we require of a peer's funding transaction")->capture_default_str();
  app.add_option("--allow-anchors", o.allow_anchors, "accept and offer anchor channels")
      ->capture_default_str();
  app.add_option("--final-cltv-delta", o.final_cltv_delta,
                 "blocks until a keysend HTLC we send expires")->capture_default_str();
  app.add_option("--reconnect-min-ms", o.reconnect_min_ms, "first redial delay after a drop")
      ->capture_default_str();
  app.add_option("--reconnect-max-ms", o.reconnect_max_ms, "longest redial delay")
      ->capture_default_str();
  app.add_option("--block-poll-ms", o.block_poll_ms, "how often the L1 tip is polled")
      ->capture_default_str();
}

Result<NodeConfig> node_config(const ChanneldOptions& o, const daemon::CommonOptions& common) {
  NodeConfig c;
  c.datadir = common.datadir;
  if (common.network == "regtest") {
    c.network = bitcoin::Network::Regtest;
  } else if (common.network == "signet") {
    c.network = bitcoin::Network::Signet;
  } else if (common.network == "testnet") {
    c.network = bitcoin::Network::Testnet;
  } else if (common.network == "mainnet") {
    c.network = bitcoin::Network::Main;
  } else {
    return fail("unknown network " + common.network);
  }
  auto bind = PeerAddress::parse(o.bind_addr, true);
  if (!bind) return fail("--bind-addr: " + bind.error().message);
  c.bind_host = bind->host;
  c.bind_port = bind->port;
  c.listen = o.listen;
  c.commit_feerate = FeeratePerKw(o.commit_feerate);
  c.funding_feerate_sat_per_vb = o.funding_feerate;
  c.channel.closing_feerate = FeeratePerKw(o.closing_feerate);
  c.channel.to_self_delay = o.to_self_delay;
  c.channel.minimum_depth = o.minimum_depth;
  c.channel.allow_anchors = o.allow_anchors;
  c.final_cltv_delta = o.final_cltv_delta;
  c.peers.reconnect_min_ms = o.reconnect_min_ms;
  c.peers.reconnect_max_ms = std::max(o.reconnect_max_ms, o.reconnect_min_ms);
  c.block_poll_ms = std::max<uint64_t>(o.block_poll_ms, 50);
  if (c.commit_feerate < c.channel.min_feerate || c.commit_feerate > c.channel.max_feerate) {
    return fail("--commit-feerate-perkw outside " + to_string(c.channel.min_feerate) + ".." +
                to_string(c.channel.max_feerate));
  }
  return c;
}

std::optional<chain::RpcConfig> l1_config(const ChanneldOptions& o) {
  if (o.rpc_user.empty() && o.rpc_cookie.empty()) return std::nullopt;
  chain::RpcConfig c;
  c.host = o.rpc_host;
  c.port = o.rpc_port;
  c.user = o.rpc_user;
  c.password = o.rpc_password;
  c.cookie_file = o.rpc_cookie;
  c.wallet = o.rpc_wallet;
  return c;
}

}  // namespace fulgur::channeld
