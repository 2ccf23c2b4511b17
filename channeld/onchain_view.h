// What listchannels shows of a channel's on-chain resolution (see onchain_watch.h): the
// transaction that spent the funding output, the outputs being resolved and our claims.
// Plain values, no behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/units.h"

namespace fulgur::channeld {

struct OnchainClaimView {
  Txid txid;
  std::string kind;          // commitment, sweep, htlc_tx, penalty
  uint32_t confirmations = 0;  // 0 while pending
  Sat amount;                // what it pays to our wallet
};

struct OnchainOutputView {
  std::string outpoint;  // txid:vout
  std::string role;      // lib/channel/onchain.h OutputRole, e.g. local_to_local
  Sat amount;
  std::string status;    // waiting, spent_by_us, spent_by_peer, abandoned
  std::optional<Txid> spent_by;
};

struct OnchainView {
  std::string phase;       // watching, resolving, resolved
  std::string spend_kind;  // mutual_close, local_commitment, revoked_commitment, ... (or empty)
  std::optional<Txid> spend_txid;
  uint32_t spend_height = 0;
  uint32_t spend_confirmations = 0;
  std::vector<OnchainOutputView> outputs;
  std::vector<OnchainClaimView> claims;
  Sat confirmed_sat;  // paid to our wallet by confirmed claims
  Sat pending_sat;    // paid to our wallet by claims not confirmed yet
};

}  // namespace fulgur::channeld
