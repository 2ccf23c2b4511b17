// Fuzz target: DER and compact signature parsing (Bitcoin witnesses, peer messages).
#include "common/assert.h"
#include "crypto/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using fulgur::crypto::Signature;
  auto der = Signature::from_der({data, size});
  if (der.ok()) {
    auto again = Signature::from_der(der->to_der());
    FULGUR_ASSERT(again.ok() && *again == *der);
  }
  auto compact = Signature::from_compact({data, size});
  if (compact.ok()) FULGUR_ASSERT(compact->to_compact().size() == 64 && size == 64);
  return 0;
}
