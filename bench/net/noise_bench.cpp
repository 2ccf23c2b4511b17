// BOLT 8 costs against their physical limits: a full handshake (both sides, in process) is
// bounded by its 6 ECDHs plus key generation; an encrypted 1 KB message (length + body,
// encrypted and decrypted) by ChaCha20-Poly1305. The Raw* benchmarks repeat bench_crypto's
// primitives in this binary so that the ratios come from one run:
//   handshake ratio  = BM_NoiseHandshake time / BM_RawEcdh time   (ideal: about 6-10)
//   throughput ratio = BM_NoiseMessage1K MB/s / BM_RawChaCha20Poly1305_1K MB/s (ideal: ~0.5,
//                      since each message is sealed and opened, each with a length frame)
#include <benchmark/benchmark.h>

#include "crypto/aead.h"
#include "crypto/keys.h"
#include "noise/handshake.h"

using namespace fulgur;
using namespace fulgur::crypto;

static void BM_RawEcdh(benchmark::State& state) {
  SecretKey key = SecretKey::random();
  PublicKey peer = SecretKey::random().public_key();
  for (auto _ : state) benchmark::DoNotOptimize(ecdh(key, peer));
}
BENCHMARK(BM_RawEcdh);

static void BM_RawChaCha20Poly1305_1K(benchmark::State& state) {
  std::array<uint8_t, 32> key{};
  Bytes plaintext(1024, 0x42), out(1024 + AEAD_TAG_SIZE);
  uint64_t n = 0;
  for (auto _ : state) {
    aead_encrypt(key, bolt8_nonce(n++), {}, plaintext, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1024);
}
BENCHMARK(BM_RawChaCha20Poly1305_1K);

static void BM_NoiseHandshake(benchmark::State& state) {
  SecretKey initiator_static = SecretKey::random();
  SecretKey responder_static = SecretKey::random();
  PublicKey responder_pub = responder_static.public_key();
  for (auto _ : state) {
    auto i = noise::Handshake::initiator(initiator_static, responder_pub, SecretKey::random());
    auto r = noise::Handshake::responder(responder_static, SecretKey::random());
    auto act2 = r.receive_act_one(i.act_one());
    auto act3 = i.receive_act_two(*act2);
    auto done = r.receive_act_three(*act3);
    if (!done.ok()) state.SkipWithError("handshake failed");
    benchmark::DoNotOptimize(std::move(i).into_transport());
    benchmark::DoNotOptimize(std::move(r).into_transport());
  }
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_NoiseHandshake);

static void BM_NoiseMessage1K(benchmark::State& state) {
  auto ls_i = SecretKey::random();
  auto ls_r = SecretKey::random();
  auto i = noise::Handshake::initiator(ls_i, ls_r.public_key(), SecretKey::random());
  auto r = noise::Handshake::responder(ls_r, SecretKey::random());
  auto act2 = r.receive_act_one(i.act_one());
  auto act3 = i.receive_act_two(*act2);
  (void)r.receive_act_three(*act3);
  noise::Transport sender = std::move(i).into_transport();
  noise::Transport receiver = std::move(r).into_transport();
  Bytes message(1024, 0x5a), frame(noise::frame_size(1024)), opened(1024);
  for (auto _ : state) {
    (void)sender.encrypt_message(message, frame);
    auto len = receiver.decrypt_length(ByteSpan(frame).first(noise::LENGTH_HEADER_SIZE));
    auto ok = receiver.decrypt_body(ByteSpan(frame).subspan(noise::LENGTH_HEADER_SIZE), opened);
    if (!len.ok() || !ok.ok()) state.SkipWithError("decryption failed");
    benchmark::DoNotOptimize(opened.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1024);
}
BENCHMARK(BM_NoiseMessage1K);
