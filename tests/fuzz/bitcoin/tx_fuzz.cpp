// Fuzz target: transaction parsing. Whatever parses must serialize back to the same bytes
// (the encoding is canonical) and have consistent sizes.
#include "bitcoin/tx.h"
#include "common/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fulgur::bitcoin;
  fulgur::ByteSpan input(data, size);
  for (bool witness : {true, false}) {
    auto tx = parse_transaction(input, ParseOptions{witness});
    if (!tx.ok()) continue;
    fulgur::Bytes again = witness ? tx->serialize() : tx->serialize_without_witness();
    FULGUR_ASSERT(again == fulgur::Bytes(input.begin(), input.end()));
    FULGUR_ASSERT(tx->weight() >= tx->serialize_without_witness().size() * 4);
    (void)tx->txid();
  }
  return 0;
}
