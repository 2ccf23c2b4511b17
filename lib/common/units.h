// Strong types for every unit: millisatoshis, satoshis, feerates, block heights and CLTV
// deltas. Explicit construction, no implicit mixing, arithmetic that cannot silently
// overflow (checked_* return std::nullopt), and named conversions between units.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace fulgur {

// A non-negative count of some unit. Only same-unit arithmetic; every operation that can
// overflow or underflow is checked.
template <typename Tag, typename Rep>
class Quantity {
 public:
  using rep = Rep;
  constexpr Quantity() = default;
  constexpr explicit Quantity(Rep value) : m_value(value) {}
  constexpr Rep value() const { return m_value; }

  static constexpr Quantity max() { return Quantity(std::numeric_limits<Rep>::max()); }

  constexpr std::optional<Quantity> checked_add(Quantity other) const {
    Rep out;
    if (__builtin_add_overflow(m_value, other.m_value, &out)) return std::nullopt;
    return Quantity(out);
  }
  constexpr std::optional<Quantity> checked_sub(Quantity other) const {
    Rep out;
    if (__builtin_sub_overflow(m_value, other.m_value, &out)) return std::nullopt;
    return Quantity(out);
  }
  constexpr std::optional<Quantity> checked_mul(uint64_t factor) const {
    Rep out;
    if (__builtin_mul_overflow(m_value, factor, &out)) return std::nullopt;
    return Quantity(out);
  }
  // Integer division rounding down; nothing for a zero divisor.
  constexpr std::optional<Quantity> checked_div(uint64_t divisor) const {
    if (divisor == 0) return std::nullopt;
    return Quantity(static_cast<Rep>(m_value / divisor));
  }
  // max(this - other, 0): for "what is left" computations that floor at zero.
  constexpr Quantity saturating_sub(Quantity other) const {
    return Quantity(m_value > other.m_value ? m_value - other.m_value : 0);
  }

  friend constexpr auto operator<=>(Quantity, Quantity) = default;

 private:
  Rep m_value{};
};

struct MsatTag {};
struct SatTag {};
struct FeerateTag {};
struct CltvDeltaTag {};

using Msat = Quantity<MsatTag, uint64_t>;
using Sat = Quantity<SatTag, uint64_t>;
// BOLT 2/3 feerates are satoshis per 1000 weight units.
using FeeratePerKw = Quantity<FeerateTag, uint32_t>;
// A number of blocks (cltv_expiry_delta, to_self_delay, min_final_cltv_expiry).
using CltvDelta = Quantity<CltvDeltaTag, uint32_t>;

// A block height. Heights are points, not amounts: height + delta is a height, height -
// height is a delta, height + height is meaningless and does not compile.
class BlockHeight {
 public:
  constexpr BlockHeight() = default;
  constexpr explicit BlockHeight(uint32_t height) : m_height(height) {}
  constexpr uint32_t value() const { return m_height; }

  constexpr std::optional<BlockHeight> checked_add(CltvDelta delta) const {
    uint32_t out;
    if (__builtin_add_overflow(m_height, delta.value(), &out)) return std::nullopt;
    return BlockHeight(out);
  }
  constexpr std::optional<BlockHeight> checked_sub(CltvDelta delta) const {
    uint32_t out;
    if (__builtin_sub_overflow(m_height, delta.value(), &out)) return std::nullopt;
    return BlockHeight(out);
  }
  // Blocks from `earlier` to this height; nothing if `earlier` is later.
  constexpr std::optional<CltvDelta> blocks_since(BlockHeight earlier) const {
    if (earlier.m_height > m_height) return std::nullopt;
    return CltvDelta(m_height - earlier.m_height);
  }

  friend constexpr auto operator<=>(BlockHeight, BlockHeight) = default;

 private:
  uint32_t m_height = 0;
};

// Named conversions.
constexpr std::optional<Msat> to_msat(Sat sat) {
  uint64_t out;
  if (__builtin_mul_overflow(sat.value(), uint64_t{1000}, &out)) return std::nullopt;
  return Msat(out);
}
// Rounds down (BOLT 3: amounts on chain are whole satoshis, the fraction is trimmed).
constexpr Sat to_sat_floor(Msat msat) { return Sat(msat.value() / 1000); }
constexpr Sat to_sat_ceil(Msat msat) { return Sat(msat.value() / 1000 + (msat.value() % 1000 != 0)); }

// BOLT 3: fee = feerate_per_kw * weight / 1000, rounded down.
constexpr Sat fee_for_weight(FeeratePerKw feerate, uint64_t weight) {
  return Sat(static_cast<uint64_t>(feerate.value()) * weight / 1000);
}

std::string to_string(Msat msat);  // "1234msat"
std::string to_string(Sat sat);    // "12sat"
std::string to_string(FeeratePerKw feerate);  // "253perkw"
std::string to_string(BlockHeight height);
std::string to_string(CltvDelta delta);

namespace literals {
constexpr Msat operator""_msat(unsigned long long v) { return Msat(v); }
constexpr Sat operator""_sat(unsigned long long v) { return Sat(v); }
constexpr FeeratePerKw operator""_perkw(unsigned long long v) {
  return FeeratePerKw(static_cast<uint32_t>(v));
}
constexpr CltvDelta operator""_blocks(unsigned long long v) {
  return CltvDelta(static_cast<uint32_t>(v));
}
}  // namespace literals

}  // namespace fulgur
