// Declarative records: a subtype (fixed fields in order) or a TLV record set is written
// once as an X-macro table, and these macros turn the table into a struct plus the
// declarations of its codec. The codec itself is generated in one .cpp by the matching
// FULGUR_WIRE_DEFINE_* macro of wire/record_codec.h. Any module can declare its own sets
// (onion hop payloads, invoice fields) this way and reuse the TLV rules of wire/tlv.h.
//
//   // [u32:timestamp_node_id_1][u32:timestamp_node_id_2]      F(C++ type, name, encoding)
//   #define MY_TIMESTAMPS(F) F(uint32_t, timestamp_node_id_1, u32) F(uint32_t, ..._2, u32)
//   FULGUR_WIRE_DECLARE_RECORD(ChannelUpdateTimestamps, MY_TIMESTAMPS)
//
//   // R(type number, C++ type, name, encoding), in increasing type order
//   #define MY_TLVS(R) R(2, Msat, amt_to_forward, tu64) R(4, uint32_t, outgoing_cltv_value, tu32)
//   FULGUR_WIRE_DECLARE_TLVS(HopPayloadTlvs, MY_TLVS)
//
// A TLV set's struct has one std::optional member per known record and `unknown`, the
// unknown odd records that decoding kept and encoding writes back unchanged. Encodings
// are the BOLT type names of wire/fields.h (u8..u64, tu16..tu64, point, signature, sha256,
// short_channel_id, u16_bytes, rest_bytes, u16_array<E>, rest_array<E>, record, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "wire/codec.h"
#include "wire/tlv.h"

#define FULGUR_WIRE_FIELD_MEMBER(type, name, encoding) type name{};
#define FULGUR_WIRE_TLV_MEMBER(number, type, name, encoding) std::optional<type> name;

#define FULGUR_WIRE_DECLARE_RECORD(Name, FIELDS)                                                 \
  struct Name {                                                                                 \
    FIELDS(FULGUR_WIRE_FIELD_MEMBER)                                                            \
    friend bool operator==(const Name&, const Name&) = default;                                 \
  };                                                                                            \
  void write_record(::fulgur::wire::Writer& w, const Name& v);                                  \
  ::fulgur::Status read_record(::fulgur::wire::Reader& r, Name& v);

#define FULGUR_WIRE_DECLARE_TLVS(Name, RECORDS)                                                  \
  struct Name {                                                                                 \
    RECORDS(FULGUR_WIRE_TLV_MEMBER)                                                             \
    ::fulgur::wire::TlvRecords unknown;                                                         \
    friend bool operator==(const Name&, const Name&) = default;                                 \
  };                                                                                            \
  void write_record(::fulgur::wire::Writer& w, const Name& v);                                  \
  ::fulgur::Status read_record(::fulgur::wire::Reader& r, Name& v);

namespace fulgur::wire {

// The bytes of one record (a subtype's fields, or a whole TLV stream).
template <typename T>
Bytes encode_record(const T& value) {
  Writer w;
  write_record(w, value);
  return w.take();
}

// Decodes a record that must take all of `data` (a TLV set always does).
template <typename T>
Result<T> decode_record(ByteSpan data) {
  Reader r(data);
  T value{};
  FULGUR_TRY_STATUS(read_record(r, value));
  if (!r.empty()) return decode_error("trailing bytes after record");
  return value;
}

}  // namespace fulgur::wire
