// The primitives' cost: the "physical limit" figures that every later benchmark divides
// by (ECDSA sign and verify, ECDH, SHA-256, ChaCha20-Poly1305 on a 1.4 KB packet).
#include <benchmark/benchmark.h>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

using namespace fulgur;
using namespace fulgur::crypto;

static void BM_EcdsaSign(benchmark::State& state) {
  SecretKey key = SecretKey::random();
  Hash256 digest = sha256(as_bytes("commitment"));
  for (auto _ : state) {
    benchmark::DoNotOptimize(sign(key, digest));
    digest.data()[0]++;
  }
}
BENCHMARK(BM_EcdsaSign);

static void BM_EcdsaVerify(benchmark::State& state) {
  SecretKey key = SecretKey::random();
  PublicKey pub = key.public_key();
  Hash256 digest = sha256(as_bytes("commitment"));
  Signature sig = sign(key, digest);
  for (auto _ : state) benchmark::DoNotOptimize(verify(pub, digest, sig));
}
BENCHMARK(BM_EcdsaVerify);

static void BM_Ecdh(benchmark::State& state) {
  SecretKey key = SecretKey::random();
  PublicKey peer = SecretKey::random().public_key();
  for (auto _ : state) benchmark::DoNotOptimize(ecdh(key, peer));
}
BENCHMARK(BM_Ecdh);

static void BM_PublicKeyParse(benchmark::State& state) {
  auto bytes = SecretKey::random().public_key().serialize();
  for (auto _ : state) benchmark::DoNotOptimize(PublicKey::parse(bytes));
}
BENCHMARK(BM_PublicKeyParse);

static void BM_Sha256(benchmark::State& state) {
  Bytes data(static_cast<size_t>(state.range(0)), 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(sha256(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(1024);

static void BM_ChaCha20Poly1305Encrypt(benchmark::State& state) {
  std::array<uint8_t, 32> key{};
  Bytes plaintext(1400, 0x42), out(1400 + AEAD_TAG_SIZE);
  uint64_t n = 0;
  for (auto _ : state) {
    aead_encrypt(key, bolt8_nonce(n++), {}, plaintext, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1400);
}
BENCHMARK(BM_ChaCha20Poly1305Encrypt);

static void BM_ChaCha20Poly1305Decrypt(benchmark::State& state) {
  std::array<uint8_t, 32> key{};
  Bytes plaintext(1400, 0x42), opened(1400);
  Bytes sealed = aead_encrypt(key, bolt8_nonce(0), {}, plaintext);
  for (auto _ : state) benchmark::DoNotOptimize(aead_decrypt(key, bolt8_nonce(0), {}, sealed, opened));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1400);
}
BENCHMARK(BM_ChaCha20Poly1305Decrypt);
