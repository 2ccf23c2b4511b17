// Fuzz target: a responder reading act one (the first bytes any stranger can send us).
#include "fuzz_keys.h"
#include "noise/handshake.h"

using namespace fulgur;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto hs = noise::Handshake::responder(fuzz::responder_static(), fuzz::responder_ephemeral());
  auto act2 = hs.receive_act_one({data, size});
  FULGUR_ASSERT(act2.ok() == (hs.next_input_size() == noise::ACT_THREE_SIZE));
  if (act2.ok()) FULGUR_ASSERT(size == noise::ACT_ONE_SIZE && data[0] == 0);
  if (!act2.ok()) FULGUR_ASSERT(hs.failed() && act2.error().act == 1);
  return 0;
}
