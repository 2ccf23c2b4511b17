// Fuzz target: hex decoding. Decoded output must re-encode to the (lowercased) input.
#include <cctype>
#include <string>

#include "common/assert.h"
#include "common/hex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto decoded = fulgur::from_hex(text);
  if (decoded.ok()) {
    std::string lower = text;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    FULGUR_ASSERT(fulgur::to_hex(*decoded) == lower);
  }
  return 0;
}
