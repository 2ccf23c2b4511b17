// BOLT 3 commitment transactions for option_static_remotekey and option_anchors channels:
// fees by expected weight, HTLC trimming, the funder paying fee and anchors, output
// ordering (BIP 69 with the CLTV tie-break), the obscured commitment number, and the
// funding witness. Builds unsigned transactions and says which output is which.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bitcoin/tx.h"
#include "channel/keys.h"
#include "channel/scripts.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"

namespace fulgur::channel {

// Seen from the commitment's broadcaster ("local" in BOLT 3).
enum class HtlcDirection {
  Offered,   // offered by the broadcaster: timed out through an HTLC-timeout tx
  Received,  // received by the broadcaster: claimed through an HTLC-success tx
};

struct Htlc {
  HtlcDirection direction = HtlcDirection::Offered;
  Msat amount;
  PaymentHash payment_hash;
  uint32_t cltv_expiry = 0;
};

// BOLT 3 expected weights (Appendix A).
uint64_t commitment_base_weight(ChannelType type);  // 724, or 1124 with anchors
inline constexpr uint64_t HTLC_OUTPUT_WEIGHT = 172;
uint64_t htlc_timeout_weight(ChannelType type);  // 663, or 666 with anchors
uint64_t htlc_success_weight(ChannelType type);  // 703, or 706 with anchors

// BOLT 3: the HTLC-timeout / HTLC-success fee: feerate_per_kw * weight / 1000, or 0 if
// option_anchors applies.
Sat htlc_timeout_fee(ChannelType type, FeeratePerKw feerate);
Sat htlc_success_fee(ChannelType type, FeeratePerKw feerate);
Sat htlc_tx_fee(ChannelType type, HtlcDirection direction, FeeratePerKw feerate);

// BOLT 3: an HTLC whose amount minus its second-stage fee is below the broadcaster's
// dust_limit_satoshis gets no output.
bool is_trimmed(ChannelType type, const Htlc& htlc, FeeratePerKw feerate, Sat dust_limit);
// BOLT 3 base fee: (724 or 1124 + 172 * untrimmed HTLCs) * feerate_per_kw / 1000.
Sat commitment_fee(ChannelType type, FeeratePerKw feerate, size_t untrimmed_htlcs);

// Everything that determines one commitment transaction.
struct CommitmentSpec {
  ChannelType type = ChannelType::StaticRemoteKey;
  bitcoin::OutPoint funding_outpoint;
  Sat funding_amount;
  PublicKey local_funding_pubkey;   // the broadcaster's
  PublicKey remote_funding_pubkey;  // the countersignatory's
  bool local_is_opener = true;      // the broadcaster sent open_channel (pays fee, anchors)
  uint64_t commitment_number = 0;
  uint64_t obscuring_factor = 0;     // from obscuring_factor(opener, accepter)
  CltvDelta to_self_delay;           // the broadcaster's delay (set by the countersignatory)
  Sat dust_limit;                    // the broadcaster's dust_limit_satoshis
  FeeratePerKw feerate;
  Msat to_local;   // balances before the fee and anchors come off
  Msat to_remote;
  std::vector<Htlc> htlcs;  // every committed HTLC, trimmed or not
};

enum class OutputKind { ToLocal, ToRemote, LocalAnchor, RemoteAnchor, OfferedHtlc, ReceivedHtlc };

struct CommitmentOutput {
  OutputKind kind = OutputKind::ToLocal;
  // The P2WSH witness script; empty for the static_remotekey P2WPKH to_remote.
  Script witness_script;
  size_t htlc_index = 0;  // into CommitmentSpec::htlcs, for the HTLC kinds
};

struct CommitmentTx {
  bitcoin::Transaction tx;               // unsigned (no witness)
  std::vector<CommitmentOutput> outputs;  // tx.outputs[i] is described by outputs[i]
  Sat base_fee;                          // what the funder paid by the formula
  Sat actual_fee;                        // funding amount minus all outputs
  Script funding_witness_script;
};

// BOLT 3 Commitment Transaction Construction. Errors when the balances and HTLCs do not add
// up to the funding amount.
Result<CommitmentTx> build_commitment_tx(const CommitmentSpec& spec, const CommitmentKeys& keys);

// The indexes of the untrimmed HTLC outputs in output order: the order of htlc_signatures.
std::vector<size_t> htlc_output_indexes(const CommitmentTx& commitment);

// BOLT 3: sort outputs by value, then scriptpubkey (memcmp of the common prefix, shorter
// first), then for HTLC outputs by increasing cltv_expiry. `cltv` holds each output's
// cltv_expiry, or nothing for non-HTLC outputs. Returns the new order.
std::vector<size_t> bip69_cltv_order(const std::vector<bitcoin::TxOut>& outputs,
                                     const std::vector<std::optional<uint32_t>>& cltv);

// BOLT 3 funding output: P2WSH of funding_script(a, b) for `amount`.
bitcoin::TxOut funding_output(const PublicKey& a, const PublicKey& b, Sat amount);

// BOLT 3 witness for the funding input: 0 <signature_for_pubkey1> <signature_for_pubkey2>
// <funding script>, with the signatures in the script's key order. Signatures are DER with
// the sighash byte already appended.
bitcoin::Witness funding_witness(const PublicKey& local_funding_pubkey, const Bytes& local_sig,
                                 const PublicKey& remote_funding_pubkey, const Bytes& remote_sig);

// BOLT 3 legacy closing transaction (closing_signed): the funding input with sequence
// 0xFFFFFFFF, each balance rounded down, the fee taken from the funder, outputs below
// dust_limit removed (and ours too if `omit_local`), BIP 69 order.
struct ClosingSpec {
  bitcoin::OutPoint funding_outpoint;
  Sat funding_amount;
  Msat to_local;
  Msat to_remote;
  bool local_is_opener = true;
  Sat fee;
  Sat dust_limit;  // our own
  Script local_scriptpubkey;
  Script remote_scriptpubkey;
  bool omit_local = false;
};
Result<bitcoin::Transaction> build_closing_tx(const ClosingSpec& spec);

}  // namespace fulgur::channel
