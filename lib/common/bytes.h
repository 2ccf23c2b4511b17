// Byte buffers, views and fixed-size byte strings with a type per meaning (a Txid is not a
// PaymentHash). No I/O; hex conversion lives in hex.h.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"
#include "common/result.h"

namespace fulgur {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline void append(Bytes& out, ByteSpan data) { out.insert(out.end(), data.begin(), data.end()); }

// Tags say how a FixedBytes type prints. Bitcoin shows txids and block hashes reversed.
struct PlainDisplay {
  static constexpr bool display_reversed = false;
};
struct ReversedDisplay {
  static constexpr bool display_reversed = true;
};

// N bytes with a meaning given by Tag. Explicit construction only; ordered bytewise.
template <size_t N, typename Tag>
class FixedBytes {
 public:
  static constexpr size_t SIZE = N;

  constexpr FixedBytes() : m_data{} {}
  constexpr explicit FixedBytes(const std::array<uint8_t, N>& data) : m_data(data) {}

  // Exactly N bytes, or nothing.
  static std::optional<FixedBytes> from_span(ByteSpan bytes) {
    if (bytes.size() != N) return std::nullopt;
    FixedBytes out;
    std::copy(bytes.begin(), bytes.end(), out.m_data.begin());
    return out;
  }
  // Hex in display order (reversed for Txid and block hashes).
  static Result<FixedBytes> from_hex(std::string_view hex) {
    FULGUR_TRY(Bytes raw, ::fulgur::from_hex(hex));
    if (raw.size() != N) {
      return fail("expected " + std::to_string(N) + " bytes of hex, got " +
                  std::to_string(raw.size()));
    }
    if constexpr (Tag::display_reversed) std::reverse(raw.begin(), raw.end());
    return *from_span(raw);
  }
  std::string to_hex() const {
    if constexpr (Tag::display_reversed) {
      std::array<uint8_t, N> rev = m_data;
      std::reverse(rev.begin(), rev.end());
      return ::fulgur::to_hex(rev);
    } else {
      return ::fulgur::to_hex(m_data);
    }
  }

  const uint8_t* data() const { return m_data.data(); }
  uint8_t* data() { return m_data.data(); }
  static constexpr size_t size() { return N; }
  const std::array<uint8_t, N>& array() const { return m_data; }
  std::span<const uint8_t, N> span() const { return std::span<const uint8_t, N>(m_data); }
  std::span<uint8_t, N> mutable_span() { return std::span<uint8_t, N>(m_data); }
  auto begin() const { return m_data.begin(); }
  auto end() const { return m_data.end(); }
  bool is_zero() const {
    return std::all_of(m_data.begin(), m_data.end(), [](uint8_t b) { return b == 0; });
  }

  friend auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
  friend bool operator==(const FixedBytes&, const FixedBytes&) = default;

 private:
  std::array<uint8_t, N> m_data;
};

}  // namespace fulgur
