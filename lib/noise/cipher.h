// BOLT 8 after the handshake: the CipherState of one direction (key, nonce, chaining key,
// rotation every 1000 nonces) and the Transport pair that frames whole Lightning messages as
// encrypted length || encrypted body. Sans-I/O: bytes in, bytes out; buffers are the caller's.
#pragma once

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/secret.h"

namespace fulgur::noise {

// BOLT 8: "The *maximum* size of _any_ Lightning message MUST NOT exceed `65535` bytes."
constexpr size_t MAX_MESSAGE_SIZE = 65535;
constexpr size_t TAG_SIZE = 16;
constexpr size_t LENGTH_HEADER_SIZE = 2 + TAG_SIZE;  // encrypted 2-byte length and its MAC
// The bytes one message of `length` bytes occupies on the wire.
constexpr size_t frame_size(size_t length) { return LENGTH_HEADER_SIZE + length + TAG_SIZE; }
// BOLT 8: "A key is to be rotated after a party sends or decrypts 1000 messages with it."
constexpr uint64_t KEY_ROTATION_INTERVAL = 1000;

// One direction's key with its nonce and its own copy of the chaining key. Move-only.
class CipherState {
 public:
  CipherState(crypto::Secret32 key, crypto::Secret32 chaining_key)
      : m_key(std::move(key)), m_ck(std::move(chaining_key)) {}

  // ChaCha20-Poly1305 with an empty AD; `out` is plaintext.size() + 16 bytes.
  void encrypt(ByteSpan plaintext, MutableByteSpan out);
  // False (out zeroed) for a bad MAC. The nonce advances only on success: a failed
  // decryption ends the connection anyway.
  [[nodiscard]] bool decrypt(ByteSpan ciphertext, MutableByteSpan out);

  uint64_t nonce() const { return m_nonce; }

 private:
  void advance();
  crypto::Secret32 m_key;
  crypto::Secret32 m_ck;
  uint64_t m_nonce = 0;
};

// The two cipher states of an established session, and the message framing of BOLT 8.
class Transport {
 public:
  Transport(CipherState send, CipherState receive)
      : m_send(std::move(send)), m_receive(std::move(receive)) {}

  // Writes lc || c for `message` into `out` (frame_size(message.size()) bytes).
  // Errors (nothing written, no nonce used) when the message exceeds 65535 bytes.
  Status encrypt_message(ByteSpan message, MutableByteSpan out);
  Result<Bytes> encrypt_message(ByteSpan message);

  // The body length `l` from the 18-byte encrypted length prefix `lc`. After it, exactly
  // l + 16 bytes of body follow on the wire.
  Result<uint16_t> decrypt_length(ByteSpan lc);
  // Decrypts the l + 16 bytes after the length prefix into `out` (l bytes).
  Status decrypt_body(ByteSpan c, MutableByteSpan out);
  Result<Bytes> decrypt_body(ByteSpan c);

  uint64_t send_nonce() const { return m_send.nonce(); }
  uint64_t receive_nonce() const { return m_receive.nonce(); }

 private:
  CipherState m_send;
  CipherState m_receive;
};

}  // namespace fulgur::noise
