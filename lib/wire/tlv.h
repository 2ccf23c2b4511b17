// BOLT 1 TLV streams, untyped: the one place that enforces the stream rules (strictly
// increasing types, minimal BigSize type and length, length within the input, unknown
// even types rejected, unknown odd types kept). Typed record sets (wire/record.h) and any
// module with its own TLV namespace (onion payloads, invoices, offers) build on this.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "wire/codec.h"

namespace fulgur::wire {

// One record as it appeared on the wire.
struct TlvRecord {
  uint64_t type = 0;
  Bytes value;

  friend bool operator==(const TlvRecord&, const TlvRecord&) = default;
};
// Records in strictly increasing type order. Unknown odd records of a decoded set are kept
// here and written back unchanged.
using TlvRecords = std::vector<TlvRecord>;

// Called for each record in order: decode `value` and return true if `type` is known,
// return false if it is not, or return an error if the known record is malformed.
using TlvVisitor = std::function<Result<bool>(uint64_t type, ByteSpan value)>;

// Reads a TLV stream from everything that remains in `r`. Unknown odd records are
// appended to `unknown` (if not null); an unknown even record is an error.
Status read_tlv_stream(Reader& r, const TlvVisitor& visit, TlvRecords* unknown);

// Splits a stream into its records, checking only the stream rules (ordering, minimal
// encodings, lengths) and treating every type as unknown-but-allowed.
Result<TlvRecords> split_tlv_stream(ByteSpan stream);

// Writes `known` and `unknown` merged in increasing type order. Both must be sorted and
// no type may appear twice (a caller bug).
void write_tlv_stream(Writer& w, const TlvRecords& known, const TlvRecords& unknown);
void write_tlv_record(Writer& w, uint64_t type, ByteSpan value);

}  // namespace fulgur::wire
