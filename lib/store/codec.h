// Key and value codecs for typed tables. A codec is a type with `using Type`, `static Bytes
// encode(const Type&)` and `static Result<Type> decode(ByteSpan)`. Keys are ordered by their
// encoded bytes, so integer keys are big-endian.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::store {

template <typename C>
concept Codec = requires(const typename C::Type& value, ByteSpan bytes) {
  { C::encode(value) } -> std::same_as<Bytes>;
  { C::decode(bytes) } -> std::same_as<Result<typename C::Type>>;
};

// Unsigned integers, big-endian so that cursor order is numeric order.
template <std::unsigned_integral T>
struct BigEndianCodec {
  using Type = T;
  static Bytes encode(const T& value) {
    Bytes out(sizeof(T));
    for (size_t i = 0; i < sizeof(T); ++i) {
      out[i] = static_cast<uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
    }
    return out;
  }
  static Result<T> decode(ByteSpan bytes) {
    if (bytes.size() != sizeof(T)) return fail("integer record has the wrong size");
    T value = 0;
    for (uint8_t b : bytes) value = static_cast<T>((value << 8) | b);
    return value;
  }
};
using U32Codec = BigEndianCodec<uint32_t>;
using U64Codec = BigEndianCodec<uint64_t>;

struct StringCodec {
  using Type = std::string;
  static Bytes encode(const std::string& value) { return Bytes(value.begin(), value.end()); }
  static Result<std::string> decode(ByteSpan bytes) {
    return std::string(bytes.begin(), bytes.end());
  }
};

struct BytesCodec {
  using Type = Bytes;
  static Bytes encode(const Bytes& value) { return value; }
  static Result<Bytes> decode(ByteSpan bytes) { return Bytes(bytes.begin(), bytes.end()); }
};

// Any FixedBytes type (Txid, NodeId, a 16-byte locator...): exactly its size.
template <typename F>
struct FixedBytesCodec {
  using Type = F;
  static Bytes encode(const F& value) { return Bytes(value.data(), value.data() + F::SIZE); }
  static Result<F> decode(ByteSpan bytes) {
    auto value = F::from_span(bytes);
    if (!value) return fail("fixed-size record has the wrong size");
    return *value;
  }
};

}  // namespace fulgur::store
