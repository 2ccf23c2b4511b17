// ChaCha20-Poly1305 (IETF, RFC 8439) and the bare ChaCha20 stream, as BOLT 8 (transport)
// and BOLT 4 (onion streams) use them. Output buffers are the caller's, so the transport's
// hot path allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/bytes.h"

namespace fulgur::crypto {

using Key32 = std::span<const uint8_t, 32>;
using Nonce12 = std::array<uint8_t, 12>;

constexpr size_t AEAD_TAG_SIZE = 16;

// BOLT 8: a 96-bit nonce of 32 zero bits followed by the little-endian 64-bit counter.
Nonce12 bolt8_nonce(uint64_t counter);

// Writes ciphertext || 16-byte tag to `out` (size plaintext.size() + 16).
void aead_encrypt(Key32 key, const Nonce12& nonce, ByteSpan associated_data, ByteSpan plaintext,
                  MutableByteSpan out);
Bytes aead_encrypt(Key32 key, const Nonce12& nonce, ByteSpan associated_data, ByteSpan plaintext);

// Verifies the tag and writes the plaintext to `out` (size ciphertext.size() - 16).
// False, with `out` zeroed, when the input is shorter than a tag or the tag is wrong.
[[nodiscard]] bool aead_decrypt(Key32 key, const Nonce12& nonce, ByteSpan associated_data,
                                ByteSpan ciphertext, MutableByteSpan out);

// XORs `in` with the ChaCha20 keystream starting at block `counter` (RFC 8439 2.4).
void chacha20_xor(Key32 key, const Nonce12& nonce, uint32_t counter, ByteSpan in,
                  MutableByteSpan out);
// Fills `out` with the keystream (BOLT 4 generates its padding and filler this way).
void chacha20_keystream(Key32 key, const Nonce12& nonce, MutableByteSpan out);

}  // namespace fulgur::crypto
