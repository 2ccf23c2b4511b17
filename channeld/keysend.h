// Keysend over a direct channel, as pure functions: the payer's one-hop onion (BOLT 4
// payload with amt_to_forward, outgoing_cltv_value, payment_data and the keysend preimage
// record 5482373484), the payee's decision on an incoming HTLC (peel with the node key, the
// final node's checks, fulfill or the encrypted failure), and reading a returned failure.
// Must not: do I/O or read a clock (the height is passed in).
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "wire/types.h"

namespace fulgur::channeld {

struct KeysendOnion {
  wire::OnionPacket packet;
  std::vector<crypto::Secret32> shared_secrets;  // to read a returned failure
};

// The onion for paying `amount` to `destination` (our peer) with `preimage`; the HTLC must
// carry sha256(preimage) and cltv_expiry == `cltv_expiry`.
Result<KeysendOnion> make_keysend_onion(const crypto::PublicKey& destination, Msat amount,
                                        BlockHeight cltv_expiry, const Preimage& preimage,
                                        const PaymentSecret& payment_secret,
                                        const crypto::SecretKey& session_key);

struct IncomingDecision {
  enum class Kind { Fulfill, Fail, FailMalformed };
  Kind kind = Kind::Fail;
  Preimage preimage;         // Fulfill
  Bytes failure_packet;      // Fail: the encrypted failure for update_fail_htlc
  Hash256 sha256_of_onion;   // FailMalformed
  uint16_t failure_code = 0; // Fail and FailMalformed
  std::string why;           // for the log
};

// What a final node does with an HTLC offered to it (we route nothing: a packet that is
// not for us fails with unknown_next_peer).
IncomingDecision decide_incoming(const crypto::SecretKey& node_key, Msat amount,
                                 const PaymentHash& payment_hash, BlockHeight cltv_expiry,
                                 ByteSpan onion, BlockHeight height, uint32_t min_final_cltv);

struct ReadFailure {
  uint16_t code = 0;  // 0 when it could not be read
  std::string text;   // "incorrect_or_unknown_payment_details (0x400f)" or why unreadable
};
// The failure our peer returned in update_fail_htlc.
ReadFailure read_failure(const std::vector<crypto::Secret32>& shared_secrets, ByteSpan reason);
// update_fail_malformed_htlc's failure_code.
ReadFailure read_malformed(uint16_t failure_code);

}  // namespace fulgur::channeld
