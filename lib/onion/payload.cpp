// BOLT 4 hop payload TLV stream: encoding, decoding with the BOLT 1 TLV rules, and the
// forwarding / final node checks. Walks records itself (on lib/wire's primitives) so that
// a refusal can name the record's type and offset, as invalid_onion_payload reports them.
#include "onion/payload.h"

#include "crypto/keys.h"
#include "wire/codec.h"

namespace fulgur::onion {
namespace {

namespace T = payload_type;

void record(wire::Writer& out, uint64_t type, ByteSpan value) {
  out.bigsize(type);
  out.bigsize(value.size());
  out.bytes(value);
}

void truncated_record(wire::Writer& out, uint64_t type, uint64_t value) {
  wire::Writer v;
  v.truncated(value);
  record(out, type, v.data());
}

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
  wire::Writer out;
  size_t odd = 0;
  // Unknown odd records go in between the known ones, keeping the stream sorted.
  auto odd_before = [&](uint64_t type) {
    while (odd < p.unknown_odd.size() && p.unknown_odd[odd].first < type) {
      record(out, p.unknown_odd[odd].first, p.unknown_odd[odd].second);
      ++odd;
    }
  };
  odd_before(T::amt_to_forward);
  if (p.amt_to_forward) truncated_record(out, T::amt_to_forward, p.amt_to_forward->value());
  odd_before(T::outgoing_cltv_value);
  if (p.outgoing_cltv_value) {
    truncated_record(out, T::outgoing_cltv_value, p.outgoing_cltv_value->value());
  }
  odd_before(T::short_channel_id);
  if (p.short_channel_id) {
    wire::Writer v;
    v.u64(p.short_channel_id->to_u64());
    record(out, T::short_channel_id, v.data());
  }
  odd_before(T::payment_data);
  if (p.payment_data) {
    wire::Writer v;
    v.bytes(p.payment_data->payment_secret.span());
    v.truncated(p.payment_data->total_msat.value());
    record(out, T::payment_data, v.data());
  }
  odd_before(T::encrypted_recipient_data);
  if (p.encrypted_recipient_data) {
    record(out, T::encrypted_recipient_data, *p.encrypted_recipient_data);
  }
  odd_before(T::current_blinding_point);
  if (p.current_blinding_point) {
    record(out, T::current_blinding_point, p.current_blinding_point->span());
  }
  odd_before(T::payment_metadata);
  if (p.payment_metadata) record(out, T::payment_metadata, *p.payment_metadata);
  odd_before(T::total_amount_msat);
  if (p.total_amount_msat) {
    truncated_record(out, T::total_amount_msat, p.total_amount_msat->value());
  }
  odd_before(T::keysend_preimage);
  if (p.keysend_preimage) record(out, T::keysend_preimage, p.keysend_preimage->span());
  odd_before(UINT64_MAX);
  if (odd < p.unknown_odd.size()) {
    record(out, p.unknown_odd[odd].first, p.unknown_odd[odd].second);
  }
  return out.take();
}

Result<HopPayload, PayloadError> decode_hop_payload(ByteSpan bytes) {
  HopPayload payload;
  wire::Reader in(bytes);
  std::optional<uint64_t> previous;
  while (!in.empty()) {
    size_t offset = in.position();
    auto type = in.bigsize();
    if (!type.ok()) return refuse(0, offset, "tlv type: " + type.error().message);
    auto length = in.bigsize();
    if (!length.ok()) return refuse(*type, offset, "tlv length: " + length.error().message);
    // BOLT 1: "if decoded_type is not strictly-increasing (including situations when two or
    // more occurrences of the same type are met): MUST fail to parse the tlv_stream."
    if (previous && *type <= *previous) {
      return refuse(*type, offset, "tlv types not strictly increasing");
    }
    previous = *type;
    // BOLT 1: "if length exceeds the number of bytes remaining in the message: MUST fail".
    if (*length > in.remaining()) return refuse(*type, offset, "tlv length exceeds the stream");
    ByteSpan value = *in.bytes(static_cast<size_t>(*length));
    auto known = decode_known(payload, *type, value);
    if (!known.ok()) return refuse(*type, offset, known.error().message);
    if (*known) continue;
    // BOLT 1: "if type is even: MUST fail to parse the tlv_stream" (an unknown type).
    if (*type % 2 == 0) return refuse(*type, offset, "unknown even tlv type");
    payload.unknown_odd.emplace_back(*type, Bytes(value.begin(), value.end()));
  }
  return payload;
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
