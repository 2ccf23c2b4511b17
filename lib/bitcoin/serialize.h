// Bitcoin's wire serialization: little-endian integers and CompactSize lengths. The Reader
// is bounds-checked and never allocates more than the bytes it has actually been given.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::bitcoin {

// Bitcoin Core's MAX_SIZE: no CompactSize length above this is accepted.
inline constexpr uint64_t MAX_COMPACT_SIZE = 0x02000000;

class Writer {
 public:
  void u8(uint8_t v) { m_out.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void compact_size(uint64_t n);
  void bytes(ByteSpan data) { append(m_out, data); }
  // A CompactSize length followed by the bytes.
  void var_bytes(ByteSpan data) {
    compact_size(data.size());
    bytes(data);
  }

  Bytes& out() { return m_out; }
  Bytes take() { return std::move(m_out); }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) m_out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes m_out;
};

// Reads from a span it does not own. Every read checks the remaining length first.
class Reader {
 public:
  explicit Reader(ByteSpan data) : m_data(data) {}

  Result<uint8_t> u8();
  Result<uint16_t> u16();
  Result<uint32_t> u32();
  Result<uint64_t> u64();
  Result<int32_t> i32();
  // Canonical (shortest) encoding only, at most MAX_COMPACT_SIZE, as Bitcoin Core.
  Result<uint64_t> compact_size();
  Result<ByteSpan> bytes(size_t n);
  // A CompactSize length, then that many bytes (checked against what is left first).
  Result<Bytes> var_bytes();

  size_t remaining() const { return m_data.size() - m_pos; }
  size_t position() const { return m_pos; }
  bool empty() const { return remaining() == 0; }

 private:
  Result<uint64_t> le(int n);
  ByteSpan m_data;
  size_t m_pos = 0;
};

}  // namespace fulgur::bitcoin
