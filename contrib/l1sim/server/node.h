// The state one l1sim process serves: chain, wallets and data directory behind one mutex
// (cpp-httplib answers each connection on its own pool thread, so several clients are
// served at once and their calls are serialised here). Wallets: the default wallet ("",
// always loaded, what "/" addresses) and named wallets made by createwallet, each with its
// own keys and so its own coins, addressed as bitcoind does through /wallet/<name>.
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/chainstate.h"
#include "core/wallet.h"
#include "server/store.h"

namespace fulgur::l1sim {

struct Node {
  struct LoadedWallet {
    LoadedWallet(std::string n, Wallet::KeySource keys) : name(std::move(n)), wallet(std::move(keys)) {}
    std::string name;
    Wallet wallet;
    size_t saved_keys = 0;  // keys already in the wallet's file
  };

  Node(Store s, InputVerifier verifier, Wallet::KeySource keys)
      : store(std::move(s)), chain(std::move(verifier)), fresh_key(std::move(keys)) {
    wallets.emplace("", LoadedWallet("", fresh_key));
  }

  // Replays the data directory into `chain` and every wallet on disk.
  Status load();
  // A new named wallet, persisted (its file) and loaded.
  Status create_wallet(const std::string& name);
  // Persists keys of `wallet` created since the last call (new addresses, change keys).
  Status save_new_keys(LoadedWallet& wallet);

  std::mutex mutex;
  Store store;
  ChainState chain;
  Wallet::KeySource fresh_key;
  std::map<std::string, LoadedWallet> wallets;
  // The wallet named by the URL of the call being executed ("" for "/"), set by the
  // dispatcher under `mutex`; wallet methods look it up (rpc_wallet.cpp).
  std::string addressed_wallet;
  uint64_t fallback_fee_sat_per_kvb = 20000;  // estimatesmartfee's answer (0.0002 BTC/kvB)
  std::function<void()> request_stop;
  std::shared_ptr<spdlog::logger> log = spdlog::default_logger();
};

}  // namespace fulgur::l1sim
