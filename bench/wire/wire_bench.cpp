// Encode and decode cost of the hot-path messages: update_add_htlc (1.4 KB, mostly the
// onion) and commitment_signed with 30 HTLC signatures (every signature is range-checked
// on decode). Compare with bench_crypto's ECDSA verify: decoding should be far below one.
#include <benchmark/benchmark.h>

#include "crypto/keys.h"
#include "wire/messages.h"

using namespace fulgur;
using namespace fulgur::wire;

namespace {
msg::UpdateAddHtlc sample_add() {
  msg::UpdateAddHtlc add;
  add.id = 42;
  add.amount_msat = Msat(1'000'000);
  add.cltv_expiry = BlockHeight(800'144);
  for (size_t i = 0; i < ONION_PACKET_SIZE; ++i) add.onion_routing_packet.data()[i] = uint8_t(i);
  return add;
}

msg::CommitmentSigned sample_commit(size_t htlcs) {
  auto key = crypto::SecretKey::random();
  Hash256 digest;
  msg::CommitmentSigned cs;
  cs.signature = to_wire_signature(crypto::sign(key, digest));
  for (size_t i = 0; i < htlcs; ++i) {
    digest.data()[0] = static_cast<uint8_t>(i);
    cs.htlc_signature.push_back(to_wire_signature(crypto::sign(key, digest)));
  }
  return cs;
}
}  // namespace

static void BM_EncodeUpdateAddHtlc(benchmark::State& state) {
  auto add = sample_add();
  for (auto _ : state) benchmark::DoNotOptimize(encode_message(add));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(encode_message(add).size()));
}
BENCHMARK(BM_EncodeUpdateAddHtlc);

static void BM_DecodeUpdateAddHtlc(benchmark::State& state) {
  Bytes bytes = encode_message(sample_add());
  for (auto _ : state) benchmark::DoNotOptimize(decode_message(bytes));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}
BENCHMARK(BM_DecodeUpdateAddHtlc);

static void BM_EncodeCommitmentSigned30(benchmark::State& state) {
  auto cs = sample_commit(30);
  for (auto _ : state) benchmark::DoNotOptimize(encode_message(cs));
}
BENCHMARK(BM_EncodeCommitmentSigned30);

static void BM_DecodeCommitmentSigned30(benchmark::State& state) {
  Bytes bytes = encode_message(sample_commit(30));
  for (auto _ : state) benchmark::DoNotOptimize(decode_message(bytes));
}
BENCHMARK(BM_DecodeCommitmentSigned30);
