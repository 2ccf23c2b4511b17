// Fuzz target: the receiver's per-commitment secret storage, fed the peer's secrets
// (revoke_and_ack) and its own persisted form. Input: a mode byte, then 32-byte secrets
// (mode 0: inserted in order, half of them genuine from a seed) or a serialized store.
#include <cstring>

#include "channel/shachain.h"
#include "common/assert.h"

using namespace fulgur;
using namespace fulgur::channel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteSpan in(data + 1, size - 1);
  if (data[0] & 1) {
    auto store = ShachainStore::from_bytes(in);
    if (store.ok()) {
      FULGUR_ASSERT(store->to_bytes() == Bytes(in.begin(), in.end()));
    }
    return 0;
  }
  crypto::Secret32 seed;
  ShachainStore store;
  for (size_t off = 0; off + 33 <= in.size() && store.count() < 256; off += 33) {
    uint64_t index = *store.next_index();
    crypto::Secret32 secret(in.subspan(off + 1).first<32>());
    if (in[off] & 1) {
      std::memcpy(seed.expose_mut().data(), in.data() + off + 1, 32);
      secret = generate_from_seed(seed, index);
    }
    bool genuine_run = store.count() == 0 || store.secret_at(index + 1).has_value();
    auto before = store.count();
    auto status = store.insert(index, secret);
    FULGUR_ASSERT(store.count() == before + (status.ok() ? 1 : 0));
    if (status.ok()) {
      auto again = store.secret_at(index);
      FULGUR_ASSERT(again.has_value() && *again == secret);
    }
    FULGUR_ASSERT(genuine_run);
  }
  auto round = ShachainStore::from_bytes(store.to_bytes());
  FULGUR_ASSERT(round.ok() && round->to_bytes() == store.to_bytes());
  return 0;
}
