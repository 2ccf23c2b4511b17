// Fixed keys of the BOLT 8 test vectors, so that the fuzz targets are deterministic and the
// seed corpus (the spec's acts) reaches the deep branches.
#pragma once

#include <array>

#include "common/assert.h"
#include "crypto/keys.h"

namespace fulgur::fuzz {

inline crypto::SecretKey key_of(uint8_t byte) {
  std::array<uint8_t, 32> raw{};
  raw.fill(byte);
  auto key = crypto::SecretKey::from_bytes(raw);
  FULGUR_ASSERT(key.ok());
  return std::move(key).value();
}

// Initiator: ls = 0x11.., e = 0x12..; responder: ls = 0x21.., e = 0x22.. (as in the spec).
inline crypto::SecretKey initiator_static() { return key_of(0x11); }
inline crypto::SecretKey initiator_ephemeral() { return key_of(0x12); }
inline crypto::SecretKey responder_static() { return key_of(0x21); }
inline crypto::SecretKey responder_ephemeral() { return key_of(0x22); }

}  // namespace fulgur::fuzz
