// BOLT 8 message encryption, decryption and key rotation; see cipher.h.
#include "noise/cipher.h"

#include <sodium/utils.h>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "noise/hkdf2.h"

namespace fulgur::noise {

void CipherState::encrypt(ByteSpan plaintext, MutableByteSpan out) {
  crypto::aead_encrypt(m_key.expose(), crypto::bolt8_nonce(m_nonce), {}, plaintext, out);
  advance();
}

bool CipherState::decrypt(ByteSpan ciphertext, MutableByteSpan out) {
  if (!crypto::aead_decrypt(m_key.expose(), crypto::bolt8_nonce(m_nonce), {}, ciphertext, out)) {
    return false;
  }
  advance();
  return true;
}

void CipherState::advance() {
  ++m_nonce;
  // BOLT 8: "This can be properly accounted for by rotating the key once the nonce dedicated
  // to it exceeds 1000." ... "`ck', k' = HKDF(ck, k)`", "Reset the nonce for the key to n=0".
  if (m_nonce < KEY_ROTATION_INTERVAL) return;
  auto [ck, key] = hkdf2(m_ck.expose(), m_key.expose());
  m_ck = std::move(ck);
  m_key = std::move(key);
  m_nonce = 0;
}

Status Transport::encrypt_message(ByteSpan message, MutableByteSpan out) {
  // BOLT 8: "The *maximum* size of _any_ Lightning message MUST NOT exceed `65535` bytes."
  if (message.size() > MAX_MESSAGE_SIZE) {
    return fail("message of " + std::to_string(message.size()) + " bytes exceeds 65535",
                PeerAction::None);
  }
  FULGUR_REQUIRE(out.size() == frame_size(message.size()));
  // BOLT 8: "Serialize `l` into 2 bytes encoded as a big-endian integer."
  std::array<uint8_t, 2> length{static_cast<uint8_t>(message.size() >> 8),
                                static_cast<uint8_t>(message.size())};
  m_send.encrypt(length, out.first(LENGTH_HEADER_SIZE));
  m_send.encrypt(message, out.subspan(LENGTH_HEADER_SIZE));
  return {};
}

Result<Bytes> Transport::encrypt_message(ByteSpan message) {
  if (message.size() > MAX_MESSAGE_SIZE) {
    return fail("message of " + std::to_string(message.size()) + " bytes exceeds 65535");
  }
  Bytes out(frame_size(message.size()));
  FULGUR_TRY_STATUS(encrypt_message(message, out));
  return out;
}

Result<uint16_t> Transport::decrypt_length(ByteSpan lc) {
  // BOLT 8: "Read _exactly_ 18 bytes from the network buffer."
  if (lc.size() != LENGTH_HEADER_SIZE) {
    return fail("encrypted length prefix must be 18 bytes", PeerAction::Disconnect);
  }
  std::array<uint8_t, 2> length{};
  if (!m_receive.decrypt(lc, length)) {
    return fail("bad MAC on the message length", PeerAction::Disconnect);
  }
  return static_cast<uint16_t>((length[0] << 8) | length[1]);
}

Status Transport::decrypt_body(ByteSpan c, MutableByteSpan out) {
  if (c.size() < TAG_SIZE || c.size() - TAG_SIZE > MAX_MESSAGE_SIZE) {
    return fail("encrypted body of " + std::to_string(c.size()) + " bytes is out of range",
                PeerAction::Disconnect);
  }
  FULGUR_REQUIRE(out.size() == c.size() - TAG_SIZE);
  if (!m_receive.decrypt(c, out)) return fail("bad MAC on the message body", PeerAction::Disconnect);
  return {};
}

Result<Bytes> Transport::decrypt_body(ByteSpan c) {
  if (c.size() < TAG_SIZE || c.size() - TAG_SIZE > MAX_MESSAGE_SIZE) {
    return fail("encrypted body of " + std::to_string(c.size()) + " bytes is out of range",
                PeerAction::Disconnect);
  }
  Bytes out(c.size() - TAG_SIZE);
  FULGUR_TRY_STATUS(decrypt_body(c, out));
  return out;
}

}  // namespace fulgur::noise
