// The routes fulgur-cli takes for `pay --route` and `keysend --route`, as JSON (routerd will
// find routes later; until then the caller gives them). Two forms:
//   one part:  [{"node_id": "02..", "short_channel_id": "103x1x0"}, {"node_id": "03..",
//               "short_channel_id": "105x2x1", "fee_base_msat": 1000,
//               "fee_proportional_millionths": 1, "cltv_expiry_delta": 34}, ...]
//   parts:     [{"amount_msat": 60000, "route": [hops...]}, {"amount_msat": 40000, ...}]
// Hop fields besides node_id and short_channel_id default to 0 (htlc_maximum_msat 0: none);
// hop 0's fee and delta are ignored (we do not pay ourselves). Unknown fields are refused.
// Parsing only: channeld checks node ids, channel ids and amounts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"

namespace fulgur::cli {

struct RouteHopArg {
  std::string node_id;
  std::string short_channel_id;
  uint64_t fee_base_msat = 0;
  uint32_t fee_proportional_millionths = 0;
  uint32_t cltv_expiry_delta = 0;
  uint64_t htlc_minimum_msat = 0;
  uint64_t htlc_maximum_msat = 0;
};

struct RoutePartArg {
  uint64_t amount_msat = 0;  // 0: the whole payment
  std::vector<RouteHopArg> hops;
};

// Errors have code "bad_argument" and say what is wrong where.
Result<std::vector<RoutePartArg>, CliError> parse_route_json(std::string_view text);

}  // namespace fulgur::cli
