// Bounds-checked reads of the BOLT 1 fundamental types and BigSize (Appendix A).
#include "wire/codec.h"

#include <string>

namespace fulgur::wire {

Result<uint64_t> Reader::big_endian(size_t n) {
  if (remaining() < n) {
    return decode_error("truncated: need " + std::to_string(n) + " bytes, " +
                        std::to_string(remaining()) + " left");
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | m_data[m_pos + i];
  m_pos += n;
  return v;
}

Result<uint8_t> Reader::u8() {
  FULGUR_TRY(uint64_t v, big_endian(1));
  return static_cast<uint8_t>(v);
}
Result<uint16_t> Reader::u16() {
  FULGUR_TRY(uint64_t v, big_endian(2));
  return static_cast<uint16_t>(v);
}
Result<uint32_t> Reader::u32() {
  FULGUR_TRY(uint64_t v, big_endian(4));
  return static_cast<uint32_t>(v);
}
Result<uint64_t> Reader::u64() { return big_endian(8); }

// Two's complement: the unsigned bit pattern converts to the signed value (C++20 defines
// the conversion modulo 2^N).
Result<int8_t> Reader::s8() {
  FULGUR_TRY(uint64_t v, big_endian(1));
  return static_cast<int8_t>(static_cast<uint8_t>(v));
}
Result<int16_t> Reader::s16() {
  FULGUR_TRY(uint64_t v, big_endian(2));
  return static_cast<int16_t>(static_cast<uint16_t>(v));
}
Result<int32_t> Reader::s32() {
  FULGUR_TRY(uint64_t v, big_endian(4));
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}
Result<int64_t> Reader::s64() {
  FULGUR_TRY(uint64_t v, big_endian(8));
  return static_cast<int64_t>(v);
}

Result<uint64_t> Reader::bigsize() {
  FULGUR_TRY(uint8_t first, u8());
  size_t n = 0;
  uint64_t min = 0;
  switch (first) {
    case 0xfd: n = 2, min = 0xfd; break;
    case 0xfe: n = 4, min = 0x10000; break;
    case 0xff: n = 8, min = 0x100000000; break;
    default: return uint64_t{first};
  }
  if (remaining() < n) return decode_error("bigsize truncated");
  FULGUR_TRY(uint64_t v, big_endian(n));
  // BOLT #1 Appendix A: a value encoded in more bytes than it needs is not canonical.
  if (v < min) return decode_error("decoded bigsize is not canonical");
  return v;
}

Result<uint64_t> Reader::truncated(size_t max_bytes) {
  size_t n = remaining();
  if (n > max_bytes) {
    return decode_error("truncated integer longer than " + std::to_string(max_bytes) + " bytes");
  }
  // BOLT #1: "Leading zeros in truncated integers MUST be omitted".
  if (n > 0 && m_data[m_pos] == 0) return decode_error("truncated integer is not minimal");
  return big_endian(n);
}

Result<ByteSpan> Reader::bytes(size_t n) {
  if (remaining() < n) {
    return decode_error("truncated: need " + std::to_string(n) + " bytes, " +
                        std::to_string(remaining()) + " left");
  }
  ByteSpan out = m_data.subspan(m_pos, n);
  m_pos += n;
  return out;
}

ByteSpan Reader::rest() {
  ByteSpan out = m_data.subspan(m_pos);
  m_pos = m_data.size();
  return out;
}

void Writer::bigsize(uint64_t v) {
  switch (bigsize_length(v)) {
    case 1: u8(static_cast<uint8_t>(v)); break;
    case 3: u8(0xfd), u16(static_cast<uint16_t>(v)); break;
    case 5: u8(0xfe), u32(static_cast<uint32_t>(v)); break;
    default: u8(0xff), u64(v); break;
  }
}

Bytes encode_bigsize(uint64_t value) {
  Writer w;
  w.bigsize(value);
  return w.take();
}

Result<uint64_t> decode_bigsize(ByteSpan data) {
  Reader r(data);
  FULGUR_TRY(uint64_t v, r.bigsize());
  if (!r.empty()) return decode_error("trailing bytes after bigsize");
  return v;
}

}  // namespace fulgur::wire
