// Fuzz target: the invoice registry's persisted record. What decodes re-encodes to the same
// bytes, loads into a registry, and survives its timers and a new block.
#include "common/assert.h"
#include "payment/registry.h"

using namespace fulgur;
using namespace fulgur::payment;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  auto record = decode_invoice_record(input);
  if (!record.ok()) return 0;
  FULGUR_ASSERT(encode_invoice_record(*record) == Bytes(input.begin(), input.end()));
  InvoiceRegistry registry;
  FULGUR_ASSERT(registry.load(input).ok());
  FULGUR_ASSERT(!registry.load(input).ok());  // a duplicate is refused
  (void)registry.on_block(BlockHeight(record->created_at & 0xffffffff));
  (void)registry.on_tick(record->created_at);
  (void)registry.on_tick(UINT64_MAX);
  return 0;
}
