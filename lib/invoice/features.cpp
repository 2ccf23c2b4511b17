// BOLT 11 invoice feature bits on lib/wire's feature vectors.
#include "invoice/features.h"

namespace fulgur::invoice {

std::vector<uint8_t> features_to_groups(const Features& features) {
  std::vector<size_t> bits = features.set_bits();
  if (bits.empty()) return {};
  size_t groups = bits.back() / 5 + 1;
  std::vector<uint8_t> out(groups, 0);
  for (size_t bit : bits) out[groups - 1 - bit / 5] |= static_cast<uint8_t>(1u << (bit % 5));
  return out;
}

Features features_from_groups(std::span<const uint8_t> groups) {
  Features features;
  const size_t n = std::min(groups.size(), MAX_FEATURE_GROUPS);
  for (size_t i = 0; i < n; ++i) {
    for (size_t b = 0; b < 5; ++b) {
      if (groups[groups.size() - 1 - i] & (1u << b)) features.set_bit(i * 5 + b);
    }
  }
  return features;
}

std::optional<size_t> first_unknown_even_bit(const Features& features) {
  for (size_t bit : wire::unknown_bits(features, wire::FeatureContext::Invoice)) {
    if (bit % 2 == 0) return bit;
  }
  return std::nullopt;
}

}  // namespace fulgur::invoice
