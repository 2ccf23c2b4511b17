// Loading a data directory into the node, and saving new wallet keys.
#include "server/node.h"

namespace fulgur::l1sim {

Status Node::load() {
  FULGUR_TRY(std::vector<crypto::SecretKey> keys, store.load_keys());
  for (auto& k : keys) wallet.add_key(std::move(k));
  saved_keys = wallet.key_count();
  size_t blocks = 0;
  FULGUR_TRY_STATUS(store.replay(
      [&](const Block& block) {
        ++blocks;
        return chain.add_block(block, false);
      },
      [&](ChainRecord kind, const BlockHash& hash) {
        switch (kind) {
          case ChainRecord::Invalidate: return chain.invalidate(hash);
          case ChainRecord::Reconsider: return chain.reconsider(hash);
          case ChainRecord::Block: break;
        }
        return Status(fail("unexpected record"));
      }));
  log->info("loaded {} blocks (tip {} at height {}) and {} wallet keys", blocks,
            chain.tip().to_hex(), chain.height(), saved_keys);
  return {};
}

Status Node::save_new_keys() {
  const auto& keys = wallet.keys();
  for (; saved_keys < keys.size(); ++saved_keys) {
    FULGUR_TRY_STATUS(store.append_key(keys[saved_keys]));
  }
  return {};
}

}  // namespace fulgur::l1sim
