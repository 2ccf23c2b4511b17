// Internal to lib/payment: the frame of every persisted record, u16 version || TLV stream.
// A record's fields are a TLV table of wire/record.h (required fields checked on read,
// optional ones absent when unset, unknown odd fields of a later version kept and written
// back). Include only in the .cpp files that define a record.
#pragma once

#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/result.h"
#include "wire/codec.h"
#include "wire/record.h"

namespace fulgur::payment::detail {

template <typename Tlvs>
Bytes write_versioned(uint16_t version, const Tlvs& tlvs) {
  wire::Writer w;
  w.u16(version);
  write_record(w, tlvs);
  return w.take();
}

// A store's bytes are local input: errors carry PeerAction::None.
template <typename Tlvs>
Result<Tlvs> read_versioned(ByteSpan bytes, uint16_t version, const char* what) {
  wire::Reader r(bytes);
  auto found = r.u16();
  if (!found) return fail(std::string(what) + ": truncated version");
  if (*found != version) {
    return fail(std::string(what) + ": unsupported version " + std::to_string(*found));
  }
  Tlvs tlvs{};
  auto status = read_record(r, tlvs);
  if (!status) return fail(std::string(what) + ": " + status.error().message);
  return tlvs;
}

template <typename T>
Result<T> required(const std::optional<T>& value, const char* what, const char* field) {
  if (!value) return fail(std::string(what) + ": " + field + " missing");
  return *value;
}

}  // namespace fulgur::payment::detail
