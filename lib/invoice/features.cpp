// BOLT 11 invoice feature bits.
#include "invoice/features.h"

#include <algorithm>

namespace fulgur::invoice {

std::optional<std::string> feature_name(size_t bit) {
  switch (bit & ~size_t{1}) {
    case feature::var_onion_optin: return "var_onion_optin";
    case feature::payment_secret: return "payment_secret";
    case feature::basic_mpp: return "basic_mpp";
    case feature::option_route_blinding: return "option_route_blinding";
    case feature::option_payment_metadata: return "option_payment_metadata";
    default: return std::nullopt;
  }
}

Features::Features(std::initializer_list<size_t> bits) {
  for (size_t bit : bits) set(bit);
}

void Features::set(size_t bit) {
  auto it = std::lower_bound(m_bits.begin(), m_bits.end(), bit);
  if (it == m_bits.end() || *it != bit) m_bits.insert(it, bit);
}

bool Features::has(size_t bit) const {
  return std::binary_search(m_bits.begin(), m_bits.end(), bit);
}

std::vector<uint8_t> Features::to_groups() const {
  if (m_bits.empty()) return {};
  size_t groups = m_bits.back() / 5 + 1;
  std::vector<uint8_t> out(groups, 0);
  for (size_t bit : m_bits) out[groups - 1 - bit / 5] |= static_cast<uint8_t>(1u << (bit % 5));
  return out;
}

Features Features::from_groups(std::span<const uint8_t> groups) {
  Features features;
  const size_t n = groups.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t b = 0; b < 5; ++b) {
      if (groups[n - 1 - i] & (1u << b)) features.m_bits.push_back(i * 5 + b);
    }
  }
  return features;  // built in ascending order
}

std::optional<size_t> Features::first_unknown_even_bit() const {
  for (size_t bit : m_bits) {
    if (bit % 2 == 0 && !feature_name(bit)) return bit;
  }
  return std::nullopt;
}

std::optional<size_t> Features::first_missing_dependency() const {
  if (supports(feature::payment_secret) && !supports(feature::var_onion_optin)) {
    return has(feature::payment_secret) ? feature::payment_secret : feature::payment_secret + 1;
  }
  if (supports(feature::basic_mpp) && !supports(feature::payment_secret)) {
    return has(feature::basic_mpp) ? feature::basic_mpp : feature::basic_mpp + 1;
  }
  return std::nullopt;
}

}  // namespace fulgur::invoice
