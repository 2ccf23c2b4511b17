// lib/payment's per-HTLC costs against one ECDH: the switch's forward decision, a forward
// recorded and settled, a final-hop HTLC settled by the registry, a payment prepared.
#include <benchmark/benchmark.h>

#include <array>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "invoice/invoice.h"
#include "payment/forwards.h"
#include "payment/htlc_switch.h"
#include "payment/payments.h"
#include "payment/registry.h"

using namespace fulgur;
using namespace fulgur::payment;

namespace {

template <typename Fixed>
Fixed filled(uint8_t byte) {
  std::array<uint8_t, Fixed::SIZE> bytes{};
  bytes.fill(byte);
  return Fixed(bytes);
}

struct Setup {
  crypto::SecretKey b = crypto::SecretKey::random();
  crypto::SecretKey c = crypto::SecretKey::random();
  ShortChannelId bc_scid{0x0100000200030001};
  ChannelTable channels;
  SwitchConfig config;
  PaymentHash hash = filled<PaymentHash>(7);
  PaymentOnion onion;

  Setup() {
    OutgoingChannel channel;
    channel.channel_id = filled<ChannelId>(0xbc);
    channel.short_channel_id = bc_scid;
    channel.peer = c.public_key().node_id();
    channel.peer_connected = channel.usable = true;
    channel.available_msat = Msat(1'000'000'000);
    channel.channel_update = Bytes(136, 1);
    channels.upsert(channel);
    std::vector<RouteHop> route{
        RouteHop{b.public_key().node_id(), ShortChannelId(1)},
        RouteHop{c.public_key().node_id(), bc_scid, Msat(1000), 1, CltvDelta(34)}};
    FinalHopData final_data{filled<PaymentSecret>(3), Msat(1'000'000), std::nullopt, std::nullopt};
    onion = std::move(build_payment_onion(route, Msat(1'000'000), BlockHeight(800'040),
                                          final_data, hash, crypto::SecretKey::random())
                          .value());
  }

  IncomingHtlc incoming(uint64_t id) const {
    return IncomingHtlc{HtlcKey{filled<ChannelId>(0xab), id}, onion.htlcs[0].amount_msat, hash,
                        onion.htlcs[0].cltv_expiry, onion.onion_routing_packet};
  }
};

}  // namespace

static void BM_EcdhReference(benchmark::State& state) {
  auto key = crypto::SecretKey::random();
  auto peer = crypto::SecretKey::random().public_key();
  for (auto _ : state) benchmark::DoNotOptimize(crypto::ecdh(key, peer));
}
BENCHMARK(BM_EcdhReference);

static void BM_DecideForward(benchmark::State& state) {
  Setup setup;
  IncomingHtlc htlc = setup.incoming(0);
  for (auto _ : state) {
    Decision decision = decide_incoming(htlc, setup.b, setup.channels, setup.config,
                                        BlockHeight(800'000));
    if (!std::holds_alternative<Forward>(decision)) state.SkipWithError("not forwarded");
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_DecideForward);

static void BM_ForwardSettle(benchmark::State& state) {
  Setup setup;
  Decision decision = decide_incoming(setup.incoming(0), setup.b, setup.channels, setup.config,
                                      BlockHeight(800'000));
  Forward forward = std::move(std::get<Forward>(decision));
  ForwardTracker tracker;
  Preimage preimage = filled<Preimage>(9);
  forward.payment_hash = PaymentHash(crypto::sha256(preimage.span()).array());
  uint64_t id = 0;
  for (auto _ : state) {
    forward.incoming.htlc_id = id;
    auto added = tracker.add(forward, id, 1);
    auto settled = tracker.on_fulfilled(HtlcKey{forward.outgoing_channel_id, id}, preimage, 2);
    ++id;
    benchmark::DoNotOptimize(added);
    benchmark::DoNotOptimize(settled);
  }
}
BENCHMARK(BM_ForwardSettle);

static void BM_RegistrySettle(benchmark::State& state) {
  InvoiceRegistry registry;
  auto key = crypto::SecretKey::random();
  InvoiceRequest request;
  request.amount_msat = Msat(10'000);
  uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::array<uint8_t, 32> entropy{};
    for (size_t i = 0; i < 8; ++i) entropy[i] = static_cast<uint8_t>((n + 1) >> (8 * i));
    Preimage preimage(entropy);
    entropy[31] = 0x55;
    auto created = registry.create(request,
                                   InvoiceEntropy{preimage, PaymentSecret(entropy)}, key, 1000);
    FinalHtlc htlc{HtlcKey{filled<ChannelId>(1), n}, Msat(10'000), created->payment_hash,
                   BlockHeight(800'040), Msat(10'000), BlockHeight(800'040),
                   PaymentSecret(entropy), Msat(10'000), std::nullopt, std::nullopt,
                   crypto::Secret32(entropy)};
    ++n;
    state.ResumeTiming();
    RegistryOutput out = registry.on_htlc(std::move(htlc), BlockHeight(800'000), 1001);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RegistrySettle);

static void BM_PreparePayment(benchmark::State& state) {
  std::vector<RouteHop> route;
  for (int i = 0; i < 3; ++i) {
    route.push_back(RouteHop{crypto::SecretKey::random().public_key().node_id(),
                             ShortChannelId(static_cast<uint64_t>(i + 1)), Msat(1000), 100,
                             CltvDelta(34)});
  }
  FinalHopData final_data{filled<PaymentSecret>(3), Msat(1'000'000), std::nullopt, std::nullopt};
  auto session = crypto::SecretKey::random();
  for (auto _ : state) {
    auto onion = build_payment_onion(route, Msat(1'000'000), BlockHeight(800'018), final_data,
                                     filled<PaymentHash>(1), session);
    benchmark::DoNotOptimize(onion);
  }
}
BENCHMARK(BM_PreparePayment);
