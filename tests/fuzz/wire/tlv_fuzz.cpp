// Fuzz target: TLV streams, untyped (split_tlv_stream) and typed (reply_channel_range's
// set, which has nested records and arrays). A stream that parses re-encodes to the same
// bytes and parses again to an equal value.
#include "common/assert.h"
#include "wire/messages.h"
#include "wire/tlv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulgur;
  using namespace fulgur::wire;
  ByteSpan input(data, size);
  auto records = split_tlv_stream(input);
  if (records) {
    Writer w;
    write_tlv_stream(w, {}, *records);
    FULGUR_ASSERT(w.data() == Bytes(input.begin(), input.end()));
  }
  auto typed = decode_record<msg::ReplyChannelRangeTlvs>(input);
  if (typed) {
    // A typed parse is stricter than the untyped one.
    FULGUR_ASSERT(records.ok());
    Bytes encoded = encode_record(*typed);
    FULGUR_ASSERT(encoded == Bytes(input.begin(), input.end()));
    auto again = decode_record<msg::ReplyChannelRangeTlvs>(encoded);
    FULGUR_ASSERT(again.ok() && *again == *typed);
  }
  return 0;
}
