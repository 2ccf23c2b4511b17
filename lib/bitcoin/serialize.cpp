// Bitcoin wire serialization: CompactSize and bounds-checked little-endian reads.
#include "bitcoin/serialize.h"

#include <string>

namespace fulgur::bitcoin {

void Writer::compact_size(uint64_t n) {
  if (n < 0xfd) {
    u8(static_cast<uint8_t>(n));
  } else if (n <= 0xffff) {
    u8(0xfd);
    u16(static_cast<uint16_t>(n));
  } else if (n <= 0xffffffff) {
    u8(0xfe);
    u32(static_cast<uint32_t>(n));
  } else {
    u8(0xff);
    u64(n);
  }
}

Result<uint64_t> Reader::le(int n) {
  if (remaining() < static_cast<size_t>(n)) return fail("unexpected end of data");
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(m_data[m_pos + i]) << (8 * i);
  m_pos += static_cast<size_t>(n);
  return v;
}

Result<uint8_t> Reader::u8() {
  FULGUR_TRY(uint64_t v, le(1));
  return static_cast<uint8_t>(v);
}
Result<uint16_t> Reader::u16() {
  FULGUR_TRY(uint64_t v, le(2));
  return static_cast<uint16_t>(v);
}
Result<uint32_t> Reader::u32() {
  FULGUR_TRY(uint64_t v, le(4));
  return static_cast<uint32_t>(v);
}
Result<uint64_t> Reader::u64() { return le(8); }
Result<int32_t> Reader::i32() {
  FULGUR_TRY(uint32_t v, u32());
  return static_cast<int32_t>(v);
}

Result<uint64_t> Reader::compact_size() {
  FULGUR_TRY(uint8_t first, u8());
  uint64_t n = first;
  uint64_t minimum = 0;
  if (first == 0xfd) {
    FULGUR_TRY(n, le(2));
    minimum = 0xfd;
  } else if (first == 0xfe) {
    FULGUR_TRY(n, le(4));
    minimum = 0x10000;
  } else if (first == 0xff) {
    FULGUR_TRY(n, le(8));
    minimum = 0x100000000ULL;
  }
  if (n < minimum) return fail("non-canonical ReadCompactSize()");
  if (n > MAX_COMPACT_SIZE) return fail("ReadCompactSize(): size too large");
  return n;
}

Result<ByteSpan> Reader::bytes(size_t n) {
  if (remaining() < n) return fail("unexpected end of data");
  ByteSpan out = m_data.subspan(m_pos, n);
  m_pos += n;
  return out;
}

Result<Bytes> Reader::var_bytes() {
  FULGUR_TRY(uint64_t n, compact_size());
  FULGUR_TRY(ByteSpan data, bytes(static_cast<size_t>(n)));
  return Bytes(data.begin(), data.end());
}

}  // namespace fulgur::bitcoin
