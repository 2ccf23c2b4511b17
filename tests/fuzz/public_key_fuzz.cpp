// Fuzz target: public key parsing (peer-supplied points in every message and onion).
#include "common/assert.h"
#include "crypto/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto key = fulgur::crypto::PublicKey::parse({data, size});
  if (key.ok()) {
    auto again = fulgur::crypto::PublicKey::parse(key->serialize());
    FULGUR_ASSERT(again.ok() && *again == *key);
  }
  auto xonly = fulgur::crypto::XOnlyPublicKey::parse({data, size});
  if (xonly.ok()) FULGUR_ASSERT(size == 32);
  return 0;
}
