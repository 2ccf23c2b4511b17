// Fuzz target: BigSize. A value that decodes re-encodes to the same (minimal) bytes.
#include "common/assert.h"
#include "wire/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulgur;
  auto value = wire::decode_bigsize(ByteSpan(data, size));
  if (value) {
    FULGUR_ASSERT(wire::encode_bigsize(*value) == Bytes(data, data + size));
    FULGUR_ASSERT(wire::bigsize_length(*value) == size);
  }
  return 0;
}
