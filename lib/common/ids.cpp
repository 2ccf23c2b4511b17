// ShortChannelId text form and packing.
#include "common/ids.h"

#include <charconv>

namespace fulgur {

std::optional<ShortChannelId> ShortChannelId::from_parts(uint32_t block, uint32_t tx_index,
                                                         uint16_t output_index) {
  if (block > MAX_BLOCK || tx_index > MAX_TX_INDEX) return std::nullopt;
  return ShortChannelId(uint64_t{block} << 40 | uint64_t{tx_index} << 16 | output_index);
}

namespace {
// One decimal field of at most `max`; digits only (no sign, no spaces).
Result<uint32_t> parse_field(std::string_view text, uint32_t max, const char* name) {
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return fail(std::string("short_channel_id: ") + name + " is not a decimal number");
  }
  if (value > max) {
    return fail(std::string("short_channel_id: ") + name + " " + std::to_string(value) +
                " exceeds " + std::to_string(max));
  }
  return value;
}
}  // namespace

Result<ShortChannelId> ShortChannelId::parse(std::string_view text) {
  size_t x1 = text.find('x');
  size_t x2 = x1 == std::string_view::npos ? x1 : text.find('x', x1 + 1);
  if (x2 == std::string_view::npos || text.find('x', x2 + 1) != std::string_view::npos) {
    return fail("short_channel_id must look like BLOCKxTXxOUT, e.g. 539268x845x1");
  }
  FULGUR_TRY(uint32_t block, parse_field(text.substr(0, x1), MAX_BLOCK, "block height"));
  FULGUR_TRY(uint32_t tx, parse_field(text.substr(x1 + 1, x2 - x1 - 1), MAX_TX_INDEX,
                                      "transaction index"));
  FULGUR_TRY(uint32_t out, parse_field(text.substr(x2 + 1), 0xffff, "output index"));
  return *from_parts(block, tx, static_cast<uint16_t>(out));
}

std::string ShortChannelId::to_string() const {
  return std::to_string(block()) + "x" + std::to_string(tx_index()) + "x" +
         std::to_string(output_index());
}

}  // namespace fulgur
