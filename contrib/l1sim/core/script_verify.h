// The InputVerifier l1sim runs for every input: lib/bitcoin's witness v0 interpreter with
// Bitcoin Core's standard policy flags (or only the mandatory ones).
#pragma once

#include "chainstate.h"

namespace fulgur::l1sim {

InputVerifier make_input_verifier();

}  // namespace fulgur::l1sim
