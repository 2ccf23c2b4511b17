// UTF-8 validation for BOLT 11 descriptions.
#include "invoice/utf8.h"

namespace fulgur::invoice::detail {

bool is_valid_utf8(ByteSpan bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    uint8_t b = bytes[i];
    size_t extra = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      extra = 1, cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      extra = 2, cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      extra = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((bytes[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (bytes[i + k] & 0x3f);
    }
    static constexpr uint32_t MIN_FOR_LENGTH[] = {0, 0x80, 0x800, 0x10000};
    if (cp < MIN_FOR_LENGTH[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace fulgur::invoice::detail
