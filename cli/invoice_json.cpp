// JSON for decoded BOLT 11 invoices (see invoice_json.h).
#include "invoice_json.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "common/hex.h"
#include "invoice/fallback.h"

namespace fulgur::cli {
namespace {

using nlohmann::json;
using namespace fulgur::invoice;

json fallbacks_json(const Invoice& inv) {
  json out = json::array();
  auto network = network_of(inv.currency);
  for (const Fallback& f : inv.fallbacks) {
    json entry = {{"version", f.version}, {"type", fallback_type(f)}};
    entry[f.version >= 17 ? "hash" : "program"] = to_hex(f.program);
    if (network) {
      auto address = fallback_address(f, *network);
      if (address.ok()) entry["address"] = *address;
    }
    out.push_back(entry);
  }
  return out;
}

json route_hints_json(const Invoice& inv) {
  json out = json::array();
  for (const RouteHint& route : inv.route_hints) {
    json hops = json::array();
    for (const RouteHintHop& hop : route) {
      hops.push_back({{"pubkey", hop.pubkey.to_hex()},
                      {"short_channel_id", hop.short_channel_id.to_string()},
                      {"fee_base_msat", hop.fee_base_msat},
                      {"fee_proportional_millionths", hop.fee_proportional_millionths},
                      {"cltv_expiry_delta", hop.cltv_expiry_delta}});
    }
    out.push_back(hops);
  }
  return out;
}

json features_json(const Features& features) {
  json out = json::array();
  for (size_t bit : features.set_bits()) {
    const wire::FeatureInfo* info = wire::feature_info(bit);
    out.push_back({{"bit", bit},
                   {"name", info ? json(std::string(info->name)) : json(nullptr)},
                   {"required", bit % 2 == 0}});
  }
  return out;
}

std::optional<std::string> network_name(const std::string& currency) {
  auto network = network_of(currency);
  if (!network) return std::nullopt;
  return std::string(bitcoin::to_string(*network));
}

}  // namespace

json invoice_to_json(const Invoice& inv) {
  json out;
  out["currency"] = inv.currency;
  auto network = network_name(inv.currency);
  out["network"] = network ? json(*network) : json(nullptr);
  out["amount_msat"] = inv.amount ? json(inv.amount->value()) : json(nullptr);
  out["timestamp"] = inv.timestamp;
  out["expiry"] = inv.expiry_seconds();
  out["expires_at"] = inv.timestamp + inv.expiry_seconds();
  out["min_final_cltv_expiry_delta"] = inv.min_final_cltv();
  out["payment_hash"] = inv.payment_hash.to_hex();
  out["payment_secret"] = inv.payment_secret ? json(inv.payment_secret->to_hex()) : json(nullptr);
  if (inv.description) out["description"] = *inv.description;
  if (inv.description_hash) out["description_hash"] = inv.description_hash->to_hex();
  out["payee"] = inv.payee.to_hex();
  out["payee_source"] = inv.payee_node_id ? "n_field" : "signature_recovery";
  out["features"] = features_json(inv.features);
  out["fallbacks"] = fallbacks_json(inv);
  out["route_hints"] = route_hints_json(inv);
  if (inv.metadata) out["payment_metadata"] = to_hex(*inv.metadata);
  json unknown = json::array();
  for (const RawField& field : inv.unknown_fields) {
    unknown.push_back({{"type", field.type}, {"data_length", field.data.size()}});
  }
  out["unknown_fields"] = unknown;
  return out;
}

CommandResult decode_invoice_command(std::string_view text) {
  std::string input(text);
  std::string lowered = input;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered.rfind("lightning:", 0) == 0) input.erase(0, 10);
  auto inv = decode_invoice(input);
  if (!inv.ok()) {
    return cli_fail("invalid_invoice",
                    std::string(to_string(inv.error().kind)) + ": " + inv.error().message);
  }
  return invoice_to_json(*inv);
}

}  // namespace fulgur::cli
