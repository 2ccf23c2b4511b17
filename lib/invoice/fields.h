// Internal to lib/invoice: the tagged fields of BOLT 11 -- their type numbers, the 5-bit
// group conversions, reading each field into an Invoice and writing it back.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "invoice/invoice.h"

namespace fulgur::invoice::detail {

// BOLT 11 tagged field types.
namespace tag {
constexpr uint8_t p = 1;   // payment_hash
constexpr uint8_t r = 3;   // route hint
constexpr uint8_t nine = 5;  // features
constexpr uint8_t x = 6;   // expiry
constexpr uint8_t f = 9;   // fallback address
constexpr uint8_t d = 13;  // description
constexpr uint8_t s = 16;  // payment_secret
constexpr uint8_t n = 19;  // payee node id
constexpr uint8_t h = 23;  // description hash
constexpr uint8_t c = 24;  // min_final_cltv_expiry_delta
constexpr uint8_t m = 27;  // payment metadata
}  // namespace tag

// Big-endian value of 5-bit groups; nothing when it does not fit in 64 bits.
std::optional<uint64_t> groups_to_uint(std::span<const uint8_t> groups);
// Fewest groups that hold `value` (none for zero), or exactly `width` groups when given.
std::vector<uint8_t> uint_to_groups(uint64_t value, size_t width = 0);
// 5-bit groups to bytes; the leftover bits (fewer than 5) must be zero.
std::optional<Bytes> groups_to_bytes(std::span<const uint8_t> groups);
// Bytes to 5-bit groups, zero-padded.
std::vector<uint8_t> bytes_to_groups(ByteSpan bytes);

// Reads one field into `invoice` (the first valid field of each single-valued type wins;
// fields the spec says to skip are skipped; unknown types go to unknown_fields).
// `have_payment_hash` tracks whether a valid `p` was already read.
Result<void, InvoiceError> apply_field(Invoice& invoice, bool& have_payment_hash,
                                       const RawField& field);


}  // namespace fulgur::invoice::detail
