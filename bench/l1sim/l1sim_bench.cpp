// l1sim's validation speed: P2WPKH spends checked for the mempool per second (all of
// accept(): context-free and policy checks, coin lookups, BIP 68, amounts, the script and
// signature), BIP 143 signature hashes per second, and raw ECDSA verification as the
// physical limit they are compared with (the `ratio_to_ecdsa_verify` counter).
#include <benchmark/benchmark.h>

#include <chrono>

#include "bitcoin/sighash.h"
#include "core/chainstate.h"
#include "core/script_verify.h"
#include "core/wallet.h"
#include "crypto/hash.h"

using namespace fulgur;
using namespace fulgur::l1sim;

namespace {

constexpr size_t SPENDS = 1000;

// A chain whose wallet owns SPENDS confirmed P2WPKH outputs, and a signed spend of each.
struct Fixture {
  ChainState chain{make_input_verifier()};
  Wallet wallet{[] { return crypto::SecretKey::random(); }};
  std::vector<bitcoin::Transaction> spends;

  Fixture() {
    auto script = [&] {
      return *bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, wallet.new_address());
    };
    bitcoin::Script miner = script();
    for (int i = 0; i < 101; ++i) chain.mine(miner);
    bitcoin::Transaction fan;
    for (size_t i = 0; i < SPENDS; ++i) fan.outputs.push_back({Sat(1'000'000), script()});
    auto funded = wallet.fund(chain, fan, 1000, std::nullopt);
    bitcoin::Transaction tx = funded->tx;
    wallet.sign(chain, tx);
    if (!chain.accept(tx, false).ok()) throw std::runtime_error("fan-out rejected");
    chain.mine(miner);
    for (size_t i = 0; i < SPENDS; ++i) {
      bitcoin::Transaction spend;
      spend.inputs.push_back({bitcoin::OutPoint{tx.txid(), static_cast<uint32_t>(i)}, {}, 0xfffffffd, {}});
      spend.outputs.push_back({Sat(1'000'000 - 200), miner});
      wallet.sign(chain, spend);
      spends.push_back(std::move(spend));
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

double ecdsa_verify_per_second() {
  crypto::SecretKey key = crypto::SecretKey::random();
  crypto::PublicKey pub = key.public_key();
  Hash256 digest = crypto::sha256(as_bytes("x"));
  crypto::Signature sig = crypto::sign(key, digest);
  auto start = std::chrono::steady_clock::now();
  int n = 2000;
  for (int i = 0; i < n; ++i) benchmark::DoNotOptimize(crypto::verify(pub, digest, sig));
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return n / took.count();
}

}  // namespace

static void BM_MempoolAcceptP2wpkhSpend(benchmark::State& state) {
  Fixture& f = fixture();
  size_t i = 0;
  for (auto _ : state) {
    auto r = f.chain.accept(f.spends[i++ % SPENDS], /*test_only=*/true);
    if (!r.ok()) state.SkipWithError(r.error().to_string().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  // A rate counter divided by the ECDSA verify rate: (txs / s) / (verifies / s).
  double ecdsa = ecdsa_verify_per_second();
  state.counters["ecdsa_verify_per_s"] = ecdsa;
  state.counters["ratio_to_ecdsa_verify"] = benchmark::Counter(
      static_cast<double>(state.iterations()) / ecdsa, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MempoolAcceptP2wpkhSpend)->Unit(benchmark::kMicrosecond);

static void BM_SegwitV0Sighash(benchmark::State& state) {
  Fixture& f = fixture();
  const auto& tx = f.spends[0];
  bitcoin::Script code = bitcoin::p2wpkh_script_code(Hash160());
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        bitcoin::segwit_v0_sighash(tx, 0, code.span(), Sat(1'000'000), bitcoin::SIGHASH_ALL));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SegwitV0Sighash);

static void BM_EcdsaVerifyReference(benchmark::State& state) {
  crypto::SecretKey key = crypto::SecretKey::random();
  crypto::PublicKey pub = key.public_key();
  Hash256 digest = crypto::sha256(as_bytes("commitment"));
  crypto::Signature sig = crypto::sign(key, digest);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::verify(pub, digest, sig));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EcdsaVerifyReference);
