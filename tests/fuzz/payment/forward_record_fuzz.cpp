// Fuzz target: the forward tracker's persisted record. What decodes re-encodes to the same
// bytes, loads, and answers a replayed resolution without breaking its state.
#include "common/assert.h"
#include "payment/forwards.h"

using namespace fulgur;
using namespace fulgur::payment;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  auto record = decode_forward_record(input);
  if (!record.ok()) return 0;
  FULGUR_ASSERT(encode_forward_record(*record) == Bytes(input.begin(), input.end()));
  ForwardTracker tracker;
  FULGUR_ASSERT(tracker.load(input).ok());
  FULGUR_ASSERT(!tracker.load(input).ok());
  const ForwardState before = record->state;
  auto failed = tracker.on_failed(record->outgoing, input.first(std::min<size_t>(size, 300)), 1);
  FULGUR_ASSERT(failed.ok() == (before != ForwardState::settled));
  (void)tracker.at_risk(record->incoming_cltv_expiry, CltvDelta(18));
  (void)tracker.total_fees_earned();
  return 0;
}
