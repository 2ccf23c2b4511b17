// Fuzz target: feature vectors and channel types from peer bytes. Parsing never fails;
// serializing gives the minimal form; the init checks and channel-type parsing never crash
// and a parsed channel type re-encodes to the input.
#include "common/assert.h"
#include "wire/features.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulgur;
  using namespace fulgur::wire;
  ByteSpan input(data, size);
  FeatureBits bits = FeatureBits::from_wire(input);
  Bytes minimal = bits.to_wire();
  FULGUR_ASSERT(minimal.size() <= size);
  FULGUR_ASSERT(FeatureBits::from_wire(minimal) == bits);
  auto status = check_peer_init_features(bits);
  if (!status) FULGUR_ASSERT(status.error().action == PeerAction::Disconnect);
  auto type = parse_channel_type(input);
  if (type) FULGUR_ASSERT(encode_channel_type(*type) == Bytes(input.begin(), input.end()));
  return 0;
}
