// BOLT 4 hop payload TLV stream: encoding, decoding with the BOLT 1 TLV rules, and the
// forwarding / final node checks. The stream rules are lib/wire's; this file tracks where
// each record starts so that a refusal names its type and offset (invalid_onion_payload).
#include "onion/payload.h"

#include "crypto/keys.h"
#include "wire/codec.h"
#include "wire/tlv.h"

namespace fulgur::onion {
namespace {

namespace T = payload_type;

Unexpected<PayloadError> refuse(uint64_t type, size_t offset, std::string message) {
  return Unexpected<PayloadError>{
      PayloadError{type, static_cast<uint16_t>(std::min<size_t>(offset, 0xffff)),
                   std::move(message)}};
}

template <typename Fixed>
std::optional<Fixed> fixed(ByteSpan value) {
  return Fixed::from_span(value);
}

Result<uint64_t> truncated_value(ByteSpan value, size_t max_bytes) {
  wire::Reader in(value);
  return in.truncated(max_bytes);
}

// Fills the field for a known type; false when the type is unknown. Errors name the field.
Result<bool> decode_known(HopPayload& p, uint64_t type, ByteSpan value) {
  if (type == T::amt_to_forward) {
    FULGUR_TRY(uint64_t v, truncated_value(value, 8));
    p.amt_to_forward = Msat(v);
  } else if (type == T::outgoing_cltv_value) {
    FULGUR_TRY(uint64_t v, truncated_value(value, 4));
    p.outgoing_cltv_value = BlockHeight(static_cast<uint32_t>(v));
  } else if (type == T::short_channel_id) {
    if (value.size() != 8) return fail("short_channel_id must be 8 bytes");
    wire::Reader in(value);
    FULGUR_TRY(uint64_t v, in.u64());
    p.short_channel_id = ShortChannelId(v);
  } else if (type == T::payment_data) {
    if (value.size() < 32) return fail("payment_data shorter than its payment_secret");
    FULGUR_TRY(uint64_t total, truncated_value(value.subspan(32), 8));
    p.payment_data = PaymentData{*fixed<PaymentSecret>(value.first(32)), Msat(total)};
  } else if (type == T::encrypted_recipient_data) {
    p.encrypted_recipient_data = Bytes(value.begin(), value.end());
  } else if (type == T::current_blinding_point) {
    if (!crypto::PublicKey::parse(value).ok() || value.size() != 33) {
      return fail("current_blinding_point is not a valid point");
    }
    p.current_blinding_point = *fixed<NodeId>(value);
  } else if (type == T::payment_metadata) {
    p.payment_metadata = Bytes(value.begin(), value.end());
  } else if (type == T::total_amount_msat) {
    FULGUR_TRY(uint64_t v, truncated_value(value, 8));
    p.total_amount_msat = Msat(v);
  } else if (type == T::keysend_preimage) {
    auto preimage = fixed<Preimage>(value);
    if (!preimage) return fail("keysend preimage must be 32 bytes");
    p.keysend_preimage = *preimage;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Bytes encode_hop_payload(const HopPayload& p) {
  wire::TlvRecords known;
  auto add = [&](uint64_t type, ByteSpan value) {
    known.push_back(wire::TlvRecord{type, Bytes(value.begin(), value.end())});
  };
  auto add_truncated = [&](uint64_t type, uint64_t value) {
    wire::Writer v;
    v.truncated(value);
    add(type, v.data());
  };
  if (p.amt_to_forward) add_truncated(T::amt_to_forward, p.amt_to_forward->value());
  if (p.outgoing_cltv_value) add_truncated(T::outgoing_cltv_value, p.outgoing_cltv_value->value());
  if (p.short_channel_id) {
    wire::Writer v;
    v.u64(p.short_channel_id->to_u64());
    add(T::short_channel_id, v.data());
  }
  if (p.payment_data) {
    wire::Writer v;
    v.bytes(p.payment_data->payment_secret.span());
    v.truncated(p.payment_data->total_msat.value());
    add(T::payment_data, v.data());
  }
  if (p.encrypted_recipient_data) add(T::encrypted_recipient_data, *p.encrypted_recipient_data);
  if (p.current_blinding_point) add(T::current_blinding_point, p.current_blinding_point->span());
  if (p.payment_metadata) add(T::payment_metadata, *p.payment_metadata);
  if (p.total_amount_msat) add_truncated(T::total_amount_msat, p.total_amount_msat->value());
  if (p.keysend_preimage) add(T::keysend_preimage, p.keysend_preimage->span());
  wire::Writer out;
  wire::write_tlv_stream(out, known, p.unknown_odd);
  return out.take();
}

Result<HopPayload, PayloadError> decode_hop_payload(ByteSpan bytes) {
  HopPayload payload;
  wire::Reader in(bytes);
  // Where the record being read starts, and its type, for the error report.
  size_t record_start = 0;
  uint64_t record_type = 0;
  bool record_done = true;
  std::string field_error;
  auto visit = [&](uint64_t type, ByteSpan value) -> Result<bool> {
    record_type = type;
    record_done = false;
    auto known = decode_known(payload, type, value);
    if (!known.ok()) return known;
    if (!*known && type % 2 == 0) return known;  // lib/wire refuses it
    record_start = in.position();
    record_done = true;
    return known;
  };
  auto read = wire::read_tlv_stream(in, visit, &payload.unknown_odd);
  if (read.ok()) return payload;
  if (record_done) {
    // The stream rules failed on the header of the record after the last good one.
    wire::Reader header(bytes.subspan(record_start));
    record_type = header.bigsize().value_or(0);
  }
  return refuse(record_type, record_start, read.error().message);
}

Result<void, PayloadError> check_forward_payload(const HopPayload& p) {
  // BOLT 4 (reader, not in a blinded route): "MUST return an error if blinding_point is set
  // in the incoming update_add_htlc or current_blinding_point is present."
  if (p.current_blinding_point || p.encrypted_recipient_data) {
    return refuse(T::current_blinding_point, 0, "blinded payloads are not supported");
  }
  // BOLT 4: "MUST return an error if amt_to_forward or outgoing_cltv_value are not present."
  if (!p.amt_to_forward) return refuse(T::amt_to_forward, 0, "amt_to_forward missing");
  if (!p.outgoing_cltv_value) {
    return refuse(T::outgoing_cltv_value, 0, "outgoing_cltv_value missing");
  }
  // BOLT 4 (not the final node): "MUST return an error if short_channel_id is not present".
  if (!p.short_channel_id) return refuse(T::short_channel_id, 0, "short_channel_id missing");
  return {};
}

Result<void, PayloadError> check_final_payload(const HopPayload& p) {
  if (p.current_blinding_point || p.encrypted_recipient_data) {
    return refuse(T::current_blinding_point, 0, "blinded payloads are not supported");
  }
  if (!p.amt_to_forward) return refuse(T::amt_to_forward, 0, "amt_to_forward missing");
  if (!p.outgoing_cltv_value) {
    return refuse(T::outgoing_cltv_value, 0, "outgoing_cltv_value missing");
  }
  // BOLT 4 (writer, final node): "MUST NOT include short_channel_id".
  if (p.short_channel_id) return refuse(T::short_channel_id, 0, "final hop has short_channel_id");
  return {};
}

FailureMessage invalid_payload_failure(const PayloadError& error) {
  FailureMessage failure(FailureCode::invalid_onion_payload);
  failure.type = error.type;
  failure.offset = error.offset;
  return failure;
}

}  // namespace fulgur::onion
