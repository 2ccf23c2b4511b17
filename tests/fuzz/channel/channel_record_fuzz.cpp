// Fuzz target: the channel state record (channel_state.h), as read back from the channel
// store at startup. A corrupt record must be refused, never crash or read out of bounds; a
// record that decodes re-encodes to one that decodes to the same state.
#include "channel/channel_state.h"
#include "common/assert.h"

using namespace fulgur;
using namespace fulgur::channel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto state = deserialize_channel_state(ByteSpan(data, size));
  if (!state) return 0;
  Bytes again = serialize(*state);
  auto back = deserialize_channel_state(again);
  FULGUR_ASSERT(back.ok());
  FULGUR_ASSERT(*back == *state);
  FULGUR_ASSERT(serialize(*back) == again);
  return 0;
}
