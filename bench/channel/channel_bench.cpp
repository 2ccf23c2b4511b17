// What commitment_signed costs: build a commitment transaction with N HTLCs, sign it, build
// every HTLC transaction and sign each (N = 0, 10, 100, 483). The "sigs" counter says how
// many ECDSA signatures one iteration makes; BM_EcdsaSign (same as bench_crypto's) is the
// per-signature floor, so time / (sigs * BM_EcdsaSign) is the overhead ratio.
#include <benchmark/benchmark.h>

#include "channel/commitment.h"
#include "channel/htlc_tx.h"
#include "channel/sign.h"
#include "crypto/hash.h"

using namespace fulgur;
using namespace fulgur::channel;

namespace {
struct Setup {
  SecretKey funding_key = SecretKey::random();
  SecretKey htlc_key = SecretKey::random();
  CommitmentKeys keys{SecretKey::random().public_key(), SecretKey::random().public_key(),
                      SecretKey::random().public_key(), SecretKey::random().public_key(),
                      htlc_key.public_key(),            SecretKey::random().public_key()};
  CommitmentSpec spec;

  explicit Setup(size_t htlcs)
      : spec{.type = ChannelType::Anchors,
             .funding_outpoint = {},
             .funding_amount = Sat(100'000'000),
             .local_funding_pubkey = SecretKey::random().public_key(),
             .remote_funding_pubkey = funding_key.public_key(),
             .local_is_opener = true,
             .commitment_number = 1000,
             .obscuring_factor = 0x2bb038521914,
             .to_self_delay = CltvDelta(144),
             .dust_limit = Sat(546),
             .feerate = FeeratePerKw(2500),
             .to_local = Msat(0),
             .to_remote = Msat(40'000'000'000),
             .htlcs = {}} {
    uint64_t used = 0;
    for (size_t i = 0; i < htlcs; ++i) {
      Htlc h;
      h.direction = i % 2 ? HtlcDirection::Offered : HtlcDirection::Received;
      h.amount = Msat(10'000'000 + i * 1000);
      h.payment_hash = PaymentHash(crypto::sha256(as_bytes(std::to_string(i))).array());
      h.cltv_expiry = 800'000 + static_cast<uint32_t>(i);
      used += h.amount.value();
      spec.htlcs.push_back(h);
    }
    spec.to_local = Msat(60'000'000'000 - used);
  }
};

// The countersignatory's work for commitment_signed: one commitment signature and one
// signature per untrimmed HTLC.
void BM_SignCommitmentAndHtlcs(benchmark::State& state) {
  Setup s(static_cast<size_t>(state.range(0)));
  uint8_t htlc_sighash = remote_htlc_sighash_type(s.spec.type);
  for (auto _ : state) {
    auto commitment = build_commitment_tx(s.spec, s.keys);
    auto sig = sign_funding_input(commitment->tx, commitment->funding_witness_script,
                                  s.spec.funding_amount, s.funding_key);
    benchmark::DoNotOptimize(sig);
    auto htlc_txs = build_htlc_txs(s.spec, *commitment, s.keys);
    for (const auto& t : *htlc_txs) benchmark::DoNotOptimize(sign_htlc_tx(t, s.htlc_key, htlc_sighash));
  }
  state.counters["sigs"] = static_cast<double>(1 + s.spec.htlcs.size());
}
BENCHMARK(BM_SignCommitmentAndHtlcs)->Arg(0)->Arg(10)->Arg(100)->Arg(483)->Unit(benchmark::kMicrosecond);

// Building only (no signatures): the non-crypto share of the cost.
void BM_BuildCommitmentAndHtlcs(benchmark::State& state) {
  Setup s(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto commitment = build_commitment_tx(s.spec, s.keys);
    auto htlc_txs = build_htlc_txs(s.spec, *commitment, s.keys);
    benchmark::DoNotOptimize(htlc_txs);
  }
}
BENCHMARK(BM_BuildCommitmentAndHtlcs)->Arg(0)->Arg(10)->Arg(100)->Arg(483)->Unit(benchmark::kMicrosecond);

// The per-signature floor, as bench_crypto measures it.
void BM_EcdsaSign(benchmark::State& state) {
  SecretKey key = SecretKey::random();
  Hash256 digest = crypto::sha256(as_bytes("commitment"));
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::sign(key, digest));
    digest.data()[0]++;
  }
}
BENCHMARK(BM_EcdsaSign)->Unit(benchmark::kMicrosecond);
}  // namespace
