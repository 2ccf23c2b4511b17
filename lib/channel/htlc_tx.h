// BOLT 3 second-stage HTLC transactions: HTLC-timeout (for HTLCs the broadcaster offered)
// and HTLC-success (for HTLCs it received), with the sighash types each signature uses and
// the final witnesses.
#pragma once

#include <cstdint>
#include <vector>

#include "bitcoin/tx.h"
#include "channel/commitment.h"

namespace fulgur::channel {

struct HtlcTx {
  bitcoin::Transaction tx;  // unsigned
  uint32_t commitment_vout = 0;  // the commitment output it spends
  size_t htlc_index = 0;         // into CommitmentSpec::htlcs
  HtlcDirection direction = HtlcDirection::Offered;
  Script htlc_witness_script;    // the script of the commitment output it spends
  Sat input_amount;              // that output's value (BIP 143 signs it)
  Script output_witness_script;  // its own to_local-style output
};

// BOLT 3: version 2; locktime `0` for HTLC-success, `cltv_expiry` for HTLC-timeout;
// sequence `0` (`1` for option_anchors); one output of the HTLC amount minus its fee to the
// to_local-style script with revocationpubkey and local_delayedpubkey.
Result<HtlcTx> build_htlc_tx(const CommitmentSpec& spec, const CommitmentTx& commitment,
                             const CommitmentKeys& keys, uint32_t vout);
// One per untrimmed HTLC, in commitment output order (the order of htlc_signatures).
Result<std::vector<HtlcTx>> build_htlc_txs(const CommitmentSpec& spec,
                                           const CommitmentTx& commitment,
                                           const CommitmentKeys& keys);

// Sighash types.
inline constexpr uint8_t SIGHASH_ALL = 0x01;
inline constexpr uint8_t SIGHASH_SINGLE_ANYONECANPAY = 0x83;
// BOLT 3/5: the countersignatory's HTLC signature commits with SIGHASH_ALL, or with
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY if option_anchors applies (so fees can be added).
uint8_t remote_htlc_sighash_type(ChannelType type);

// BOLT 3 witnesses: `0 <remotehtlcsig> <localhtlcsig> <payment_preimage>` (success) and
// `0 <remotehtlcsig> <localhtlcsig> <>` (timeout), then the HTLC script. Signatures carry
// their sighash byte.
bitcoin::Witness htlc_success_witness(const HtlcTx& htlc_tx, const Bytes& remote_sig,
                                      const Bytes& local_sig, const Preimage& preimage);
bitcoin::Witness htlc_timeout_witness(const HtlcTx& htlc_tx, const Bytes& remote_sig,
                                      const Bytes& local_sig);

}  // namespace fulgur::channel
