// Bounds-checked byte reader and appending writer for the BOLT 1 fundamental types:
// big-endian u8..u64, s8..s64, truncated tu16/tu32/tu64, BigSize and raw bytes. Reads past
// the end or non-minimal encodings return an error (PeerAction::Disconnect: BOLT 1 says a
// known message with insufficient length closes the connection); nothing here aborts on
// input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::wire {

// A wire decoding failure. BOLT #1: "upon receiving a known message with insufficient
// length for the contents: MUST close the connection."
inline Unexpected<Error> decode_error(std::string message) {
  return fail(std::move(message), PeerAction::Disconnect);
}

// Number of bytes BigSize uses for `value` (1, 3, 5 or 9).
constexpr size_t bigsize_length(uint64_t value) {
  if (value < 0xfd) return 1;
  if (value <= 0xffff) return 3;
  if (value <= 0xffffffff) return 5;
  return 9;
}

// Bytes a truncated integer (tu16/tu32/tu64) of `value` takes: no leading zero bytes.
constexpr size_t truncated_length(uint64_t value) {
  size_t n = 0;
  while (value != 0) {
    ++n;
    value >>= 8;
  }
  return n;
}

class Reader {
 public:
  explicit Reader(ByteSpan data) : m_data(data) {}

  size_t remaining() const { return m_data.size() - m_pos; }
  bool empty() const { return remaining() == 0; }
  size_t position() const { return m_pos; }

  Result<uint8_t> u8();
  Result<uint16_t> u16();
  Result<uint32_t> u32();
  Result<uint64_t> u64();
  Result<int8_t> s8();
  Result<int16_t> s16();
  Result<int32_t> s32();
  Result<int64_t> s64();
  // BOLT 1 Appendix A: must be minimally encoded.
  Result<uint64_t> bigsize();
  // A truncated integer of at most `max_bytes` bytes taking everything that remains (it
  // is always the last field of a TLV value); leading zero bytes are an error.
  Result<uint64_t> truncated(size_t max_bytes);
  // The next `n` bytes (a view into the input).
  Result<ByteSpan> bytes(size_t n);
  // Everything that remains.
  ByteSpan rest();

 private:
  Result<uint64_t> big_endian(size_t n);

  ByteSpan m_data;
  size_t m_pos = 0;
};

class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve) { m_out.reserve(reserve); }

  void u8(uint8_t v) { m_out.push_back(v); }
  void u16(uint16_t v) { big_endian(v, 2); }
  void u32(uint32_t v) { big_endian(v, 4); }
  void u64(uint64_t v) { big_endian(v, 8); }
  void s8(int8_t v) { big_endian(static_cast<uint8_t>(v), 1); }
  void s16(int16_t v) { big_endian(static_cast<uint16_t>(v), 2); }
  void s32(int32_t v) { big_endian(static_cast<uint32_t>(v), 4); }
  void s64(int64_t v) { big_endian(static_cast<uint64_t>(v), 8); }
  void bigsize(uint64_t v);
  // Minimal big-endian bytes of `v` (zero writes nothing).
  void truncated(uint64_t v) { big_endian(v, truncated_length(v)); }
  void bytes(ByteSpan data) { m_out.insert(m_out.end(), data.begin(), data.end()); }

  size_t size() const { return m_out.size(); }
  const Bytes& data() const { return m_out; }
  Bytes take() { return std::move(m_out); }

 private:
  void big_endian(uint64_t v, size_t n) {
    for (size_t i = n; i > 0; --i) m_out.push_back(static_cast<uint8_t>(v >> (8 * (i - 1))));
  }

  Bytes m_out;
};

// Convenience wrappers.
Bytes encode_bigsize(uint64_t value);
// The whole of `data` must be one minimal BigSize.
Result<uint64_t> decode_bigsize(ByteSpan data);

}  // namespace fulgur::wire
