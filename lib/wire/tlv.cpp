// The BOLT 1 TLV stream rules, enforced once for every TLV namespace.
#include "wire/tlv.h"

#include <string>

#include "common/assert.h"

namespace fulgur::wire {

namespace {
Status read_stream(Reader& r, const TlvVisitor* visit, TlvRecords* unknown) {
  bool first = true;
  uint64_t last_type = 0;
  // BOLT #1: "if zero bytes remain before parsing a `type`: MUST stop parsing".
  while (!r.empty()) {
    // BOLT #1: "if a `type` or `length` is not minimally encoded: MUST fail to parse".
    FULGUR_TRY(uint64_t type, r.bigsize());
    // BOLT #1: "if decoded `type`s are not strictly-increasing (including situations when
    // two or more occurrences of the same `type` are met): MUST fail to parse".
    if (!first && type <= last_type) {
      return decode_error("tlv type " + std::to_string(type) + " after " +
                          std::to_string(last_type) + ": not strictly increasing");
    }
    first = false;
    last_type = type;
    FULGUR_TRY(uint64_t length, r.bigsize());
    // BOLT #1: "if `length` exceeds the number of bytes remaining in the message: MUST fail".
    if (length > r.remaining()) {
      return decode_error("tlv type " + std::to_string(type) + " length " +
                          std::to_string(length) + " exceeds the " +
                          std::to_string(r.remaining()) + " bytes left");
    }
    FULGUR_TRY(ByteSpan value, r.bytes(static_cast<size_t>(length)));
    bool known = false;
    if (visit != nullptr) {
      FULGUR_TRY(known, (*visit)(type, value));
    }
    if (known) continue;
    // BOLT #1: "if `type` is even: MUST fail to parse the `tlv_stream`";
    // "otherwise, if `type` is odd: MUST discard the next `length` bytes".
    if (visit != nullptr && type % 2 == 0) {
      return decode_error("unknown even tlv type " + std::to_string(type));
    }
    if (unknown != nullptr) unknown->push_back(TlvRecord{type, Bytes(value.begin(), value.end())});
  }
  return {};
}
}  // namespace

Status read_tlv_stream(Reader& r, const TlvVisitor& visit, TlvRecords* unknown) {
  if (unknown != nullptr) unknown->clear();
  return read_stream(r, &visit, unknown);
}

Result<TlvRecords> split_tlv_stream(ByteSpan stream) {
  Reader r(stream);
  TlvRecords records;
  FULGUR_TRY_STATUS(read_stream(r, nullptr, &records));
  return records;
}

void write_tlv_record(Writer& w, uint64_t type, ByteSpan value) {
  w.bigsize(type);
  w.bigsize(value.size());
  w.bytes(value);
}

void write_tlv_stream(Writer& w, const TlvRecords& known, const TlvRecords& unknown) {
  size_t i = 0;
  size_t j = 0;
  bool first = true;
  uint64_t last = 0;
  while (i < known.size() || j < unknown.size()) {
    bool take_known = j == unknown.size() || (i < known.size() && known[i].type < unknown[j].type);
    const TlvRecord& rec = take_known ? known[i++] : unknown[j++];
    // BOLT #1: the sender "MUST order `tlv_record`s in a `tlv_stream` by strictly-increasing
    // `type`". Records out of order here are a bug in the caller.
    FULGUR_REQUIRE(first || rec.type > last);
    first = false;
    last = rec.type;
    write_tlv_record(w, rec.type, rec.value);
  }
}

}  // namespace fulgur::wire
