// Fuzz target: the interpreter on an arbitrary witness script and witness stack, under
// standard and consensus flags. Input: 1 flag byte, 1 byte witness item count, then items
// as (1 length byte, bytes), and the rest is the witness script. Nothing may crash, and a
// spend valid under policy must be valid under consensus (policy only adds rules).
#include <algorithm>

#include "bitcoin/interpreter.h"
#include "common/assert.h"
#include "crypto/hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulgur::bitcoin;
  fulgur::ByteSpan in(data, size);
  if (in.size() < 2) return 0;
  const uint8_t selector = in[0];
  size_t count = in[1] % 8;
  size_t pos = 2;
  Witness witness;
  for (size_t i = 0; i < count && pos < in.size(); ++i) {
    size_t claimed = in[pos];
    ++pos;
    size_t len = std::min<size_t>(claimed, in.size() - pos);
    witness.emplace_back(in.begin() + static_cast<std::ptrdiff_t>(pos),
                         in.begin() + static_cast<std::ptrdiff_t>(pos + len));
    pos += len;
  }
  Script witness_script = Script::from_span(in.subspan(pos));
  witness.push_back(witness_script.bytes());

  Transaction tx;
  tx.version = (selector & 1) ? 2 : 1;
  tx.locktime = selector & 0x80 ? 500 : 0;
  TxIn input;
  input.sequence = (selector & 2) ? 144 : SEQUENCE_FINAL;
  input.witness = witness;
  tx.inputs.push_back(input);
  tx.outputs.push_back(TxOut{fulgur::Sat(1000), Script()});
  TxOut spent{fulgur::Sat(2000), p2wsh_for_script(witness_script)};

  PrecomputedTxData cache(tx);
  auto standard = verify_input(tx, 0, spent, verify::STANDARD, &cache);
  auto mandatory = verify_input(tx, 0, spent, verify::MANDATORY, &cache);
  FULGUR_ASSERT(!standard.ok() || mandatory.ok());
  (void)is_witness_standard(tx.inputs[0], spent.script_pubkey);
  // The same bytes as a bare script evaluated directly.
  Stack stack(witness.begin(), witness.end() - 1);
  (void)eval_script(stack, witness_script, verify::STANDARD, SignatureChecker(),
                    SigVersion::WitnessV0);
  return 0;
}
