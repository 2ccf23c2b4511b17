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
  app.add_option("--fee-base-msat", o.fee_base_msat,
                 "forwarding fee: base per HTLC, in millisatoshis")->capture_default_str();
  app.add_option("--fee-proportional-millionths", o.fee_proportional_millionths,
                 "forwarding fee: millionths of the amount forwarded")->capture_default_str();
  app.add_option("--cltv-expiry-delta", o.cltv_expiry_delta,
                 "blocks we require between an incoming HTLC's expiry and the one we forward")
      ->capture_default_str();
  app.add_option("--htlc-minimum-msat", o.htlc_minimum_msat,
                 "the smallest HTLC we forward")->capture_default_str();
  app.add_option("--htlc-maximum-msat", o.htlc_maximum_msat,
                 "the largest HTLC we forward (0: only the channel's limits)")->capture_default_str();
  app.add_option("--mpp-timeout-s", o.mpp_timeout_s,
                 "seconds an incomplete multi-part payment is held before it fails")
      ->capture_default_str();
  app.add_option("--accept-keysend", o.accept_keysend, "accept keysend payments (true/false)")
      ->capture_default_str();
  app.add_option("--reconnect-min-ms", o.reconnect_min_ms, "first redial delay after a drop")
      ->capture_default_str();
  app.add_option("--reconnect-max-ms", o.reconnect_max_ms, "longest redial delay")
      ->capture_default_str();
  app.add_option("--block-poll-ms", o.block_poll_ms, "how often the L1 tip is polled")
      ->capture_default_str();
  app.add_option("--sweep-feerate-floor-perkw", o.sweep_feerate_floor,
                 "the least feerate of on-chain claims (sweeps, penalties); else the L1's "
                 "estimate")->capture_default_str();
  app.add_option("--dev-allow-cheat", o.dev_allow_cheat,
                 "DEVELOPMENT ONLY: allow dev-signed-commitment (hands out our commitment, "
                 "which is a way to cheat once it is revoked)")->capture_default_str();
  app.add_option("--dev-hold-htlcs", o.dev_hold_htlcs,
                 "DEVELOPMENT ONLY: keep HTLCs paid to us in flight (never settled off chain)")
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
  // The wire fields of channel_update: fee_base_msat is a u32, cltv_expiry_delta a u16.
  if (o.fee_base_msat > UINT32_MAX) return fail("--fee-base-msat above 4294967295");
  if (o.cltv_expiry_delta == 0 || o.cltv_expiry_delta > UINT16_MAX) {
    return fail("--cltv-expiry-delta must be between 1 and 65535");
  }
  if (o.htlc_maximum_msat != 0 && o.htlc_maximum_msat < o.htlc_minimum_msat) {
    return fail("--htlc-maximum-msat below --htlc-minimum-msat");
  }
  if (o.mpp_timeout_s == 0) return fail("--mpp-timeout-s must be positive");
  c.policy.fee_base_msat = Msat(o.fee_base_msat);
  c.policy.fee_proportional_millionths = o.fee_proportional_millionths;
  c.policy.cltv_expiry_delta = CltvDelta(o.cltv_expiry_delta);
  c.policy.htlc_minimum_msat = Msat(o.htlc_minimum_msat);
  c.policy.htlc_maximum_msat = o.htlc_maximum_msat == 0 ? Msat::max() : Msat(o.htlc_maximum_msat);
  c.mpp_timeout_s = o.mpp_timeout_s;
  c.accept_keysend = o.accept_keysend;
  c.sweep_feerate_floor = FeeratePerKw(std::max<uint32_t>(o.sweep_feerate_floor, 253));
  c.dev_allow_cheat = o.dev_allow_cheat;
  c.dev_hold_htlcs = o.dev_hold_htlcs;
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
