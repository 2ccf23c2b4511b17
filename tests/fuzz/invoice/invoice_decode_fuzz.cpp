// Fuzz target: BOLT 11 invoice decoding. What decodes must re-encode (with its own fields)
// and decode again to the same fields.
#include <string_view>

#include "common/assert.h"
#include "invoice/invoice.h"

using namespace fulgur;
using namespace fulgur::invoice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto inv = decode_invoice(text);
  if (!inv.ok()) {
    FULGUR_ASSERT(!inv.error().message.empty());
    return 0;
  }
  static const crypto::SecretKey key =
      std::move(crypto::SecretKey::from_bytes(Bytes(32, 0x42))).value();
  if (inv->payee_node_id) return 0;  // would need the payee's key to re-sign
  auto again = encode_invoice(*inv, key);
  FULGUR_ASSERT(again.ok());
  auto back = decode_invoice(*again);
  FULGUR_ASSERT(back.ok() && back->fields == inv->fields && back->amount == inv->amount);
  return 0;
}
