// Fuzz target: an initiator reading act two from the node it dialled.
#include "fuzz_keys.h"
#include "noise/handshake.h"

using namespace fulgur;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto hs = noise::Handshake::initiator(fuzz::initiator_static(),
                                        fuzz::responder_static().public_key(),
                                        fuzz::initiator_ephemeral());
  (void)hs.act_one();
  auto act3 = hs.receive_act_two({data, size});
  FULGUR_ASSERT(act3.ok() == hs.complete());
  if (act3.ok()) {
    FULGUR_ASSERT(size == noise::ACT_TWO_SIZE);
    auto transport = std::move(hs).into_transport();
    (void)transport.encrypt_message({});
  } else {
    FULGUR_ASSERT(act3.error().act == 2 && hs.failed());
  }
  return 0;
}
