// Fuzz target: the message decoder. Built once over all types (the input is a whole
// message) and once per family (setup 0-31, channel 32-127, commitment 128-255, gossip
// 256-511), where the first input byte picks a known type of the family and the rest is its
// payload. A message that decodes must re-encode to the same bytes (every encoding is
// canonical, which gossip signatures rely on) and decode again to an equal message.
#include <cstdint>
#include <vector>

#include "common/assert.h"
#include "wire/messages.h"

namespace {
using namespace fulgur;
using namespace fulgur::wire;

#if defined(FULGUR_FUZZ_FAMILY_setup)
constexpr uint16_t FIRST = 0, LAST = 31;
#elif defined(FULGUR_FUZZ_FAMILY_channel)
constexpr uint16_t FIRST = 32, LAST = 127;
#elif defined(FULGUR_FUZZ_FAMILY_commitment)
constexpr uint16_t FIRST = 128, LAST = 255;
#elif defined(FULGUR_FUZZ_FAMILY_gossip)
constexpr uint16_t FIRST = 256, LAST = 511;
#else
#define FULGUR_FUZZ_ALL_TYPES
#endif

void check(ByteSpan input) {
  auto decoded = decode_message(input);
  if (!decoded) {
    FULGUR_ASSERT(decoded.error().action == PeerAction::Disconnect);
    return;
  }
  if (std::holds_alternative<IgnoredMessage>(*decoded)) {
    FULGUR_ASSERT(message_type(*decoded) % 2 == 1);
    FULGUR_ASSERT(!is_known_message_type(message_type(*decoded)));
    return;
  }
  Bytes encoded = encode_message(*decoded);
  FULGUR_ASSERT(Bytes(input.begin(), input.end()) == encoded);
  auto again = decode_message(encoded);
  FULGUR_ASSERT(again.ok() && *again == *decoded);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#ifdef FULGUR_FUZZ_ALL_TYPES
  check(ByteSpan(data, size));
#else
  if (size == 0) return 0;
  std::vector<uint16_t> types;
  for (uint16_t t = FIRST; t <= LAST; ++t) {
    if (is_known_message_type(t)) types.push_back(t);
  }
  uint16_t type = types[data[0] % types.size()];
  Bytes message = {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type)};
  message.insert(message.end(), data + 1, data + size);
  check(message);
#endif
  return 0;
}
