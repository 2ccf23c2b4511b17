// BOLT 11 invoices: the decoded form of every tagged field, decoding (with signature check
// or payee-key recovery) and encoding (signing with the payee's key). Pure: the current
// time is never read here (is_expired takes it as an argument).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "crypto/keys.h"
#include "invoice/features.h"

namespace fulgur::invoice {

// One 5-bit-grouped tagged field exactly as it appeared (for byte-exact re-encoding and
// for the fields a reader must skip).
struct RawField {
  uint8_t type = 0;            // 0..31
  std::vector<uint8_t> data;   // 5-bit values
  friend bool operator==(const RawField&, const RawField&) = default;
};

// BOLT 11 `f`: witness version 0..16 + program, 17 + P2PKH hash, 18 + P2SH hash.
struct Fallback {
  uint8_t version = 0;
  Bytes program;  // witness program, or the 20-byte hash for versions 17 and 18
  friend bool operator==(const Fallback&, const Fallback&) = default;
};

// One hop of a BOLT 11 `r` route hint.
struct RouteHintHop {
  NodeId pubkey;
  ShortChannelId short_channel_id;
  uint32_t fee_base_msat = 0;
  uint32_t fee_proportional_millionths = 0;
  uint16_t cltv_expiry_delta = 0;
  friend bool operator==(const RouteHintHop&, const RouteHintHop&) = default;
};
using RouteHint = std::vector<RouteHintHop>;

constexpr uint64_t DEFAULT_EXPIRY_SECONDS = 3600;
constexpr uint64_t DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA = 18;
// BOLT 11 lifts bech32's 90-character limit; this bound only keeps decoding finite.
constexpr size_t MAX_INVOICE_LENGTH = 7089;

struct Invoice {
  std::string currency = "bc";     // bc, tb, tbs, bcrt
  std::optional<Msat> amount;      // nothing: "any amount"
  uint64_t timestamp = 0;          // seconds since 1970, 35 bits
  PaymentHash payment_hash;
  std::optional<PaymentSecret> payment_secret;
  std::optional<std::string> description;
  std::optional<Hash256> description_hash;
  std::optional<NodeId> payee_node_id;  // the `n` field, when present
  std::optional<uint64_t> expiry;       // seconds; DEFAULT_EXPIRY_SECONDS when absent
  std::optional<uint64_t> min_final_cltv_expiry_delta;
  std::vector<Fallback> fallbacks;
  std::vector<RouteHint> route_hints;
  Features features;
  std::optional<Bytes> metadata;
  std::vector<RawField> unknown_fields;  // unknown tags, skipped as the spec requires
  // Set by decode: the payee's key (from `n` or recovered) and every field in order.
  NodeId payee;
  std::vector<RawField> fields;

  uint64_t expiry_seconds() const { return expiry.value_or(DEFAULT_EXPIRY_SECONDS); }
  uint64_t min_final_cltv() const {
    return min_final_cltv_expiry_delta.value_or(DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA);
  }
  // BOLT 11: "after the timestamp plus expiry has passed: SHOULD NOT attempt a payment".
  bool is_expired(uint64_t now_seconds) const;
};

// What is wrong with an invoice, one kind per rule.
enum class InvoiceErrorKind {
  bech32,                 // not bech32: checksum, case, separator, characters, length
  unknown_prefix,         // hrp does not start with ln + a known currency
  invalid_amount,         // non-digits, leading zero, overflow, or an unknown multiplier
  sub_msat_precision,     // `p` multiplier with a last digit other than 0
  too_short,              // no room for timestamp and signature
  invalid_field,          // a field's data is malformed (truncated, bad padding, bad value)
  missing_payment_hash,   // no valid `p`
  missing_payment_secret, // no valid `s`
  missing_description,    // neither `d` nor `h`
  unknown_required_feature,  // an unknown even feature bit is set
  invalid_signature,      // not recoverable, or does not verify against `n`
  high_s_signature,       // `n` present and the signature is not low-S
};
const char* to_string(InvoiceErrorKind kind);

struct InvoiceError {
  InvoiceErrorKind kind = InvoiceErrorKind::bech32;
  std::string message;
};

Result<Invoice, InvoiceError> decode_invoice(std::string_view text);

// Encodes `invoice` and signs it with `key`. When `invoice.fields` is set (a decoded
// invoice) those fields are written as they were, so a decoded invoice re-encodes to its
// original string; otherwise the fields are built from the decoded form, in BOLT 11's
// order of the examples (p, s, d/h, n, x, c, f, r, 9, m, unknown). Errors when the
// invoice cannot be written (a timestamp over 35 bits, a description too long for a field).
Result<std::string> encode_invoice(const Invoice& invoice, const crypto::SecretKey& key);

// The tagged fields encode_invoice writes for a freshly built invoice.
Result<std::vector<RawField>> build_fields(const Invoice& invoice);

// BOLT 11 amount in the human-readable part ("2500u"), shortest form.
std::string encode_amount(Msat amount);

}  // namespace fulgur::invoice
