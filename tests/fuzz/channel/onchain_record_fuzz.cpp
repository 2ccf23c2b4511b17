// Fuzz target: the channel resolver's persisted record (lib/channel/onchain_record.cpp). A
// record that decodes must re-encode to a record that decodes to the same bytes, and the
// resolver it gives must survive being driven (a block, a disconnect, a preimage) without
// crashing, each record it then persists decoding again.
#include "channel/onchain.h"
#include "common/assert.h"

using namespace fulgur;
using namespace fulgur::channel;
using namespace fulgur::channel::onchain;

namespace {
crypto::Secret32 node_seed() {
  std::array<uint8_t, 32> s{};
  s.fill(1);  // the seed tests/unit/channel/onchain_harness.h gives party A (the seeds' owner)
  return crypto::Secret32(std::span<const uint8_t, 32>(s));
}

void check_records(const Config& config, const Outputs& out) {
  for (const Action& a : out.actions) {
    if (const auto* p = std::get_if<PersistRecord>(&a)) {
      auto again = Resolver::restore(config, node_seed(), p->record);
      FULGUR_ASSERT(again.ok());
      FULGUR_ASSERT(again->record() == p->record);
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Config config;
  config.safe_depth = 3;
  config.final_depth = 20;
  auto r = Resolver::restore(config, node_seed(), ByteSpan(data, size));
  if (!r) return 0;
  Bytes record = r->record();
  auto again = Resolver::restore(config, node_seed(), record);
  FULGUR_ASSERT(again.ok());
  FULGUR_ASSERT(again->record() == record);

  (void)r->watched_outpoints();
  uint32_t next = r->tip() + 1;
  check_records(config, r->on_block(BlockHeight(next), {}));
  check_records(config, r->on_block_disconnected(BlockHeight(next)));
  Preimage p;
  if (size >= 32) std::copy(data + size - 32, data + size, p.data());
  check_records(config, r->on_preimage(p));
  check_records(config, r->on_block(BlockHeight(next + 200), {}));
  return 0;
}
