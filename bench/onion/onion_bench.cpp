// BOLT 4 onion costs: building a 3-hop and a 20-hop onion, peeling one layer, building and
// decrypting a failure; BM_EcdhReference is bench_crypto's BM_Ecdh again, so that the
// ratio to one ECDH comes from the same run.
#include <benchmark/benchmark.h>

#include "crypto/random.h"
#include "onion/failure.h"
#include "onion/sphinx.h"

using namespace fulgur;
using namespace fulgur::onion;

namespace {

struct Route {
  std::vector<crypto::SecretKey> keys;
  std::vector<OnionHop> hops;
};

// Payloads of a typical size (amount, cltv, scid: ~19 bytes; the last hop ~50 bytes).
Route make_route(size_t n) {
  Route route;
  size_t payload = n == 20 ? 30 : 50;
  for (size_t i = 0; i < n; ++i) {
    route.keys.push_back(crypto::SecretKey::random());
    route.hops.push_back({route.keys.back().public_key(), Bytes(payload, 0x2a)});
  }
  return route;
}

const Bytes ASSOCIATED_DATA(32, 0x42);

}  // namespace

static void BM_EcdhReference(benchmark::State& state) {
  auto key = crypto::SecretKey::random();
  auto peer = crypto::SecretKey::random().public_key();
  for (auto _ : state) benchmark::DoNotOptimize(crypto::ecdh(key, peer));
}
BENCHMARK(BM_EcdhReference);

static void BM_OnionCreate(benchmark::State& state) {
  Route route = make_route(static_cast<size_t>(state.range(0)));
  auto session = crypto::SecretKey::random();
  for (auto _ : state) {
    auto onion = create_onion(session, route.hops, ASSOCIATED_DATA);
    benchmark::DoNotOptimize(onion);
  }
  state.counters["hops"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_OnionCreate)->Arg(3)->Arg(20);

static void BM_OnionPeelOneHop(benchmark::State& state) {
  Route route = make_route(20);
  auto onion = create_onion(crypto::SecretKey::random(), route.hops, ASSOCIATED_DATA);
  for (auto _ : state) {
    auto peeled = peel_onion(route.keys[0], onion->packet, ASSOCIATED_DATA);
    benchmark::DoNotOptimize(peeled);
  }
}
BENCHMARK(BM_OnionPeelOneHop);

static void BM_FailureCreate(benchmark::State& state) {
  auto secret = crypto::random_secret<32>();
  Bytes message = encode_failure_message(FailureMessage(FailureCode::temporary_node_failure));
  for (auto _ : state) benchmark::DoNotOptimize(create_failure_packet(secret, message));
}
BENCHMARK(BM_FailureCreate);

static void BM_FailureDecryptFromLastOf20(benchmark::State& state) {
  std::vector<crypto::Secret32> secrets;
  for (int i = 0; i < 20; ++i) secrets.push_back(crypto::random_secret<32>());
  Bytes message = encode_failure_message(FailureMessage(FailureCode::temporary_node_failure));
  Bytes packet = *create_failure_packet(secrets[19], message);
  for (size_t hop = 19; hop-- > 0;) wrap_failure_packet(secrets[hop], packet);
  for (auto _ : state) benchmark::DoNotOptimize(decrypt_failure_packet(secrets, packet));
}
BENCHMARK(BM_FailureDecryptFromLastOf20);
