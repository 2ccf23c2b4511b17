// `--route` JSON (see route_json.h).
#include "route_json.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace fulgur::cli {

namespace {
using nlohmann::json;

Unexpected<CliError> bad(const std::string& what) { return cli_fail("bad_argument", "--route: " + what); }

template <typename T>
Result<T, CliError> unsigned_field(const json& value, const std::string& where) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > std::numeric_limits<T>::max()) {
    return bad(where + " must be an unsigned integer that fits in " +
               std::to_string(sizeof(T) * 8) + " bits");
  }
  return static_cast<T>(value.get<uint64_t>());
}

Result<RouteHopArg, CliError> parse_hop(const json& j, const std::string& where) {
  if (!j.is_object()) return bad(where + " must be an object");
  RouteHopArg hop;
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + "." + key;
    if (key == "node_id" || key == "short_channel_id") {
      if (!value.is_string()) return bad(at + " must be a string");
      (key == "node_id" ? hop.node_id : hop.short_channel_id) = value.get<std::string>();
    } else if (key == "fee_base_msat") {
      FULGUR_TRY(hop.fee_base_msat, unsigned_field<uint64_t>(value, at));
    } else if (key == "fee_proportional_millionths") {
      FULGUR_TRY(hop.fee_proportional_millionths, unsigned_field<uint32_t>(value, at));
    } else if (key == "cltv_expiry_delta") {
      FULGUR_TRY(hop.cltv_expiry_delta, unsigned_field<uint32_t>(value, at));
    } else if (key == "htlc_minimum_msat") {
      FULGUR_TRY(hop.htlc_minimum_msat, unsigned_field<uint64_t>(value, at));
    } else if (key == "htlc_maximum_msat") {
      FULGUR_TRY(hop.htlc_maximum_msat, unsigned_field<uint64_t>(value, at));
    } else {
      return bad("unknown field " + at);
    }
  }
  if (hop.node_id.empty()) return bad(where + ": node_id missing");
  if (hop.short_channel_id.empty()) return bad(where + ": short_channel_id missing");
  return hop;
}

Result<std::vector<RouteHopArg>, CliError> parse_hops(const json& j, const std::string& where) {
  if (!j.is_array() || j.empty()) return bad(where + " must be a non-empty array of hops");
  std::vector<RouteHopArg> hops;
  for (size_t i = 0; i < j.size(); ++i) {
    FULGUR_TRY(RouteHopArg hop, parse_hop(j[i], where + "[" + std::to_string(i) + "]"));
    hops.push_back(std::move(hop));
  }
  return hops;
}
}  // namespace

Result<std::vector<RoutePartArg>, CliError> parse_route_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_array() || j.empty()) return bad("must be a non-empty array (of hops, or of parts)");
  std::vector<RoutePartArg> parts;
  if (j[0].is_object() && j[0].contains("route")) {
    for (size_t i = 0; i < j.size(); ++i) {
      const std::string where = "part " + std::to_string(i);
      const json& p = j[i];
      if (!p.is_object() || !p.contains("route")) return bad(where + " needs a route");
      RoutePartArg part;
      for (const auto& [key, value] : p.items()) {
        if (key == "amount_msat") {
          FULGUR_TRY(part.amount_msat, unsigned_field<uint64_t>(value, where + ".amount_msat"));
        } else if (key == "route") {
          FULGUR_TRY(part.hops, parse_hops(value, where + ".route"));
        } else {
          return bad("unknown field " + where + "." + key);
        }
      }
      parts.push_back(std::move(part));
    }
    return parts;
  }
  RoutePartArg one;
  FULGUR_TRY(one.hops, parse_hops(j, "route"));
  parts.push_back(std::move(one));
  return parts;
}

}  // namespace fulgur::cli
