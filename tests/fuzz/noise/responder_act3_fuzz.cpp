// Fuzz target: a responder reading act three after a valid act one (the initiator's
// encrypted static key and final tag).
#include "fuzz_keys.h"
#include "noise/handshake.h"

using namespace fulgur;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto responder = fuzz::responder_static();
  auto initiator = noise::Handshake::initiator(fuzz::initiator_static(), responder.public_key(),
                                               fuzz::initiator_ephemeral());
  auto hs = noise::Handshake::responder(responder, fuzz::responder_ephemeral());
  auto act2 = hs.receive_act_one(initiator.act_one());
  FULGUR_ASSERT(act2.ok());
  auto done = hs.receive_act_three({data, size});
  FULGUR_ASSERT(done.ok() == hs.complete());
  if (done.ok()) {
    FULGUR_ASSERT(size == noise::ACT_THREE_SIZE && hs.remote_static().has_value());
    auto transport = std::move(hs).into_transport();
    (void)transport.encrypt_message({});
  } else {
    FULGUR_ASSERT(done.error().act == 3 && !hs.remote_static().has_value());
  }
  return 0;
}
