// channeld's own options (beside lib/daemon's common ones), read from fulgur.conf and the
// command line: where it listens for peers, how it reaches the L1 (bitcoind's JSON-RPC or
// l1sim), and its channel policy. Turned into a NodeConfig and an RpcConfig here so that
// main.cpp stays a few lines.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "chain/rpc_client.h"
#include "channeld/node.h"
#include "daemon/options.h"

namespace fulgur::channeld {

struct ChanneldOptions {
  std::string bind_addr = "127.0.0.1:9735";
  bool listen = true;
  std::string rpc_host = "127.0.0.1";
  uint16_t rpc_port = 18443;
  std::string rpc_user;
  std::string rpc_password;
  std::string rpc_cookie;
  std::string rpc_wallet;
  uint32_t commit_feerate = 2500;
  uint32_t funding_feerate = 0;
  uint32_t closing_feerate = 1000;
  uint16_t to_self_delay = 144;
  uint32_t minimum_depth = 3;
  bool allow_anchors = true;
  uint32_t final_cltv_delta = 40;
  // Forwarding policy (BOLT 7 channel_update fields) and receiving.
  uint64_t fee_base_msat = 1000;
  uint32_t fee_proportional_millionths = 1;
  uint32_t cltv_expiry_delta = 34;
  uint64_t htlc_minimum_msat = 1;
  uint64_t htlc_maximum_msat = 0;  // 0: no limit beyond the channel's
  uint64_t mpp_timeout_s = 60;
  bool accept_keysend = true;
  uint64_t reconnect_min_ms = 500;
  uint64_t reconnect_max_ms = 60'000;
  uint64_t block_poll_ms = 1000;
  uint32_t sweep_feerate_floor = 253;
  bool dev_allow_cheat = false;
  bool dev_hold_htlcs = false;
};

void add_channeld_options(CLI::App& app, ChanneldOptions& options);

// The node's configuration from the options; errors name the bad option.
Result<NodeConfig> node_config(const ChanneldOptions& options, const daemon::CommonOptions& common);
// The L1 client's configuration, or nothing when no L1 credentials are configured (then
// channels cannot be funded and blocks are not followed).
std::optional<chain::RpcConfig> l1_config(const ChanneldOptions& options);

}  // namespace fulgur::channeld
