// Hex encoding and decoding. Decoding bad input returns an error naming what is wrong.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fulgur {

std::string to_hex(std::span<const uint8_t> bytes);

// Accepts upper and lower case; rejects odd lengths and non-hex characters.
Result<std::vector<uint8_t>> from_hex(std::string_view hex);

}  // namespace fulgur
