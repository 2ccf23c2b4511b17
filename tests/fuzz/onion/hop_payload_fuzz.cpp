// Fuzz target: a hop's decrypted TLV payload (BOLT 4 payload / BOLT 1 TLV rules).
#include "common/assert.h"
#include "onion/payload.h"

using namespace fulgur;
using namespace fulgur::onion;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto payload = decode_hop_payload(ByteSpan(data, size));
  if (!payload.ok()) {
    FULGUR_ASSERT(payload.error().offset <= size);
    return 0;
  }
  // What decodes re-encodes to the same bytes (the stream is canonical) and checks run.
  Bytes again = encode_hop_payload(*payload);
  FULGUR_ASSERT(again == Bytes(data, data + size));
  (void)check_forward_payload(*payload);
  (void)check_final_payload(*payload);
  return 0;
}
