// Fuzz target: script parsing and asm. Re-pushing every parsed push's data must parse back
// to the same data.
#include "bitcoin/bech32.h"
#include "bitcoin/script.h"
#include "common/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulgur::bitcoin;
  Script script = Script::from_span({data, size});
  (void)script.to_asm();
  (void)script.is_push_only();
  (void)script.witness_program();
  auto ops = script.ops();
  if (ops.ok()) {
    Script rebuilt;
    size_t pushes = 0;
    for (const auto& op : *ops) {
      if (op.opcode > OP_0 && op.opcode <= OP_PUSHDATA4) {
        rebuilt.push_data(op.data);
        ++pushes;
      }
    }
    auto back = rebuilt.ops();
    FULGUR_ASSERT(back.ok() && back->size() == pushes);
  }
  // The same bytes as a bech32 string must never crash the decoder.
  auto text = std::string_view(reinterpret_cast<const char*>(data), size);
  auto dec = bech32_decode(text, 2000);
  if (dec.ok()) FULGUR_ASSERT(dec->hrp.size() + dec->data.size() + 7 == size);
  return 0;
}
