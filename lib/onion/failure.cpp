// BOLT 4 failure messages and the encrypted return packet.
#include "onion/failure.h"

#include <sodium/utils.h>

#include <algorithm>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "onion/sphinx.h"
#include "wire/codec.h"

namespace fulgur::onion {
namespace {

using F = FailureField;

constexpr F SHA256_ONLY[] = {F::sha256_of_onion};
constexpr F UPDATE_ONLY[] = {F::channel_update};
constexpr F AMOUNT_UPDATE[] = {F::htlc_msat, F::channel_update};
constexpr F CLTV_UPDATE[] = {F::cltv_expiry, F::channel_update};
constexpr F PAYMENT_DETAILS[] = {F::htlc_msat, F::height};
constexpr F CLTV_ONLY[] = {F::cltv_expiry};
constexpr F INCOMING_AMOUNT[] = {F::incoming_htlc_amt};
constexpr F DISABLED[] = {F::disabled_flags, F::channel_update};
constexpr F PAYLOAD_FIELDS[] = {F::type, F::offset};

void write_field(wire::Writer& out, const FailureMessage& m, F field) {
  switch (field) {
    case F::sha256_of_onion: out.bytes(m.sha256_of_onion.span()); break;
    case F::htlc_msat: out.u64(m.htlc_msat.value()); break;
    case F::cltv_expiry: out.u32(m.cltv_expiry.value()); break;
    case F::height: out.u32(m.height.value()); break;
    case F::incoming_htlc_amt: out.u64(m.incoming_htlc_amt.value()); break;
    case F::disabled_flags: out.u16(m.disabled_flags); break;
    case F::channel_update:
      out.u16(static_cast<uint16_t>(m.channel_update.size()));
      out.bytes(m.channel_update);
      break;
    case F::type: out.bigsize(m.type); break;
    case F::offset: out.u16(m.offset); break;
  }
}

Status read_field(wire::Reader& in, FailureMessage& m, F field) {
  switch (field) {
    case F::sha256_of_onion: {
      FULGUR_TRY(ByteSpan hash, in.bytes(32));
      m.sha256_of_onion = *Hash256::from_span(hash);
      return {};
    }
    case F::htlc_msat: {
      FULGUR_TRY(uint64_t v, in.u64());
      m.htlc_msat = Msat(v);
      return {};
    }
    case F::cltv_expiry: {
      FULGUR_TRY(uint32_t v, in.u32());
      m.cltv_expiry = BlockHeight(v);
      return {};
    }
    case F::height: {
      FULGUR_TRY(uint32_t v, in.u32());
      m.height = BlockHeight(v);
      return {};
    }
    case F::incoming_htlc_amt: {
      FULGUR_TRY(uint64_t v, in.u64());
      m.incoming_htlc_amt = Msat(v);
      return {};
    }
    case F::disabled_flags: {
      FULGUR_TRY(m.disabled_flags, in.u16());
      return {};
    }
    case F::channel_update: {
      FULGUR_TRY(uint16_t len, in.u16());
      FULGUR_TRY(ByteSpan update, in.bytes(len));
      m.channel_update.assign(update.begin(), update.end());
      return {};
    }
    case F::type: {
      FULGUR_TRY(m.type, in.bigsize());
      return {};
    }
    case F::offset: {
      FULGUR_TRY(m.offset, in.u16());
      return {};
    }
  }
  return fail("unknown failure field");
}

void xor_ammag(const crypto::Secret32& shared_secret, MutableByteSpan packet) {
  crypto::Secret32 ammag = generate_key(KeyType::Ammag, shared_secret.expose());
  crypto::chacha20_xor(ammag.expose(), crypto::Nonce12{}, 0, packet, packet);
}

Hash256 um_hmac(const crypto::Secret32& shared_secret, ByteSpan body) {
  crypto::Secret32 um = generate_key(KeyType::Um, shared_secret.expose());
  return crypto::hmac_sha256(um.expose(), body);
}

// failure_len || failuremsg || pad_len || pad, after the HMAC has matched.
Result<Bytes> parse_failure_body(ByteSpan body) {
  wire::Reader in(body);
  FULGUR_TRY(uint16_t failure_len, in.u16());
  FULGUR_TRY(ByteSpan message, in.bytes(failure_len));
  FULGUR_TRY(uint16_t pad_len, in.u16());
  FULGUR_TRY_STATUS(in.bytes(pad_len));
  if (message.size() < 2) return fail("failure message shorter than its 2-byte code");
  return Bytes(message.begin(), message.end());
}

}  // namespace

std::span<const FailureField> failure_fields(FailureCode code) {
  switch (code) {
    case FailureCode::invalid_realm:
    case FailureCode::temporary_node_failure:
    case FailureCode::permanent_node_failure:
    case FailureCode::required_node_feature_missing:
    case FailureCode::permanent_channel_failure:
    case FailureCode::required_channel_feature_missing:
    case FailureCode::unknown_next_peer:
    case FailureCode::expiry_too_far:
    case FailureCode::mpp_timeout: return {};
    case FailureCode::invalid_onion_version:
    case FailureCode::invalid_onion_hmac:
    case FailureCode::invalid_onion_key:
    case FailureCode::invalid_onion_blinding: return SHA256_ONLY;
    case FailureCode::temporary_channel_failure:
    case FailureCode::expiry_too_soon: return UPDATE_ONLY;
    case FailureCode::amount_below_minimum:
    case FailureCode::fee_insufficient: return AMOUNT_UPDATE;
    case FailureCode::incorrect_cltv_expiry: return CLTV_UPDATE;
    case FailureCode::incorrect_or_unknown_payment_details: return PAYMENT_DETAILS;
    case FailureCode::final_incorrect_cltv_expiry: return CLTV_ONLY;
    case FailureCode::final_incorrect_htlc_amount: return INCOMING_AMOUNT;
    case FailureCode::channel_disabled: return DISABLED;
    case FailureCode::invalid_onion_payload: return PAYLOAD_FIELDS;
  }
  return {};
}

Bytes encode_failure_message(const FailureMessage& message) {
  wire::Writer out;
  out.u16(message.code);
  if (auto known = message.known_code()) {
    for (F field : failure_fields(*known)) write_field(out, message, field);
  }
  out.bytes(message.extra);
  return out.take();
}

Result<FailureMessage> decode_failure_message(ByteSpan bytes) {
  wire::Reader in(bytes);
  FailureMessage message;
  FULGUR_TRY(message.code, in.u16());
  if (auto known = message.known_code()) {
    for (F field : failure_fields(*known)) {
      auto read = read_field(in, message, field);
      if (!read.ok()) return fail(std::string("failure message ") + to_string(*known) + ": " +
                                  read.error().message);
    }
  }
  ByteSpan rest = in.rest();
  message.extra.assign(rest.begin(), rest.end());
  return message;
}

Result<Bytes> create_failure_packet(const crypto::Secret32& shared_secret,
                                    ByteSpan failure_message) {
  if (failure_message.size() > MAX_FAILURE_MESSAGE_SIZE) {
    return fail("failure message of " + std::to_string(failure_message.size()) +
                " bytes does not fit in update_fail_htlc");
  }
  // BOLT 4: the erring node "MUST set pad such that the failure_len plus pad_len is at
  // least 256" and "SHOULD set pad such that [it] is equal to 256".
  size_t pad_len = failure_message.size() < FAILURE_PAD_TARGET
                       ? FAILURE_PAD_TARGET - failure_message.size()
                       : 0;
  wire::Writer body;
  body.u16(static_cast<uint16_t>(failure_message.size()));
  body.bytes(failure_message);
  body.u16(static_cast<uint16_t>(pad_len));
  body.bytes(Bytes(pad_len, 0));
  Bytes packet(HMAC_SIZE, 0);
  Hash256 hmac = um_hmac(shared_secret, body.data());
  std::copy(hmac.begin(), hmac.end(), packet.begin());
  append(packet, body.data());
  xor_ammag(shared_secret, packet);
  return packet;
}

void wrap_failure_packet(const crypto::Secret32& shared_secret, MutableByteSpan packet) {
  // BOLT 4: "The obfuscation step is repeated by every hop along the return path."
  xor_ammag(shared_secret, packet);
}

Result<DecryptedFailure> decrypt_failure_packet(std::span<const crypto::Secret32> shared_secrets,
                                                ByteSpan packet) {
  if (packet.size() < HMAC_SIZE + 4) {
    return fail("failure packet of " + std::to_string(packet.size()) + " bytes is too short");
  }
  Bytes work(packet.begin(), packet.end());
  // BOLT 4 (origin): "iteratively decrypts the error message, using each hop's ammag key,
  // and computes the HMAC, using each hop's um key", matching it against the hmac field.
  for (size_t hop = 0; hop < shared_secrets.size(); ++hop) {
    xor_ammag(shared_secrets[hop], work);
    ByteSpan body(work.data() + HMAC_SIZE, work.size() - HMAC_SIZE);
    Hash256 expected = um_hmac(shared_secrets[hop], body);
    if (sodium_memcmp(expected.data(), work.data(), HMAC_SIZE) != 0) continue;
    FULGUR_TRY(Bytes raw, parse_failure_body(body));
    auto decoded = decode_failure_message(raw);
    std::optional<FailureMessage> message;
    if (decoded.ok()) message = std::move(decoded).value();
    return DecryptedFailure{hop, std::move(raw), std::move(message)};
  }
  return fail("no hop's HMAC matches the failure packet (corrupted or forged)");
}

Result<FailureMessage> failure_from_malformed(uint16_t failure_code,
                                              const Hash256& sha256_of_onion) {
  // BOLT 2: "if the BADONION bit in failure_code is not set for update_fail_malformed_htlc:
  // MUST send a warning and fail the channel."
  if ((failure_code & BADONION) == 0) {
    return fail("update_fail_malformed_htlc without the BADONION bit", PeerAction::FailChannel);
  }
  // BOLT 2: "MUST return an error in the update_fail_htlc sent to the link which originally
  // sent the HTLC, using the failure_code given and setting the data to sha256_of_onion."
  FailureMessage message;
  message.code = failure_code;
  message.sha256_of_onion = sha256_of_onion;
  if (!message.known_code()) message.extra.assign(sha256_of_onion.begin(), sha256_of_onion.end());
  return message;
}

}  // namespace fulgur::onion
