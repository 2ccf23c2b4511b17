// BOLT 5 spends, sweeps and penalty transactions; see spends.h.
#include "channel/spends.h"

#include <algorithm>

#include "channel/sign.h"
#include "crypto/hash.h"

namespace fulgur::channel {

using bitcoin::OutPoint;
using bitcoin::Transaction;
using bitcoin::TxIn;
using bitcoin::TxOut;

namespace {
// Non-final (so locktime applies) and signalling replaceability, for fee bumps.
constexpr uint32_t SEQUENCE_RBF = 0xfffffffd;
constexpr size_t SIG_SIZE = 73;     // the largest DER signature plus its sighash byte
constexpr size_t PUBKEY_SIZE = 33;

SweepInput make(SpendPath path, OutPoint outpoint, Sat amount, Script script, uint32_t sequence) {
  SweepInput in;
  in.path = path;
  in.outpoint = outpoint;
  in.amount = amount;
  in.witness_script = std::move(script);
  in.sequence = sequence;
  return in;
}

// BOLT 3: under option_anchors the spending input of to_remote and of the counterparty's
// HTLC paths must have nSequence 1.
uint32_t anchors_csv_sequence(ChannelType type) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      return SEQUENCE_RBF;
    case ChannelType::Anchors:
      return 1;
  }
  FULGUR_ASSERT(false);
  return SEQUENCE_RBF;
}

size_t compact_size_len(size_t n) { return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5; }
size_t item(size_t n) { return compact_size_len(n) + n; }
}  // namespace

SweepInput to_local_delayed_input(OutPoint outpoint, Sat amount, Script witness_script,
                                  CltvDelta to_self_delay) {
  return make(SpendPath::ToLocalDelayed, outpoint, amount, std::move(witness_script),
              to_self_delay.value());
}

SweepInput to_local_revoked_input(OutPoint outpoint, Sat amount, Script witness_script) {
  return make(SpendPath::ToLocalRevoked, outpoint, amount, std::move(witness_script), SEQUENCE_RBF);
}

SweepInput to_remote_input(ChannelType type, OutPoint outpoint, Sat amount,
                           const PublicKey& remote_pubkey) {
  switch (type) {
    case ChannelType::StaticRemoteKey: {
      SweepInput in = make(SpendPath::ToRemoteStatic, outpoint, amount, Script(), SEQUENCE_RBF);
      auto key = remote_pubkey.serialize();
      in.pubkey.assign(key.begin(), key.end());
      return in;
    }
    case ChannelType::Anchors:
      // BOLT 3: The output is spent by an input with `nSequence` field set to `1`.
      return make(SpendPath::ToRemoteAnchors, outpoint, amount,
                  to_remote_anchors_script(remote_pubkey), 1);
  }
  FULGUR_ASSERT(false);
  return {};
}

SweepInput offered_htlc_preimage_input(ChannelType type, OutPoint outpoint, Sat amount,
                                       Script witness_script, const Preimage& preimage) {
  SweepInput in = make(SpendPath::OfferedHtlcPreimage, outpoint, amount, std::move(witness_script),
                       anchors_csv_sequence(type));
  in.preimage = preimage;
  return in;
}

SweepInput received_htlc_timeout_input(ChannelType type, OutPoint outpoint, Sat amount,
                                       Script witness_script, uint32_t cltv_expiry) {
  SweepInput in = make(SpendPath::ReceivedHtlcTimeout, outpoint, amount, std::move(witness_script),
                       anchors_csv_sequence(type));
  in.cltv_expiry = cltv_expiry;
  return in;
}

SweepInput htlc_revoked_input(OutPoint outpoint, Sat amount, Script witness_script,
                              const PublicKey& revocation_pubkey) {
  SweepInput in =
      make(SpendPath::HtlcRevoked, outpoint, amount, std::move(witness_script), SEQUENCE_RBF);
  auto key = revocation_pubkey.serialize();
  in.pubkey.assign(key.begin(), key.end());
  return in;
}

SweepInput htlc_tx_delayed_input(const HtlcTx& htlc_tx, CltvDelta to_self_delay) {
  return make(SpendPath::HtlcTxDelayed, OutPoint{htlc_tx.tx.txid(), 0},
              htlc_tx.tx.outputs[0].amount, htlc_tx.output_witness_script, to_self_delay.value());
}

SweepInput htlc_tx_revoked_input(const HtlcTx& htlc_tx) {
  return make(SpendPath::HtlcTxRevoked, OutPoint{htlc_tx.tx.txid(), 0},
              htlc_tx.tx.outputs[0].amount, htlc_tx.output_witness_script, SEQUENCE_RBF);
}

SweepInput anchor_input(OutPoint outpoint, Script witness_script, bool anyone) {
  // BOLT 3: After 16 blocks, anyone can sweep the anchor with witness: <>
  return make(anyone ? SpendPath::AnchorAnyone : SpendPath::AnchorOwn, outpoint,
              ANCHOR_OUTPUT_VALUE, std::move(witness_script), anyone ? 16 : SEQUENCE_RBF);
}

uint64_t expected_witness_size(SpendPath path, size_t script_size) {
  size_t sig = item(SIG_SIZE), script = item(script_size), key = item(PUBKEY_SIZE);
  switch (path) {
    case SpendPath::ToLocalDelayed:
    case SpendPath::HtlcTxDelayed:
      return 1 + sig + item(0) + script;
    case SpendPath::ToLocalRevoked:
    case SpendPath::HtlcTxRevoked:
      return 1 + sig + item(1) + script;
    case SpendPath::ToRemoteStatic:
      return 1 + sig + key;
    case SpendPath::ToRemoteAnchors:
    case SpendPath::AnchorOwn:
      return 1 + sig + script;
    case SpendPath::OfferedHtlcPreimage:
      return 1 + sig + item(32) + script;
    case SpendPath::ReceivedHtlcTimeout:
      return 1 + sig + item(0) + script;
    case SpendPath::HtlcRevoked:
      return 1 + sig + key + script;
    case SpendPath::AnchorAnyone:
      return 1 + item(0) + script;
  }
  FULGUR_ASSERT(false);
  return 0;
}

uint64_t expected_sweep_weight(const std::vector<SweepInput>& inputs, size_t output_script_size) {
  // version 4, input count, output count, one output (8 + script), locktime 4.
  uint64_t base = 4 + compact_size_len(inputs.size()) + 1 + 8 + item(output_script_size) + 4;
  uint64_t witness = 2;  // marker and flag
  for (const SweepInput& in : inputs) {
    base += 32 + 4 + 1 + 4;  // outpoint, empty scriptSig, sequence
    witness += expected_witness_size(in.path, in.witness_script.size());
  }
  return base * 4 + witness;
}

Result<SweepTx> build_sweep_tx(std::vector<SweepInput> inputs, const Script& destination,
                               FeeratePerKw feerate, Sat dust_limit) {
  if (inputs.empty()) return fail("nothing to sweep");
  SweepTx sweep;
  Transaction& tx = sweep.tx;
  tx.version = 2;
  uint64_t total = 0;
  for (const SweepInput& in : inputs) {
    tx.locktime = std::max(tx.locktime, in.cltv_expiry);
    tx.inputs.push_back(TxIn{in.outpoint, Script(), in.sequence, {}});
    total += in.amount.value();
  }
  Sat fee = fee_for_weight(feerate, expected_sweep_weight(inputs, destination.size()));
  if (total < fee.value() || total - fee.value() < dust_limit.value()) {
    return fail("sweep amount does not cover its fee");
  }
  tx.outputs.push_back(TxOut{Sat(total - fee.value()), destination});
  sweep.inputs = std::move(inputs);
  return sweep;
}

Status sign_sweep_input(SweepTx& sweep, size_t index, const SecretKey* key) {
  FULGUR_REQUIRE(index < sweep.inputs.size());
  const SweepInput& in = sweep.inputs[index];
  bitcoin::Witness& w = sweep.tx.inputs[index].witness;
  const Bytes& script = in.witness_script.bytes();
  if (in.path == SpendPath::AnchorAnyone) {
    w = {Bytes{}, script};
    return {};
  }
  if (key == nullptr) return fail("spend path needs a key");
  Script script_code = in.witness_script;
  if (in.path == SpendPath::ToRemoteStatic) {
    script_code = bitcoin::p2pkh(crypto::hash160(in.pubkey));
  }
  Bytes sig = sign_input(sweep.tx, index, script_code, in.amount, *key, SIGHASH_ALL);
  switch (in.path) {
    case SpendPath::ToLocalDelayed:
    case SpendPath::HtlcTxDelayed:
    case SpendPath::ReceivedHtlcTimeout:
      w = {sig, Bytes{}, script};
      break;
    case SpendPath::ToLocalRevoked:
    case SpendPath::HtlcTxRevoked:
      w = {sig, Bytes{1}, script};
      break;
    case SpendPath::ToRemoteStatic:
      w = {sig, in.pubkey};
      break;
    case SpendPath::ToRemoteAnchors:
    case SpendPath::AnchorOwn:
      w = {sig, script};
      break;
    case SpendPath::OfferedHtlcPreimage:
      if (!in.preimage) return fail("preimage spend without a preimage");
      w = {sig, Bytes(in.preimage->begin(), in.preimage->end()), script};
      break;
    case SpendPath::HtlcRevoked:
      w = {sig, in.pubkey, script};
      break;
    case SpendPath::AnchorAnyone:
      break;
  }
  return {};
}

std::vector<SweepInput> penalty_inputs(const CommitmentTx& commitment,
                                       const PublicKey& revocation_pubkey) {
  std::vector<SweepInput> inputs;
  Txid txid = commitment.tx.txid();
  for (size_t i = 0; i < commitment.outputs.size(); ++i) {
    const CommitmentOutput& o = commitment.outputs[i];
    OutPoint outpoint{txid, static_cast<uint32_t>(i)};
    Sat amount = commitment.tx.outputs[i].amount;
    switch (o.kind) {
      case OutputKind::ToLocal:
        inputs.push_back(to_local_revoked_input(outpoint, amount, o.witness_script));
        break;
      case OutputKind::OfferedHtlc:
      case OutputKind::ReceivedHtlc:
        inputs.push_back(htlc_revoked_input(outpoint, amount, o.witness_script, revocation_pubkey));
        break;
      case OutputKind::ToRemote:
      case OutputKind::LocalAnchor:
      case OutputKind::RemoteAnchor:
        break;
    }
  }
  return inputs;
}

Result<Transaction> build_penalty_tx(const CommitmentTx& commitment,
                                     const SecretKey& revocation_privkey,
                                     const Script& destination, FeeratePerKw feerate) {
  // BOLT 5: MUST *resolve* the _remote node's offered HTLCs_ / _received HTLCs_ /
  // _local node's main output_ of a revoked commitment using the revocation private key.
  FULGUR_TRY(SweepTx sweep, build_sweep_tx(penalty_inputs(commitment, revocation_privkey.public_key()),
                                           destination, feerate));
  for (size_t i = 0; i < sweep.inputs.size(); ++i) {
    FULGUR_TRY_STATUS(sign_sweep_input(sweep, i, &revocation_privkey));
  }
  return std::move(sweep.tx);
}

}  // namespace fulgur::channel
