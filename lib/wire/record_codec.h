// The code behind the record tables of wire/record.h: expand FULGUR_WIRE_DEFINE_RECORD /
// FULGUR_WIRE_DEFINE_TLVS once, in a .cpp, in the namespace of the declaration. The field
// encodings (wire/fields.h) are named inside the generated functions through a using-
// directive, so a table reads like the spec: F(Msat, amount_msat, u64).
#pragma once

#include <initializer_list>
#include <string>

#include "wire/fields.h"
#include "wire/record.h"
#include "wire/tlv.h"

namespace fulgur::wire::detail {

constexpr bool strictly_increasing(std::initializer_list<uint64_t> types) {
  bool first = true;
  uint64_t last = 0;
  for (uint64_t t : types) {
    if (!first && t <= last) return false;
    first = false;
    last = t;
  }
  return true;
}

// Decodes one known TLV record's value. BOLT #1: "if `length` is not exactly equal to that
// required for the known encoding for `type`: MUST fail to parse the `tlv_stream`".
template <typename Enc, typename T>
Result<bool> read_tlv_value(ByteSpan value, std::optional<T>& out, const char* name) {
  Reader r(value);
  T decoded{};
  FULGUR_TRY_STATUS(in_field(Enc::read(r, decoded), name));
  if (!r.empty()) {
    return decode_error(std::string(name) + ": length greater than its encoding");
  }
  out = std::move(decoded);
  return true;
}

template <typename Enc, typename T>
void add_tlv_value(TlvRecords& records, uint64_t type, const T& value) {
  Writer w;
  Enc::write(w, value);
  records.push_back(TlvRecord{type, w.take()});
}

}  // namespace fulgur::wire::detail

#define FULGUR_WIRE_FIELD_WRITE(type, name, encoding) encoding::write(w, v.name);
#define FULGUR_WIRE_FIELD_READ(type, name, encoding)                                             \
  FULGUR_TRY_STATUS(::fulgur::wire::detail::in_field(encoding::read(r, v.name), #name));
#define FULGUR_WIRE_TLV_NUMBER(number, type, name, encoding) number,
#define FULGUR_WIRE_TLV_WRITE(number, type, name, encoding)                                      \
  if (v.name) ::fulgur::wire::detail::add_tlv_value<encoding>(known, number, *v.name);
#define FULGUR_WIRE_TLV_READ(number, type, name, encoding)                                       \
  case number:                                                                                  \
    return ::fulgur::wire::detail::read_tlv_value<encoding>(value, v.name, #name);

#define FULGUR_WIRE_DEFINE_RECORD(Name, FIELDS)                                                  \
  void write_record(::fulgur::wire::Writer& w, const Name& v) {                                 \
    using namespace ::fulgur::wire::enc;                                                        \
    (void)w, (void)v;                                                                           \
    FIELDS(FULGUR_WIRE_FIELD_WRITE)                                                             \
  }                                                                                             \
  ::fulgur::Status read_record(::fulgur::wire::Reader& r, Name& v) {                            \
    using namespace ::fulgur::wire::enc;                                                        \
    (void)r, (void)v;                                                                           \
    FIELDS(FULGUR_WIRE_FIELD_READ)                                                              \
    return {};                                                                                  \
  }

#define FULGUR_WIRE_DEFINE_TLVS(Name, RECORDS)                                                   \
  static_assert(::fulgur::wire::detail::strictly_increasing({RECORDS(FULGUR_WIRE_TLV_NUMBER)}), \
                #Name ": TLV types must be listed in strictly increasing order");               \
  void write_record(::fulgur::wire::Writer& w, const Name& v) {                                 \
    using namespace ::fulgur::wire::enc;                                                        \
    ::fulgur::wire::TlvRecords known;                                                           \
    RECORDS(FULGUR_WIRE_TLV_WRITE)                                                              \
    ::fulgur::wire::write_tlv_stream(w, known, v.unknown);                                      \
  }                                                                                             \
  ::fulgur::Status read_record(::fulgur::wire::Reader& r, Name& v) {                            \
    v = Name{};                                                                                 \
    return ::fulgur::wire::read_tlv_stream(                                                     \
        r,                                                                                      \
        [&v](uint64_t type, ::fulgur::ByteSpan value) -> ::fulgur::Result<bool> {               \
          using namespace ::fulgur::wire::enc;                                                  \
          (void)value, (void)v;                                                                 \
          switch (type) {                                                                       \
            RECORDS(FULGUR_WIRE_TLV_READ)                                                       \
            default:                                                                            \
              return false;                                                                     \
          }                                                                                     \
        },                                                                                      \
        &v.unknown);                                                                            \
  }
