// BOLT 3 fee model and the transitional digest-based commitment builder; see commit_builder.h.
#include "channel/commit_builder.h"

#include <algorithm>

#include "channel/htlc_tx.h"
#include "channel/sign.h"
#include "crypto/hash.h"

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

namespace {

void put_u64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put(Bytes& out, ByteSpan data) { out.insert(out.end(), data.begin(), data.end()); }

}  // namespace

Result<BuiltCommitment> DigestCommitmentBuilder::build(const CommitmentContext& ctx) const {
  if (ctx.to_holder.value() + ctx.to_countersigner.value() > ctx.funding_amount.value() * 1000) {
    return fail("commitment balances exceed the funding amount");
  }
  Bytes data;
  put(data, as_bytes("fulgur/stand-in-commitment/v1"));
  data.push_back(static_cast<uint8_t>(ctx.type));
  put(data, ctx.funding_txid.span());
  put_u64(data, ctx.funding_output_index);
  put_u64(data, ctx.funding_amount.value());
  put(data, ctx.holder_funding_pubkey);
  put(data, ctx.countersigner_funding_pubkey);
  data.push_back(ctx.holder_is_opener ? 1 : 0);
  put_u64(data, ctx.commitment_number ^ ctx.obscuring_factor);
  put_u64(data, ctx.to_self_delay.value());
  put_u64(data, ctx.dust_limit.value());
  put_u64(data, ctx.feerate.value());
  put_u64(data, ctx.to_holder.value() / 1000);  // on chain amounts are whole satoshis
  put_u64(data, ctx.to_countersigner.value() / 1000);
  for (const auto* key : {&ctx.per_commitment_point, &ctx.revocation_pubkey,
                          &ctx.holder_delayed_pubkey, &ctx.holder_htlc_pubkey,
                          &ctx.countersigner_htlc_pubkey, &ctx.countersigner_payment_pubkey}) {
    put(data, *key);
  }
  // Untrimmed HTLC outputs in a canonical order (value, hash, cltv) like BIP 69 + CLTV.
  std::vector<ContextHtlc> outs;
  for (const auto& h : ctx.htlcs) {
    if (!is_trimmed(ctx.type, h.offered_by_holder, h.amount, ctx.feerate, ctx.dust_limit)) {
      outs.push_back(h);
    }
  }
  std::stable_sort(outs.begin(), outs.end(), [](const ContextHtlc& a, const ContextHtlc& b) {
    if (a.amount.value() / 1000 != b.amount.value() / 1000) {
      return a.amount.value() / 1000 < b.amount.value() / 1000;
    }
    if (a.payment_hash != b.payment_hash) return a.payment_hash < b.payment_hash;
    return a.cltv_expiry < b.cltv_expiry;
  });
  for (const auto& h : outs) {
    data.push_back(h.offered_by_holder ? 1 : 0);
    put_u64(data, h.amount.value() / 1000);
    put(data, h.payment_hash.span());
    put_u64(data, h.cltv_expiry);
  }
  BuiltCommitment built;
  built.sighash = crypto::sha256(data);
  for (size_t i = 0; i < outs.size(); ++i) {
    Bytes h;
    put(h, built.sighash.span());
    put_u64(h, i);
    built.htlc_sighashes.push_back(crypto::sha256(h));
  }
  return built;
}

Hash256 DigestCommitmentBuilder::closing_sighash(const ClosingContext& ctx) const {
  Bytes data;
  put(data, as_bytes("fulgur/stand-in-closing/v1"));
  put(data, ctx.funding_txid.span());
  put_u64(data, ctx.funding_output_index);
  put_u64(data, ctx.funding_amount.value());
  put_u64(data, ctx.to_opener.value() / 1000);
  put_u64(data, ctx.to_other.value() / 1000);
  put_u64(data, ctx.opener_scriptpubkey.size());
  put(data, ctx.opener_scriptpubkey);
  put_u64(data, ctx.other_scriptpubkey.size());
  put(data, ctx.other_scriptpubkey);
  put_u64(data, ctx.fee.value());
  return crypto::sha256(data);
}

namespace {
Result<PublicKey> key(const std::array<uint8_t, 33>& bytes) {
  auto k = PublicKey::parse(bytes);
  if (!k) return fail("invalid key in commitment context");
  return k;
}
}  // namespace

Result<BuiltCommitment> Bolt3CommitmentBuilder::build(const CommitmentContext& ctx) const {
  FULGUR_TRY(auto holder_funding, key(ctx.holder_funding_pubkey));
  FULGUR_TRY(auto counter_funding, key(ctx.countersigner_funding_pubkey));
  FULGUR_TRY(auto point, key(ctx.per_commitment_point));
  FULGUR_TRY(auto revocation, key(ctx.revocation_pubkey));
  FULGUR_TRY(auto delayed, key(ctx.holder_delayed_pubkey));
  FULGUR_TRY(auto holder_htlc, key(ctx.holder_htlc_pubkey));
  FULGUR_TRY(auto counter_htlc, key(ctx.countersigner_htlc_pubkey));
  FULGUR_TRY(auto counter_payment, key(ctx.countersigner_payment_pubkey));
  CommitmentKeys keys{point, revocation, delayed, holder_htlc, counter_htlc, counter_payment};
  std::vector<Htlc> htlcs;
  for (const auto& h : ctx.htlcs) {
    htlcs.push_back(Htlc{h.offered_by_holder ? HtlcDirection::Offered : HtlcDirection::Received,
                         h.amount, h.payment_hash, h.cltv_expiry});
  }
  CommitmentSpec spec{ctx.type,          bitcoin::OutPoint{ctx.funding_txid, ctx.funding_output_index},
                      ctx.funding_amount, holder_funding,
                      counter_funding,    ctx.holder_is_opener,
                      ctx.commitment_number, ctx.obscuring_factor,
                      ctx.to_self_delay,  ctx.dust_limit,
                      ctx.feerate,        ctx.to_holder,
                      ctx.to_countersigner, std::move(htlcs)};
  FULGUR_TRY(auto commitment, build_commitment_tx(spec, keys));
  FULGUR_TRY(auto htlc_txs, build_htlc_txs(spec, commitment, keys));
  BuiltCommitment built;
  built.sighash = input_sighash(commitment.tx, 0, commitment.funding_witness_script,
                                ctx.funding_amount, SIGHASH_ALL);
  for (const auto& h : htlc_txs) {
    built.htlc_sighashes.push_back(input_sighash(h.tx, 0, h.htlc_witness_script, h.input_amount,
                                                 remote_htlc_sighash_type(ctx.type)));
  }
  built.tx = commitment.tx.serialize();
  return built;
}

Hash256 Bolt3CommitmentBuilder::closing_sighash(const ClosingContext& ctx) const {
  return DigestCommitmentBuilder().closing_sighash(ctx);
}

const CommitmentBuilder& bolt3_commitment_builder() {
  static const Bolt3CommitmentBuilder builder;
  return builder;
}

const CommitmentBuilder& default_commitment_builder() {
  static const DigestCommitmentBuilder builder;
  return builder;
}

}  // namespace fulgur::channel
