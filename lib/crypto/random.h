// Cryptographically secure random bytes (libsodium's randombytes: getrandom(2)).
#pragma once

#include <cstdint>
#include <span>

#include "crypto/secret.h"

namespace fulgur::crypto {

void random_bytes(std::span<uint8_t> out);

template <size_t N>
Secret<N> random_secret() {
  Secret<N> out;
  random_bytes(out.expose_mut());
  return out;
}

}  // namespace fulgur::crypto
