// BOLT 11 `9` field: the invoice's feature vector is lib/wire's BOLT 9 FeatureBits; this
// converts it to and from the field's big-endian 5-bit groups and applies BOLT 11's rule
// on unknown bits (context 9 of BOLT 9).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "wire/features.h"

namespace fulgur::invoice {

using Features = wire::FeatureBits;

// A 10-bit data_length of 5-bit groups holds at most this many bits.
constexpr size_t MAX_FEATURE_GROUPS = 1023;

// The field's 5-bit groups, most significant first, fewest groups possible.
std::vector<uint8_t> features_to_groups(const Features& features);
Features features_from_groups(std::span<const uint8_t> groups);

// BOLT 11: "if the 9 field contains unknown even bits that are non-zero: MUST fail the
// payment". Unknown means: no BOLT 9 feature, or one not defined for invoices.
std::optional<size_t> first_unknown_even_bit(const Features& features);

}  // namespace fulgur::invoice
