// BOLT 4 hop payloads: the `payload` TLV stream each hop finds in its layer of the onion
// (amt_to_forward, outgoing_cltv_value, short_channel_id, payment_data, payment_metadata,
// route-blinding fields, total_amount_msat, keysend's preimage), its encoding, decoding
// and the reader's requirements for forwarding and final nodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "onion/failure.h"
#include "wire/tlv.h"

namespace fulgur::onion {

// TLV types of the `payload` stream.
namespace payload_type {
constexpr uint64_t amt_to_forward = 2;
constexpr uint64_t outgoing_cltv_value = 4;
constexpr uint64_t short_channel_id = 6;
constexpr uint64_t payment_data = 8;
constexpr uint64_t encrypted_recipient_data = 10;
constexpr uint64_t current_blinding_point = 12;
constexpr uint64_t payment_metadata = 16;
constexpr uint64_t total_amount_msat = 18;
// Keysend (spontaneous payment): the sender puts the preimage in the final payload.
constexpr uint64_t keysend_preimage = 5482373484;
}  // namespace payload_type

struct PaymentData {
  PaymentSecret payment_secret;
  Msat total_msat;
  friend bool operator==(const PaymentData&, const PaymentData&) = default;
};

struct HopPayload {
  std::optional<Msat> amt_to_forward;
  std::optional<BlockHeight> outgoing_cltv_value;
  std::optional<ShortChannelId> short_channel_id;
  std::optional<PaymentData> payment_data;
  std::optional<Bytes> encrypted_recipient_data;
  std::optional<NodeId> current_blinding_point;
  std::optional<Bytes> payment_metadata;
  std::optional<Msat> total_amount_msat;
  std::optional<Preimage> keysend_preimage;
  // Unknown odd records ("it's ok to be odd"), kept in type order so they round-trip.
  wire::TlvRecords unknown_odd;

  friend bool operator==(const HopPayload&, const HopPayload&) = default;
};

// Why a payload was refused, in the terms of invalid_onion_payload: the offending TLV type
// and the byte offset of its record in the decrypted payload.
struct PayloadError {
  uint64_t type = 0;
  uint16_t offset = 0;
  std::string message;
};

// The TLV stream, records in increasing type order.
Bytes encode_hop_payload(const HopPayload& payload);

// lib/wire's TLV stream rules (strictly increasing types, minimal BigSize, lengths within
// the stream, unknown even types refused, unknown odd types kept) plus minimal truncated
// integers and exact sizes for the known records.
Result<HopPayload, PayloadError> decode_hop_payload(ByteSpan bytes);

// The reader's requirements for a node outside a blinded route (BOLT 4 "payload format").
Result<void, PayloadError> check_forward_payload(const HopPayload& payload);
Result<void, PayloadError> check_final_payload(const HopPayload& payload);

// The invalid_onion_payload failure that answers `error`.
FailureMessage invalid_payload_failure(const PayloadError& error);

}  // namespace fulgur::onion
