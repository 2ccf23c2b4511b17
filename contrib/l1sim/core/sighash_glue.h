// The one signature hash the wallet needs (BIP 143, P2WPKH, SIGHASH_ALL), taken from
// lib/bitcoin. Kept behind this header so the wallet does not depend on its spelling.
#pragma once

#include <array>

#include "bitcoin/tx.h"
#include "common/ids.h"
#include "common/units.h"

namespace fulgur::l1sim {

Hash256 p2wpkh_sighash_all(const bitcoin::Transaction& tx, size_t input,
                           const std::array<uint8_t, 33>& pubkey, Sat amount);

}  // namespace fulgur::l1sim
