// BOLT 3 commitment and closing transactions; see commitment.h.
#include "channel/commitment.h"

#include <algorithm>
#include <numeric>

namespace fulgur::channel {

using bitcoin::Transaction;
using bitcoin::TxIn;
using bitcoin::TxOut;

uint64_t commitment_base_weight(ChannelType type) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      return 724;
    case ChannelType::Anchors:
      return 1124;
  }
  FULGUR_ASSERT(false);
  return 0;
}

uint64_t htlc_timeout_weight(ChannelType type) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      return 663;
    case ChannelType::Anchors:
      return 666;
  }
  FULGUR_ASSERT(false);
  return 0;
}

uint64_t htlc_success_weight(ChannelType type) {
  switch (type) {
    case ChannelType::StaticRemoteKey:
      return 703;
    case ChannelType::Anchors:
      return 706;
  }
  FULGUR_ASSERT(false);
  return 0;
}

// BOLT 3: The fee for an HTLC-timeout transaction: If `option_anchors` applies: MUST be 0.
// Otherwise, MUST be calculated to match: Multiply `feerate_per_kw` by 663 and divide by 1000.
Sat htlc_timeout_fee(ChannelType type, FeeratePerKw feerate) {
  if (type == ChannelType::Anchors) return Sat(0);
  return fee_for_weight(feerate, htlc_timeout_weight(type));
}

Sat htlc_success_fee(ChannelType type, FeeratePerKw feerate) {
  if (type == ChannelType::Anchors) return Sat(0);
  return fee_for_weight(feerate, htlc_success_weight(type));
}

Sat htlc_tx_fee(ChannelType type, HtlcDirection direction, FeeratePerKw feerate) {
  switch (direction) {
    case HtlcDirection::Offered:
      return htlc_timeout_fee(type, feerate);
    case HtlcDirection::Received:
      return htlc_success_fee(type, feerate);
  }
  FULGUR_ASSERT(false);
  return Sat(0);
}

// BOLT 3: for every offered HTLC: if the HTLC amount minus the HTLC-timeout fee would be
// less than `dust_limit_satoshis` set by the transaction owner: MUST NOT contain that output.
// (Likewise for received HTLCs with the HTLC-success fee.)
bool is_trimmed(ChannelType type, const Htlc& htlc, FeeratePerKw feerate, Sat dust_limit) {
  Sat amount = to_sat_floor(htlc.amount);
  Sat fee = htlc_tx_fee(type, htlc.direction, feerate);
  auto threshold = dust_limit.checked_add(fee);
  return !threshold || amount < *threshold;
}

Sat commitment_fee(ChannelType type, FeeratePerKw feerate, size_t untrimmed_htlcs) {
  uint64_t weight = commitment_base_weight(type) + HTLC_OUTPUT_WEIGHT * untrimmed_htlcs;
  return fee_for_weight(feerate, weight);
}

std::vector<size_t> bip69_cltv_order(const std::vector<TxOut>& outputs,
                                     const std::vector<std::optional<uint32_t>>& cltv) {
  FULGUR_REQUIRE(outputs.size() == cltv.size());
  std::vector<size_t> order(outputs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (outputs[a].amount != outputs[b].amount) return outputs[a].amount < outputs[b].amount;
    // Lexicographic byte order is memcmp of the common prefix, then shorter first.
    const Bytes& sa = outputs[a].script_pubkey.bytes();
    const Bytes& sb = outputs[b].script_pubkey.bytes();
    if (sa != sb) return sa < sb;
    return cltv[a].value_or(0) < cltv[b].value_or(0);
  });
  return order;
}

namespace {
struct Draft {
  TxOut out;
  CommitmentOutput info;
  std::optional<uint32_t> cltv;
};

Status check_balances(const CommitmentSpec& spec) {
  std::optional<Msat> total = spec.to_local.checked_add(spec.to_remote);
  for (const Htlc& h : spec.htlcs) {
    if (total) total = total->checked_add(h.amount);
  }
  auto funding = to_msat(spec.funding_amount);
  if (!total || !funding || *total != *funding) {
    return fail("commitment balances and HTLCs do not add up to the funding amount");
  }
  if (spec.commitment_number > MAX_COMMITMENT_NUMBER) return fail("commitment number too big");
  return {};
}

// The HTLC outputs that survive trimming.
std::vector<Draft> htlc_outputs(const CommitmentSpec& spec, const CommitmentKeys& keys) {
  HtlcKeys htlc_keys{keys.revocation_pubkey, keys.local_htlcpubkey, keys.remote_htlcpubkey};
  std::vector<Draft> drafts;
  for (size_t i = 0; i < spec.htlcs.size(); ++i) {
    const Htlc& h = spec.htlcs[i];
    if (is_trimmed(spec.type, h, spec.feerate, spec.dust_limit)) continue;
    Draft d;
    switch (h.direction) {
      case HtlcDirection::Offered:
        d.info = {OutputKind::OfferedHtlc, offered_htlc_script(spec.type, htlc_keys, h.payment_hash), i};
        break;
      case HtlcDirection::Received:
        d.info = {OutputKind::ReceivedHtlc,
                  received_htlc_script(spec.type, htlc_keys, h.payment_hash, h.cltv_expiry), i};
        break;
    }
    d.out = TxOut{to_sat_floor(h.amount), bitcoin::p2wsh_for_script(d.info.witness_script)};
    d.cltv = h.cltv_expiry;
    drafts.push_back(std::move(d));
  }
  return drafts;
}

Draft p2wsh_draft(OutputKind kind, Sat amount, Script witness_script) {
  Draft d;
  d.out = TxOut{amount, bitcoin::p2wsh_for_script(witness_script)};
  d.info = {kind, std::move(witness_script), 0};
  return d;
}

Draft to_remote_draft(ChannelType type, Sat amount, const PublicKey& remote_pubkey) {
  Draft d;
  d.out = TxOut{amount, to_remote_output_script(type, remote_pubkey)};
  switch (type) {
    case ChannelType::StaticRemoteKey:
      d.info = {OutputKind::ToRemote, Script(), 0};
      break;
    case ChannelType::Anchors:
      d.info = {OutputKind::ToRemote, to_remote_anchors_script(remote_pubkey), 0};
      break;
  }
  return d;
}
}  // namespace

Result<CommitmentTx> build_commitment_tx(const CommitmentSpec& spec, const CommitmentKeys& keys) {
  FULGUR_TRY_STATUS(check_balances(spec));
  std::vector<Draft> drafts = htlc_outputs(spec, keys);
  size_t untrimmed = drafts.size();

  // BOLT 3: Subtract this base fee from the funder (either `to_local` or `to_remote`). If
  // `option_anchors` applies to the commitment transaction, also subtract two times the fixed
  // anchor size of 330 sats from the funder. (Floor of zero: the funder's whole output goes.)
  Sat base_fee = commitment_fee(spec.type, spec.feerate, untrimmed);
  Sat funder_cost = base_fee;
  if (spec.type == ChannelType::Anchors) funder_cost = Sat(base_fee.value() + 2 * ANCHOR_OUTPUT_VALUE.value());
  Msat funder_cost_msat = *to_msat(funder_cost);
  Msat to_local = spec.to_local, to_remote = spec.to_remote;
  Msat& funder = spec.local_is_opener ? to_local : to_remote;
  funder = funder.saturating_sub(funder_cost_msat);

  // BOLT 3: If the `to_local` amount is greater or equal to `dust_limit_satoshis`, add a
  // `to_local` output. (Likewise `to_remote`.)
  bool has_local = to_sat_floor(to_local) >= spec.dust_limit;
  bool has_remote = to_sat_floor(to_remote) >= spec.dust_limit;
  if (has_local) {
    drafts.push_back(p2wsh_draft(OutputKind::ToLocal, to_sat_floor(to_local),
                                 to_local_script(keys.revocation_pubkey, spec.to_self_delay,
                                                 keys.local_delayed_pubkey)));
  }
  if (has_remote) {
    drafts.push_back(to_remote_draft(spec.type, to_sat_floor(to_remote), keys.remote_payment_pubkey));
  }
  // BOLT 3: if `to_local` exists or there are untrimmed HTLCs, add a `to_local_anchor`
  // output; if `to_remote` exists or there are untrimmed HTLCs, add a `to_remote_anchor`.
  if (spec.type == ChannelType::Anchors) {
    if (has_local || untrimmed > 0) {
      drafts.push_back(p2wsh_draft(OutputKind::LocalAnchor, ANCHOR_OUTPUT_VALUE,
                                   anchor_script(spec.local_funding_pubkey)));
    }
    if (has_remote || untrimmed > 0) {
      drafts.push_back(p2wsh_draft(OutputKind::RemoteAnchor, ANCHOR_OUTPUT_VALUE,
                                   anchor_script(spec.remote_funding_pubkey)));
    }
  }

  std::vector<TxOut> outs;
  std::vector<std::optional<uint32_t>> cltvs;
  for (const Draft& d : drafts) {
    outs.push_back(d.out);
    cltvs.push_back(d.cltv);
  }
  CommitmentTx result;
  auto lock = commitment_lock_fields(spec.commitment_number, spec.obscuring_factor);
  result.tx.version = 2;
  result.tx.locktime = lock.locktime;
  result.tx.inputs.push_back(TxIn{spec.funding_outpoint, Script(), lock.sequence, {}});
  uint64_t total_out = 0;
  for (size_t i : bip69_cltv_order(outs, cltvs)) {
    total_out += drafts[i].out.amount.value();
    result.tx.outputs.push_back(std::move(drafts[i].out));
    result.outputs.push_back(std::move(drafts[i].info));
  }
  result.base_fee = base_fee;
  result.actual_fee = Sat(spec.funding_amount.value() - total_out);
  result.funding_witness_script = funding_script(spec.local_funding_pubkey, spec.remote_funding_pubkey);
  return result;
}

std::vector<size_t> htlc_output_indexes(const CommitmentTx& commitment) {
  std::vector<size_t> out;
  for (size_t i = 0; i < commitment.outputs.size(); ++i) {
    OutputKind k = commitment.outputs[i].kind;
    if (k == OutputKind::OfferedHtlc || k == OutputKind::ReceivedHtlc) out.push_back(i);
  }
  return out;
}

TxOut funding_output(const PublicKey& a, const PublicKey& b, Sat amount) {
  return TxOut{amount, bitcoin::p2wsh_for_script(funding_script(a, b))};
}

bitcoin::Witness funding_witness(const PublicKey& local_funding_pubkey, const Bytes& local_sig,
                                 const PublicKey& remote_funding_pubkey, const Bytes& remote_sig) {
  bool local_first = local_funding_pubkey < remote_funding_pubkey;
  return bitcoin::Witness{Bytes{}, local_first ? local_sig : remote_sig,
                          local_first ? remote_sig : local_sig,
                          funding_script(local_funding_pubkey, remote_funding_pubkey).bytes()};
}

Result<Transaction> build_closing_tx(const ClosingSpec& spec) {
  auto total = spec.to_local.checked_add(spec.to_remote);
  if (!total || to_msat(spec.funding_amount) != total) {
    return fail("closing balances do not add up to the funding amount");
  }
  // BOLT 3: MUST round each output down to whole satoshis. MUST subtract the fee given by
  // `fee_satoshis` from the output to the funder.
  Sat local = to_sat_floor(spec.to_local), remote = to_sat_floor(spec.to_remote);
  Sat& funder = spec.local_is_opener ? local : remote;
  auto after_fee = funder.checked_sub(spec.fee);
  if (!after_fee) return fail("closing fee exceeds the funder's balance");
  funder = *after_fee;

  Transaction tx;
  tx.version = 2;
  tx.locktime = 0;
  tx.inputs.push_back(TxIn{spec.funding_outpoint, Script(), bitcoin::SEQUENCE_FINAL, {}});
  std::vector<TxOut> outs;
  // BOLT 3: MUST remove any output below its own `dust_limit_satoshis`. MAY eliminate its
  // own output.
  if (local >= spec.dust_limit && !spec.omit_local) outs.push_back({local, spec.local_scriptpubkey});
  if (remote >= spec.dust_limit) outs.push_back({remote, spec.remote_scriptpubkey});
  std::vector<std::optional<uint32_t>> no_cltv(outs.size());
  for (size_t i : bip69_cltv_order(outs, no_cltv)) tx.outputs.push_back(outs[i]);
  return tx;
}

}  // namespace fulgur::channel
