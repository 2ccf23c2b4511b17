// The state one l1sim process serves: chain, wallet and data directory behind one mutex
// (cpp-httplib answers each connection on its own pool thread, so several clients are
// served at once and their calls are serialised here).
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <mutex>

#include "core/chainstate.h"
#include "core/wallet.h"
#include "server/store.h"

namespace fulgur::l1sim {

struct Node {
  Node(Store s, InputVerifier verifier, Wallet::KeySource keys)
      : store(std::move(s)), chain(std::move(verifier)), wallet(std::move(keys)) {}

  // Replays the data directory into `chain` and `wallet`.
  Status load();
  // Persists wallet keys created since the last call (new addresses, change keys).
  Status save_new_keys();

  std::mutex mutex;
  Store store;
  ChainState chain;
  Wallet wallet;
  size_t saved_keys = 0;
  uint64_t fallback_fee_sat_per_kvb = 20000;  // estimatesmartfee's answer (0.0002 BTC/kvB)
  std::function<void()> request_stop;
  std::shared_ptr<spdlog::logger> log = spdlog::default_logger();
};

}  // namespace fulgur::l1sim
