// Fuzz target: the payment tracker's persisted attempt. What decodes re-encodes to the same
// bytes, loads, and can still decrypt (or refuse to attribute) a returned failure.
#include "common/assert.h"
#include "payment/payments.h"

using namespace fulgur;
using namespace fulgur::payment;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  auto record = decode_payment_record(input);
  if (!record.ok()) return 0;
  FULGUR_ASSERT(encode_payment_record(*record) == Bytes(input.begin(), input.end()));
  PaymentTracker tracker;
  FULGUR_ASSERT(tracker.load(input).ok());
  FULGUR_ASSERT(!tracker.load(input).ok());
  const PaymentState before = record->state;
  auto failed = tracker.on_failed(record->htlc, input.first(std::min<size_t>(size, 300)), 1);
  FULGUR_ASSERT(failed.ok() == (before != PaymentState::succeeded));
  FULGUR_ASSERT(tracker.status(record->payment_hash).attempts == 1);
  return 0;
}
