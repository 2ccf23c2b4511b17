// BOLT 5 on-chain spends of every output this library creates: to_local after its CSV
// delay, to_remote, HTLC outputs by preimage or timeout, the delayed outputs of the
// second-stage HTLC transactions, anchors (our own, and anyone's after 16 blocks), and
// penalty transactions with the revocation key. Builds sweep transactions, their
// witnesses, and the expected weights that callers use to set fees.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bitcoin/tx.h"
#include "channel/commitment.h"
#include "channel/htlc_tx.h"

namespace fulgur::channel {

// How an input satisfies the script it spends.
enum class SpendPath {
  ToLocalDelayed,       // <local_delayedsig> <>, nSequence = to_self_delay
  ToLocalRevoked,       // <revocation_sig> 1
  ToRemoteStatic,       // P2WPKH: <sig> <remotepubkey>
  ToRemoteAnchors,      // <remote_sig>, nSequence = 1
  OfferedHtlcPreimage,  // on the offerer's commitment: <remotehtlcsig> <payment_preimage>
  ReceivedHtlcTimeout,  // on the receiver's commitment: <remotehtlcsig> <>, locktime cltv
  HtlcRevoked,          // offered or received: <revocation_sig> <revocationpubkey>
  HtlcTxDelayed,        // HTLC-timeout/success output: <local_delayedsig> <>, to_self_delay
  HtlcTxRevoked,        // HTLC-timeout/success output: <revocationsig> 1
  AnchorOwn,            // <local_sig/remote_sig>
  AnchorAnyone,         // <>, nSequence = 16
};

struct SweepInput {
  SpendPath path = SpendPath::ToLocalDelayed;
  bitcoin::OutPoint outpoint;
  Sat amount;
  // The P2WSH witness script; for ToRemoteStatic the P2WPKH script code is derived from
  // `pubkey` instead.
  Script witness_script;
  // ToRemoteStatic: remotepubkey; HtlcRevoked: revocationpubkey. Serialized (33 bytes).
  Bytes pubkey;
  std::optional<Preimage> preimage;  // OfferedHtlcPreimage
  uint32_t sequence = 0xfffffffd;   // set by the factories below
  uint32_t cltv_expiry = 0;         // ReceivedHtlcTimeout: the tx locktime must reach it
};

// Factories that set each path's nSequence (BOLT 3/5) and what the witness needs.
SweepInput to_local_delayed_input(bitcoin::OutPoint outpoint, Sat amount, Script witness_script,
                                  CltvDelta to_self_delay);
SweepInput to_local_revoked_input(bitcoin::OutPoint outpoint, Sat amount, Script witness_script);
SweepInput to_remote_input(ChannelType type, bitcoin::OutPoint outpoint, Sat amount,
                           const PublicKey& remote_pubkey);
SweepInput offered_htlc_preimage_input(ChannelType type, bitcoin::OutPoint outpoint, Sat amount,
                                       Script witness_script, const Preimage& preimage);
SweepInput received_htlc_timeout_input(ChannelType type, bitcoin::OutPoint outpoint, Sat amount,
                                       Script witness_script, uint32_t cltv_expiry);
SweepInput htlc_revoked_input(bitcoin::OutPoint outpoint, Sat amount, Script witness_script,
                              const PublicKey& revocation_pubkey);
SweepInput htlc_tx_delayed_input(const HtlcTx& htlc_tx, CltvDelta to_self_delay);
SweepInput htlc_tx_revoked_input(const HtlcTx& htlc_tx);
SweepInput anchor_input(bitcoin::OutPoint outpoint, Script witness_script, bool anyone);

// Witness sizes in bytes with 73-byte signatures: the true maximum. BOLT 5 Appendix A's
// figures (offered HTLC penalty 243, accepted 249) come out exactly; its to_local penalty
// (160) and P2WPKH (108) figures are one byte short of the maximum.
uint64_t expected_witness_size(SpendPath path, size_t witness_script_size);
// Weight of a sweep transaction with these inputs and one output of `output_script_size`.
uint64_t expected_sweep_weight(const std::vector<SweepInput>& inputs, size_t output_script_size);

// BOLT 5 penalty weights as the spec gives them: each input's txinput (41 bytes, weight 164)
// plus its witness, and 53 bytes of other non-witness data with a 2-byte witness header.
// expected_sweep_weight() is exact for the scripts at hand; prefer it for fees.
inline constexpr uint64_t TO_LOCAL_PENALTY_INPUT_WEIGHT = 324;
inline constexpr uint64_t OFFERED_HTLC_PENALTY_INPUT_WEIGHT = 407;
inline constexpr uint64_t ACCEPTED_HTLC_PENALTY_INPUT_WEIGHT = 413;
inline constexpr uint64_t PENALTY_TX_BASE_WEIGHT = 4 * 53 + 2;

struct SweepTx {
  bitcoin::Transaction tx;  // unsigned until every input is signed
  std::vector<SweepInput> inputs;
};

// One transaction spending every input to `destination`, paying feerate * expected weight.
// Locktime: the highest cltv_expiry of the timeout inputs (else 0). Errors when there is
// nothing to spend or the fee eats the amount (or the result is below `dust_limit`).
Result<SweepTx> build_sweep_tx(std::vector<SweepInput> inputs, const Script& destination,
                               FeeratePerKw feerate, Sat dust_limit = Sat(330));

// Signs input `index` with `key` (SIGHASH_ALL) and sets its witness for its path. The
// AnchorAnyone path needs no key (pass nothing).
Status sign_sweep_input(SweepTx& sweep, size_t index, const SecretKey* key);

// BOLT 5: the penalty inputs for a revoked commitment: its to_local output and every HTLC
// output, each spent with the revocation key. `commitment` is the revoked commitment as the
// cheater built it (its outputs carry their scripts); `revocation_pubkey` is the one in it.
std::vector<SweepInput> penalty_inputs(const CommitmentTx& commitment,
                                       const PublicKey& revocation_pubkey);
// A signed penalty transaction sweeping all of them with the revocation private key.
Result<bitcoin::Transaction> build_penalty_tx(const CommitmentTx& commitment,
                                              const SecretKey& revocation_privkey,
                                              const Script& destination, FeeratePerKw feerate);

}  // namespace fulgur::channel
