// make_input_verifier: every input through lib/bitcoin's interpreter, with Bitcoin Core's
// STANDARD_SCRIPT_VERIFY_FLAGS for the mempool or only the MANDATORY (consensus) ones.
#include "script_verify.h"

#include "bitcoin/interpreter.h"

namespace fulgur::l1sim {

InputVerifier make_input_verifier() {
  return [](const bitcoin::Transaction& tx, size_t input, const std::vector<bitcoin::TxOut>& spent,
            bool standard) -> std::optional<std::string> {
    uint32_t flags = standard ? bitcoin::verify::STANDARD : bitcoin::verify::MANDATORY;
    auto r = bitcoin::verify_input(tx, input, spent[input], flags);
    if (r.ok()) return std::nullopt;
    return std::string(bitcoin::script_error_string(r.error()));
  };
}

}  // namespace fulgur::l1sim
