// Benchmarks for lib/bitcoin: BIP 143 signature hashes per second (with and without the
// per-transaction cache), P2WPKH and 2-of-2 P2WSH input verification per second, and raw
// ECDSA verification in the same binary so the ratio can be read off directly.
#include <benchmark/benchmark.h>

#include "bitcoin/interpreter.h"
#include "bitcoin/sighash.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

namespace {

using namespace fulgur;
using namespace fulgur::bitcoin;

crypto::SecretKey key_from(uint8_t seed) {
  std::array<uint8_t, 32> raw{};
  raw[0] = 0x22;
  raw[31] = seed;
  return crypto::SecretKey::from_bytes(raw).value();
}

// A 2-input, 2-output transaction like a channel funding or a sweep.
Transaction sample_tx() {
  Transaction tx;
  for (uint8_t i = 0; i < 2; ++i) {
    TxIn in;
    in.prevout = OutPoint{Txid(std::array<uint8_t, 32>{i}), i};
    in.sequence = 0xfffffffd;
    tx.inputs.push_back(in);
  }
  tx.outputs.push_back(TxOut{Sat(100'000), p2wsh(Hash256{})});
  tx.outputs.push_back(TxOut{Sat(50'000), p2wpkh(Hash160{})});
  return tx;
}

struct P2wpkhInput {
  Transaction tx = sample_tx();
  TxOut spent;
  P2wpkhInput() {
    auto key = key_from(1);
    auto pub = key.public_key().serialize();
    spent = TxOut{Sat(200'000), p2wpkh_for_key(pub)};
    Hash256 h = segwit_v0_sighash(tx, 0, p2wpkh_script_code(crypto::hash160(pub)).span(),
                                  spent.amount, SIGHASH_ALL);
    Bytes sig = crypto::sign(key, h).to_der();
    sig.push_back(SIGHASH_ALL);
    tx.inputs[0].witness = {sig, Bytes(pub.begin(), pub.end())};
  }
};

void BM_SegwitSighashCached(benchmark::State& state) {
  Transaction tx = sample_tx();
  PrecomputedTxData cache(tx);
  Script code = p2wpkh_script_code(Hash160{});
  for (auto _ : state) {
    benchmark::DoNotOptimize(segwit_v0_sighash(tx, 0, code.span(), Sat(1), SIGHASH_ALL, cache));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SegwitSighashCached);

void BM_SegwitSighashUncached(benchmark::State& state) {
  Transaction tx = sample_tx();
  Script code = p2wpkh_script_code(Hash160{});
  for (auto _ : state) {
    benchmark::DoNotOptimize(segwit_v0_sighash(tx, 0, code.span(), Sat(1), SIGHASH_ALL));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SegwitSighashUncached);

void BM_VerifyP2wpkhInput(benchmark::State& state) {
  P2wpkhInput in;
  PrecomputedTxData cache(in.tx);
  for (auto _ : state) {
    auto r = verify_input(in.tx, 0, in.spent, verify::STANDARD, &cache);
    if (!r.ok()) state.SkipWithError("verification failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyP2wpkhInput);

void BM_VerifyP2wsh2of2Input(benchmark::State& state) {
  Transaction tx = sample_tx();
  auto a = key_from(2), b = key_from(3);
  auto pa = a.public_key().serialize(), pb = b.public_key().serialize();
  Script ms;
  ms.push_opcode(OP_2).push_data(pa).push_data(pb).push_opcode(OP_2).push_opcode(OP_CHECKMULTISIG);
  TxOut spent{Sat(1'000'000), p2wsh_for_script(ms)};
  Hash256 h = segwit_v0_sighash(tx, 0, ms.span(), spent.amount, SIGHASH_ALL);
  Bytes sa = crypto::sign(a, h).to_der(), sb = crypto::sign(b, h).to_der();
  sa.push_back(SIGHASH_ALL);
  sb.push_back(SIGHASH_ALL);
  tx.inputs[0].witness = {Bytes{}, sa, sb, ms.bytes()};
  PrecomputedTxData cache(tx);
  for (auto _ : state) {
    auto r = verify_input(tx, 0, spent, verify::STANDARD, &cache);
    if (!r.ok()) state.SkipWithError("verification failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyP2wsh2of2Input);

// The same operation as bench_crypto's BM_EcdsaVerify, for the ratio.
void BM_EcdsaVerifyReference(benchmark::State& state) {
  auto key = key_from(4);
  auto pub = key.public_key();
  Hash256 digest = crypto::sha256(as_bytes("commitment"));
  auto sig = crypto::sign(key, digest);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::verify(pub, digest, sig));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaVerifyReference);

void BM_ParseTransaction(benchmark::State& state) {
  P2wpkhInput in;
  Bytes raw = in.tx.serialize();
  for (auto _ : state) benchmark::DoNotOptimize(parse_transaction(raw));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseTransaction);

}  // namespace
