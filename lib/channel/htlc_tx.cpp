// BOLT 3 HTLC-timeout and HTLC-success transactions; see htlc_tx.h.
#include "channel/htlc_tx.h"

namespace fulgur::channel {

using bitcoin::Transaction;
using bitcoin::TxIn;
using bitcoin::TxOut;

uint8_t remote_htlc_sighash_type(ChannelType type) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      return SIGHASH_ALL;
    case ChannelType::Anchors:
      return SIGHASH_SINGLE_ANYONECANPAY;
  }
  FULGUR_ASSERT(false);
  return SIGHASH_ALL;
}

namespace {
// The commitment txid is passed in: hashing a commitment with 483 HTLCs once per HTLC would
// make building all HTLC transactions quadratic.
Result<HtlcTx> build_htlc_tx_for(const CommitmentSpec& spec, const CommitmentTx& commitment,
                                 const Txid& commitment_txid, const CommitmentKeys& keys,
                                 uint32_t vout) {
  if (vout >= commitment.outputs.size()) return fail("no such commitment output");
  const CommitmentOutput& out = commitment.outputs[vout];
  if (out.kind != OutputKind::OfferedHtlc && out.kind != OutputKind::ReceivedHtlc) {
    return fail("commitment output is not an HTLC");
  }
  FULGUR_REQUIRE(out.htlc_index < spec.htlcs.size());
  const Htlc& htlc = spec.htlcs[out.htlc_index];

  HtlcTx result;
  result.commitment_vout = vout;
  result.htlc_index = out.htlc_index;
  result.direction = htlc.direction;
  result.htlc_witness_script = out.witness_script;
  result.input_amount = commitment.tx.outputs[vout].amount;
  result.output_witness_script =
      to_local_script(keys.revocation_pubkey, spec.to_self_delay, keys.local_delayed_pubkey);

  // BOLT 3: txout[0] amount: the HTLC amount_msat divided by 1000 (rounding down) minus fees.
  Sat fee = htlc_tx_fee(spec.type, htlc.direction, spec.feerate);
  auto amount = to_sat_floor(htlc.amount).checked_sub(fee);
  if (!amount) return fail("HTLC amount below its transaction fee");  // trimmed HTLCs only

  Transaction& tx = result.tx;
  tx.version = 2;
  // BOLT 3: locktime: `0` for HTLC-success, `cltv_expiry` for HTLC-timeout
  switch (htlc.direction) {
    case HtlcDirection::Offered:
      tx.locktime = htlc.cltv_expiry;
      break;
    case HtlcDirection::Received:
      tx.locktime = 0;
      break;
  }
  // BOLT 3: txin[0] sequence: `0` (set to `1` for `option_anchors`)
  uint32_t sequence = spec.type == ChannelType::Anchors ? 1 : 0;
  tx.inputs.push_back(TxIn{bitcoin::OutPoint{commitment_txid, vout}, Script(), sequence, {}});
  tx.outputs.push_back(TxOut{*amount, bitcoin::p2wsh_for_script(result.output_witness_script)});
  return result;
}
}  // namespace

Result<HtlcTx> build_htlc_tx(const CommitmentSpec& spec, const CommitmentTx& commitment,
                             const CommitmentKeys& keys, uint32_t vout) {
  return build_htlc_tx_for(spec, commitment, commitment.tx.txid(), keys, vout);
}

Result<std::vector<HtlcTx>> build_htlc_txs(const CommitmentSpec& spec,
                                           const CommitmentTx& commitment,
                                           const CommitmentKeys& keys) {
  std::vector<HtlcTx> txs;
  Txid txid = commitment.tx.txid();
  for (size_t vout : htlc_output_indexes(commitment)) {
    FULGUR_TRY(HtlcTx tx,
               build_htlc_tx_for(spec, commitment, txid, keys, static_cast<uint32_t>(vout)));
    txs.push_back(std::move(tx));
  }
  return txs;
}

bitcoin::Witness htlc_success_witness(const HtlcTx& htlc_tx, const Bytes& remote_sig,
                                      const Bytes& local_sig, const Preimage& preimage) {
  return {Bytes{}, remote_sig, local_sig, Bytes(preimage.begin(), preimage.end()),
          htlc_tx.htlc_witness_script.bytes()};
}

bitcoin::Witness htlc_timeout_witness(const HtlcTx& htlc_tx, const Bytes& remote_sig,
                                      const Bytes& local_sig) {
  return {Bytes{}, remote_sig, local_sig, Bytes{}, htlc_tx.htlc_witness_script.bytes()};
}

}  // namespace fulgur::channel
