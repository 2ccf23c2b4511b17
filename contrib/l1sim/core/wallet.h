// l1sim's wallet: its own P2WPKH keys (bcrt1q… addresses), the coins of the chain state
// that pay them, coin selection (largest first, change back to a fresh key unless dust),
// and BIP 143 signing of its inputs. Pure: the daemon persists the keys it hands out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bitcoin/bech32.h"
#include "chainstate.h"
#include "crypto/keys.h"

namespace fulgur::l1sim {

struct WalletCoin {
  bitcoin::OutPoint outpoint;
  Coin coin;
  uint32_t confirmations = 0;  // 0 for a mempool output
};

struct FundOutcome {
  bitcoin::Transaction tx;
  Sat fee;
  int change_position = -1;
};

struct InputSignError {
  size_t input = 0;
  std::string error;  // bitcoind's text, e.g. "Input not found or already spent"
};

class Wallet {
 public:
  // `fresh_key` makes new keys (random in the daemon, seeded in tests).
  using KeySource = std::function<crypto::SecretKey()>;
  explicit Wallet(KeySource fresh_key) : m_fresh_key(std::move(fresh_key)) {}

  // A new key and its address; the caller persists `secret_of(address)` first.
  std::string new_address();
  void add_key(crypto::SecretKey key);
  size_t key_count() const { return m_keys.size(); }
  // Keys in creation order (for the wallet file).
  const std::vector<crypto::SecretKey>& keys() const { return m_keys; }
  bool is_mine(const bitcoin::Script& script_pubkey) const;
  std::string address_of(const bitcoin::Script& script_pubkey) const;

  // Spendable coins with at least `min_conf` confirmations (coinbase ones only when
  // mature), not spent in the mempool.
  std::vector<WalletCoin> coins(const ChainState& chain, uint32_t min_conf) const;
  // Confirmed mature coins plus unconfirmed outputs of the mempool.
  Sat balance(const ChainState& chain) const;

  // fundrawtransaction's options for inputs the wallet does not own and where change goes.
  struct FundExtras {
    // bitcoind's input_weights: the whole weight of a foreign input (outpoint, sequence,
    // scriptSig and witness), so that the fee covers its witness.
    std::map<bitcoin::OutPoint, uint64_t> input_weights;
    std::optional<size_t> change_position;  // bitcoind's changePosition (default: last)
  };
  // Adds inputs (and change when above dust) so that `tx` pays `feerate_sat_per_kvb`. The
  // inputs `tx` already has may be foreign: their coins are looked up in the UTXO set, then
  // in the mempool, as bitcoind does. Errors with "Insufficient funds".
  Result<FundOutcome> fund(const ChainState& chain, bitcoin::Transaction tx,
                           uint64_t feerate_sat_per_kvb,
                           std::optional<bitcoin::Script> change_script,
                           const FundExtras& extras = {});
  // Signs every input the wallet can (SIGHASH_ALL); returns the inputs it could not sign.
  std::vector<InputSignError> sign(const ChainState& chain, bitcoin::Transaction& tx) const;

 private:
  KeySource m_fresh_key;
  std::vector<crypto::SecretKey> m_keys;
  std::map<bitcoin::Script, size_t> m_by_script;  // P2WPKH script -> key index
};

}  // namespace fulgur::l1sim
