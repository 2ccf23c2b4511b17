// Field encodings: how one field of a message, subtype or TLV record is laid out on the
// wire, named after the BOLT type names (u16, tu64, point, signature, ...). Each encoding
// is a struct with `write(Writer&, const T&)` and `read(Reader&, T&) -> Status`, generic
// over the C++ type it fills (a u64 field can hold a uint64_t, an Msat or a Sat). The
// record macros (wire/record_codec.h) call these; include this only in .cpp files.
#pragma once

#include <array>
#include <concepts>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/assert.h"
#include "common/ids.h"
#include "common/units.h"
#include "wire/codec.h"
#include "wire/types.h"

namespace fulgur::wire {

namespace detail {
// Integer views of the strong types: plain unsigned integers, Quantity-like types with
// value() (Msat, Sat, FeeratePerKw, CltvDelta, BlockHeight) and ShortChannelId.
template <typename T>
constexpr uint64_t to_uint(const T& v) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<uint64_t>(v);
  } else if constexpr (std::is_same_v<T, ShortChannelId>) {
    return v.to_u64();
  } else {
    return static_cast<uint64_t>(v.value());
  }
}
template <typename T>
constexpr T from_uint(uint64_t x) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(x);
  } else if constexpr (std::is_same_v<T, ShortChannelId>) {
    return ShortChannelId(x);
  } else {
    using Rep = std::remove_cvref_t<decltype(std::declval<const T&>().value())>;
    return T(static_cast<Rep>(x));
  }
}
template <typename T>
constexpr uint64_t max_of() {
  if constexpr (std::is_integral_v<T>) {
    return std::numeric_limits<T>::max();
  } else if constexpr (std::is_same_v<T, ShortChannelId>) {
    return std::numeric_limits<uint64_t>::max();
  } else {
    using Rep = std::remove_cvref_t<decltype(std::declval<const T&>().value())>;
    return std::numeric_limits<Rep>::max();
  }
}

// Prefixes a field's name to a decoding error ("amount_msat: truncated ...").
inline Status in_field(Status status, const char* name) {
  if (status) return status;
  const Error& e = status.error();
  return fail(std::string(name) + ": " + e.message, e.action);
}

template <size_t BYTES>
constexpr uint64_t max_for_bytes() {
  if constexpr (BYTES >= 8) {
    return ~uint64_t{0};
  } else {
    return (uint64_t{1} << (8 * BYTES)) - 1;
  }
}

template <size_t BYTES, typename T>
void write_uint(Writer& w, const T& v) {
  uint64_t x = to_uint(v);
  // A value that does not fit its field is the caller's bug, not bad input.
  FULGUR_REQUIRE(x <= max_for_bytes<BYTES>());
  for (size_t i = BYTES; i > 0; --i) w.u8(static_cast<uint8_t>(x >> (8 * (i - 1))));
}
template <size_t BYTES, typename T>
Status read_uint(Reader& r, T& out) {
  static_assert(max_of<T>() >= max_for_bytes<BYTES>(),
                "field type too narrow for its wire width");
  FULGUR_TRY(ByteSpan b, r.bytes(BYTES));
  uint64_t x = 0;
  for (uint8_t byte : b) x = (x << 8) | byte;
  out = from_uint<T>(x);
  return {};
}
}  // namespace detail

// The encodings, named as the BOLTs name the wire types.
namespace enc {

struct u8 {
  template <typename T> static void write(Writer& w, const T& v) { detail::write_uint<1>(w, v); }
  template <typename T> static Status read(Reader& r, T& v) { return detail::read_uint<1>(r, v); }
};
struct u16 {
  template <typename T> static void write(Writer& w, const T& v) { detail::write_uint<2>(w, v); }
  template <typename T> static Status read(Reader& r, T& v) { return detail::read_uint<2>(r, v); }
};
struct u32 {
  template <typename T> static void write(Writer& w, const T& v) { detail::write_uint<4>(w, v); }
  template <typename T> static Status read(Reader& r, T& v) { return detail::read_uint<4>(r, v); }
};
struct u64 {
  template <typename T> static void write(Writer& w, const T& v) { detail::write_uint<8>(w, v); }
  template <typename T> static Status read(Reader& r, T& v) { return detail::read_uint<8>(r, v); }
};
// `byte` is u8.
using byte = u8;

// tu16 / tu32 / tu64: minimal big-endian, taking the rest of a TLV value.
template <size_t BYTES>
struct truncated_uint {
  template <typename T> static void write(Writer& w, const T& v) {
    uint64_t x = detail::to_uint(v);
    FULGUR_REQUIRE(x <= detail::max_for_bytes<BYTES>());
    w.truncated(x);
  }
  template <typename T> static Status read(Reader& r, T& v) {
    FULGUR_TRY(uint64_t x, r.truncated(BYTES));
    v = detail::from_uint<T>(x);
    return {};
  }
};
using tu16 = truncated_uint<2>;
using tu32 = truncated_uint<4>;
using tu64 = truncated_uint<8>;

struct s8 {
  static void write(Writer& w, int8_t v) { w.s8(v); }
  static Status read(Reader& r, int8_t& v) { FULGUR_TRY(v, r.s8()); return {}; }
};
struct s16 {
  static void write(Writer& w, int16_t v) { w.s16(v); }
  static Status read(Reader& r, int16_t& v) { FULGUR_TRY(v, r.s16()); return {}; }
};
struct s32 {
  static void write(Writer& w, int32_t v) { w.s32(v); }
  static Status read(Reader& r, int32_t& v) { FULGUR_TRY(v, r.s32()); return {}; }
};
struct s64 {
  static void write(Writer& w, int64_t v) { w.s64(v); }
  static Status read(Reader& r, int64_t& v) { FULGUR_TRY(v, r.s64()); return {}; }
};

struct bigsize {
  template <typename T> static void write(Writer& w, const T& v) { w.bigsize(detail::to_uint(v)); }
  template <typename T> static Status read(Reader& r, T& v) {
    FULGUR_TRY(uint64_t x, r.bigsize());
    if (x > detail::max_of<T>()) return decode_error("bigsize value out of range");
    v = detail::from_uint<T>(x);
    return {};
  }
};

// `N*byte`, `sha256`, `chain_hash`, `channel_id`: any FixedBytes, copied as is.
struct fixed {
  template <size_t N, typename Tag>
  static void write(Writer& w, const FixedBytes<N, Tag>& v) { w.bytes(v.span()); }
  template <size_t N, typename Tag>
  static Status read(Reader& r, FixedBytes<N, Tag>& v) {
    FULGUR_TRY(ByteSpan b, r.bytes(N));
    v = *FixedBytes<N, Tag>::from_span(b);
    return {};
  }
};
using sha256 = fixed;
using chain_hash = fixed;
using channel_id = fixed;

// `point`: 33 bytes that must be a valid compressed point.
struct point {
  template <typename Tag>
  static void write(Writer& w, const FixedBytes<33, Tag>& v) { w.bytes(v.span()); }
  template <typename Tag>
  static Status read(Reader& r, FixedBytes<33, Tag>& v) {
    FULGUR_TRY(ByteSpan b, r.bytes(33));
    Point p = *Point::from_span(b);
    if (!is_valid_point(p)) return decode_error("not a valid point");
    v = *FixedBytes<33, Tag>::from_span(b);
    return {};
  }
};

// `signature`: 64 bytes compact; r and s must be below the group order.
struct signature {
  static void write(Writer& w, const Signature& v) { w.bytes(v.span()); }
  static Status read(Reader& r, Signature& v) {
    FULGUR_TRY(ByteSpan b, r.bytes(64));
    v = *Signature::from_span(b);
    if (!is_valid_signature(v)) return decode_error("not a valid signature");
    return {};
  }
};

struct short_channel_id {
  static void write(Writer& w, const ShortChannelId& v) { w.u64(v.to_u64()); }
  static Status read(Reader& r, ShortChannelId& v) {
    FULGUR_TRY(uint64_t x, r.u64());
    v = ShortChannelId(x);
    return {};
  }
};

// `[u16:len][len*byte:data]`: a byte string with its u16 length in front.
struct u16_bytes {
  static void write(Writer& w, const Bytes& v) {
    FULGUR_REQUIRE(v.size() <= 0xffff);
    w.u16(static_cast<uint16_t>(v.size()));
    w.bytes(v);
  }
  static Status read(Reader& r, Bytes& v) {
    FULGUR_TRY(uint16_t len, r.u16());
    FULGUR_TRY(ByteSpan b, r.bytes(len));
    v.assign(b.begin(), b.end());
    return {};
  }
};

// `...*byte`: everything up to the end of the enclosing TLV value.
struct rest_bytes {
  static void write(Writer& w, const Bytes& v) { w.bytes(v); }
  static Status read(Reader& r, Bytes& v) {
    ByteSpan b = r.rest();
    v.assign(b.begin(), b.end());
    return {};
  }
};

// `[u16:num][num*elem:items]`: a counted array.
template <typename Elem>
struct u16_array {
  template <typename T> static void write(Writer& w, const std::vector<T>& v) {
    FULGUR_REQUIRE(v.size() <= 0xffff);
    w.u16(static_cast<uint16_t>(v.size()));
    for (const T& item : v) Elem::write(w, item);
  }
  template <typename T> static Status read(Reader& r, std::vector<T>& v) {
    FULGUR_TRY(uint16_t count, r.u16());
    v.clear();
    // No reserve from the untrusted count: the vector grows only as input is consumed.
    for (uint16_t i = 0; i < count; ++i) {
      T item{};
      FULGUR_TRY_STATUS(Elem::read(r, item));
      v.push_back(std::move(item));
    }
    return {};
  }
};

// `...*elem`: elements up to the end of the enclosing TLV value; a partial one is an error.
template <typename Elem>
struct rest_array {
  template <typename T> static void write(Writer& w, const std::vector<T>& v) {
    for (const T& item : v) Elem::write(w, item);
  }
  template <typename T> static Status read(Reader& r, std::vector<T>& v) {
    v.clear();
    while (!r.empty()) {
      T item{};
      FULGUR_TRY_STATUS(Elem::read(r, item));
      v.push_back(std::move(item));
    }
    return {};
  }
};

// `N*elem`: exactly N elements.
template <size_t N, typename Elem>
struct fixed_array {
  template <typename T> static void write(Writer& w, const std::array<T, N>& v) {
    for (const T& item : v) Elem::write(w, item);
  }
  template <typename T> static Status read(Reader& r, std::array<T, N>& v) {
    for (T& item : v) FULGUR_TRY_STATUS(Elem::read(r, item));
    return {};
  }
};

// An empty value: a TLV record whose presence is the information.
struct empty {
  static void write(Writer&, const Flag&) {}
  static Status read(Reader&, Flag&) { return {}; }
};

// A subtype or a TLV stream declared with the record macros (wire/record.h); found by ADL.
struct record {
  template <typename T> static void write(Writer& w, const T& v) { write_record(w, v); }
  template <typename T> static Status read(Reader& r, T& v) { return read_record(r, v); }
};

}  // namespace enc
}  // namespace fulgur::wire
