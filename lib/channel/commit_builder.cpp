// BOLT 3 fee model and commitment construction for the state machine; see commit_builder.h.
#include "channel/commit_builder.h"

#include "channel/sign.h"

namespace fulgur::channel {

bool is_trimmed(ChannelType type, bool offered_by_holder, Msat amount, FeeratePerKw feerate,
                Sat dust_limit) {
  Htlc h;
  h.direction = offered_by_holder ? HtlcDirection::Offered : HtlcDirection::Received;
  h.amount = amount;
  return is_trimmed(type, h, feerate, dust_limit);
}

Sat opener_fee(ChannelType type, FeeratePerKw feerate, size_t untrimmed_htlcs) {
  Sat fee = commitment_fee(type, feerate, untrimmed_htlcs);
  // BOLT 3: the funder pays for the two anchors under option_anchors.
  if (type == ChannelType::Anchors) fee = Sat(fee.value() + 2 * ANCHOR_OUTPUT_VALUE.value());
  return fee;
}

Sat opener_fee_for(ChannelType type, const CommitSpec& spec, Sat dust_limit, bool holder_is_us) {
  size_t untrimmed = 0;
  for (const auto& h : spec.htlcs) {
    bool offered_by_holder = h.offered_by_us == holder_is_us;
    if (!is_trimmed(type, offered_by_holder, h.amount, spec.feerate, dust_limit)) ++untrimmed;
  }
  return opener_fee(type, spec.feerate, untrimmed);
}

Result<BuiltCommitment> build_commitment(CommitmentSpec spec, const CommitmentKeys& keys) {
  FULGUR_TRY(auto commitment, build_commitment_tx(spec, keys));
  FULGUR_TRY(auto htlc_txs, build_htlc_txs(spec, commitment, keys));
  Hash256 sighash = input_sighash(commitment.tx, 0, commitment.funding_witness_script,
                                  spec.funding_amount, SIGHASH_ALL);
  std::vector<Hash256> htlc_sighashes;
  htlc_sighashes.reserve(htlc_txs.size());
  for (const auto& h : htlc_txs) {
    htlc_sighashes.push_back(input_sighash(h.tx, 0, h.htlc_witness_script, h.input_amount,
                                           remote_htlc_sighash_type(spec.type)));
  }
  return BuiltCommitment{std::move(spec), keys, std::move(commitment), std::move(htlc_txs),
                         sighash, std::move(htlc_sighashes)};
}

}  // namespace fulgur::channel
