// Fuzz target: a failure packet returned to the origin (decryption, attribution and the
// failure message decoder).
#include "common/assert.h"
#include "onion/failure.h"

using namespace fulgur;
using namespace fulgur::onion;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  // The failure message decoder on the raw input.
  auto message = decode_failure_message(input);
  if (message.ok()) FULGUR_ASSERT(encode_failure_message(*message) == Bytes(data, data + size));

  // A packet from the input, under three fixed secrets.
  std::vector<crypto::Secret32> secrets;
  for (uint8_t i = 1; i <= 3; ++i) {
    std::array<uint8_t, 32> s{};
    s.fill(i);
    secrets.emplace_back(s);
  }
  auto decrypted = decrypt_failure_packet(secrets, input);
  if (decrypted.ok()) FULGUR_ASSERT(decrypted->hop_index < secrets.size());

  // The input as a failure message built by hop 2 and wrapped by hops 1 and 0.
  auto packet = create_failure_packet(secrets[2], input);
  if (packet.ok()) {
    wrap_failure_packet(secrets[1], *packet);
    wrap_failure_packet(secrets[0], *packet);
    auto back = decrypt_failure_packet(secrets, *packet);
    // Attributed to hop 2 unless the input is too short to carry a failure code.
    if (size >= 2) FULGUR_ASSERT(back.ok() && back->hop_index == 2 && back->failure_message ==
                                                                       Bytes(data, data + size));
  }
  return 0;
}
