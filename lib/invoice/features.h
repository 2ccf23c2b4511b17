// BOLT 11 `9` field: the invoice's feature bits (BOLT 9 features with context 9), kept as
// a set of bit numbers and converted to and from the field's big-endian 5-bit groups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fulgur::invoice {

// BOLT 9 features that may appear in an invoice (context 9), as (compulsory) even bits.
namespace feature {
constexpr size_t var_onion_optin = 8;
constexpr size_t payment_secret = 14;
constexpr size_t basic_mpp = 16;
constexpr size_t option_route_blinding = 24;
constexpr size_t option_payment_metadata = 48;
}  // namespace feature

// The name of a known feature (either bit of its pair), or nothing.
std::optional<std::string> feature_name(size_t bit);

// At most MAX_FEATURE_BIT + 1 bits: a 10-bit data_length of 5-bit groups.
constexpr size_t MAX_FEATURE_BIT = 1023 * 5 - 1;

class Features {
 public:
  Features() = default;
  Features(std::initializer_list<size_t> bits);

  void set(size_t bit);
  bool has(size_t bit) const;
  // Either bit of the pair (compulsory or optional) is set.
  bool supports(size_t even_bit) const { return has(even_bit) || has(even_bit + 1); }
  bool empty() const { return m_bits.empty(); }
  // Set bits, ascending.
  const std::vector<size_t>& bits() const { return m_bits; }

  // The field's 5-bit groups, most significant first, fewest groups possible.
  std::vector<uint8_t> to_groups() const;
  static Features from_groups(std::span<const uint8_t> groups);

  // BOLT 11: unknown even bits that are set make the invoice unpayable.
  std::optional<size_t> first_unknown_even_bit() const;
  // BOLT 9 dependencies (payment_secret needs var_onion_optin, basic_mpp needs
  // payment_secret): the first bit whose dependency is missing.
  std::optional<size_t> first_missing_dependency() const;

  friend bool operator==(const Features&, const Features&) = default;

 private:
  std::vector<size_t> m_bits;  // sorted, unique
};

}  // namespace fulgur::invoice
