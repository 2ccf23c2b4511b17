// BOLT 4 "Returning Errors": failure messages (every failure code and its data), the
// return packet built at the erring node, wrapped at each hop on the way back and decrypted
// at the origin to learn which hop failed; and the update_fail_malformed_htlc conversion.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "crypto/secret.h"
#include "onion/failure_code.h"

namespace fulgur::onion {

// The data fields a failure code may carry, in the spec's field names.
enum class FailureField {
  sha256_of_onion,    // sha256
  htlc_msat,          // u64
  cltv_expiry,        // u32
  height,             // u32
  incoming_htlc_amt,  // u64
  disabled_flags,     // u16
  channel_update,     // u16 len + len bytes (with its 0x0102 type prefix)
  type,               // bigsize (invalid_onion_payload's tlv type)
  offset,             // u16
};

// The fields `code` carries, in wire order (the declarative table of BOLT 4's list).
std::span<const FailureField> failure_fields(FailureCode code);

// A failuremsg: a 2-byte failure_code, that code's data, then an optional TLV stream.
// Only the fields failure_fields(code) names are meaningful; the others stay zero.
struct FailureMessage {
  uint16_t code = 0;
  Hash256 sha256_of_onion;
  Msat htlc_msat;
  BlockHeight cltv_expiry;
  BlockHeight height;
  Msat incoming_htlc_amt;
  uint16_t disabled_flags = 0;
  Bytes channel_update;
  uint64_t type = 0;
  uint16_t offset = 0;
  // Everything after the code's data: the TLV extension (for an unknown code, all data).
  Bytes extra;

  explicit FailureMessage(FailureCode c = FailureCode::temporary_node_failure)
      : code(to_u16(c)) {}
  std::optional<FailureCode> known_code() const { return failure_code_from_u16(code); }

  friend bool operator==(const FailureMessage&, const FailureMessage&) = default;
};

Bytes encode_failure_message(const FailureMessage& message);
// BOLT 4 (origin): "MUST ignore any extra bytes in failuremsg" -- they land in `extra`.
// Errors only when the code's own fields are truncated.
Result<FailureMessage> decode_failure_message(ByteSpan bytes);

// BOLT 4: pad so that failure_len + pad_len is (at least, and by default exactly) 256.
constexpr size_t FAILURE_PAD_TARGET = 256;
// update_fail_htlc carries the packet with a u16 length.
constexpr size_t MAX_FAILURE_MESSAGE_SIZE = 65535 - 32 - 4;

// At the erring node: hmac(um) || failure_len || failuremsg || pad_len || pad, obfuscated
// with the ammag stream. Error when the message is too large for update_fail_htlc.
Result<Bytes> create_failure_packet(const crypto::Secret32& shared_secret,
                                    ByteSpan failure_message);

// At each hop on the way back: obfuscate once more with this hop's ammag stream.
void wrap_failure_packet(const crypto::Secret32& shared_secret, MutableByteSpan packet);

// At the origin: which hop (0 = first hop after us) failed, and its message.
struct DecryptedFailure {
  size_t hop_index = 0;
  Bytes failure_message;  // raw failuremsg
  // Decoded; nothing when the erring hop sent a failuremsg that does not decode (it is
  // still attributed: the origin can penalise the hop that sent garbage).
  std::optional<FailureMessage> message;
};

// Peels the ammag layers hop by hop until one hop's um HMAC matches. Error when no hop's
// HMAC matches (a corrupted or forged packet) or the matching packet's framing is broken.
Result<DecryptedFailure> decrypt_failure_packet(std::span<const crypto::Secret32> shared_secrets,
                                                ByteSpan packet);

// The node that receives update_fail_malformed_htlc for an HTLC it forwarded turns it into
// a failure message that it encrypts itself (create_failure_packet with its own secret).
// Error (the peer broke BOLT 2: warn and fail the channel) when BADONION is not set.
Result<FailureMessage> failure_from_malformed(uint16_t failure_code,
                                              const Hash256& sha256_of_onion);

}  // namespace fulgur::onion
