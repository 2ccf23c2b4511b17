// Fuzz target: fulgur-cli's --route JSON (the user's input): any bytes give routes or a
// bad_argument error, never a crash; every part it accepts has hops with both ids.
#include <string_view>

#include "common/assert.h"
#include "route_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = fulgur::cli::parse_route_json(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parts) {
    FULGUR_ASSERT(parts.error().code == "bad_argument");
    return 0;
  }
  FULGUR_ASSERT(!parts->empty());
  for (const auto& part : *parts) {
    FULGUR_ASSERT(!part.hops.empty());
    for (const auto& hop : part.hops) FULGUR_ASSERT(!hop.node_id.empty() && !hop.short_channel_id.empty());
  }
  return 0;
}
