// Random bytes and libsodium initialisation.
#include "crypto/random.h"

#include <sodium.h>

#include "common/assert.h"
#include "crypto/sodium_init.h"

namespace fulgur::crypto {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  FULGUR_ASSERT(ready);
}

void random_bytes(std::span<uint8_t> out) {
  ensure_sodium();
  randombytes_buf(out.data(), out.size());
}

}  // namespace fulgur::crypto
