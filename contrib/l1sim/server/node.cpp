// Loading a data directory into the node, creating wallets and saving new wallet keys.
#include "server/node.h"

namespace fulgur::l1sim {

Status Node::load() {
  std::vector<std::string> names = store.wallet_names();
  names.insert(names.begin(), "");
  size_t key_count = 0;
  for (const auto& name : names) {
    FULGUR_TRY(std::vector<crypto::SecretKey> keys, store.load_keys(name));
    auto& w = wallets.try_emplace(name, LoadedWallet(name, fresh_key)).first->second;
    for (auto& k : keys) w.wallet.add_key(std::move(k));
    w.saved_keys = w.wallet.key_count();
    key_count += w.saved_keys;
  }
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
  log->info("loaded {} blocks (tip {} at height {}), {} wallets with {} keys", blocks,
            chain.tip().to_hex(), chain.height(), wallets.size(), key_count);
  return {};
}

Status Node::create_wallet(const std::string& name) {
  FULGUR_TRY_STATUS(store.create_wallet(name));
  wallets.try_emplace(name, LoadedWallet(name, fresh_key));
  return {};
}

Status Node::save_new_keys(LoadedWallet& w) {
  const auto& keys = w.wallet.keys();
  for (; w.saved_keys < keys.size(); ++w.saved_keys) {
    FULGUR_TRY_STATUS(store.append_key(w.name, keys[w.saved_keys]));
  }
  return {};
}

}  // namespace fulgur::l1sim
