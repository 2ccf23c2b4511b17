// Property: for a random route of 1..8 hops with random relay policies, the HTLCs the
// sender computes meet every hop's policy exactly. Each hop's real switch forwards what it
// receives with exactly its advertised fee and cltv_expiry_delta, one msat or one block
// less is refused with fee_insufficient / incorrect_cltv_expiry from that hop, and the
// final hop receives exactly the amount and expiry the sender meant.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "harness.h"

namespace fulgur::payment::test {
namespace {

using onion::FailureCode;
using onion::to_u16;

struct Hop {
  crypto::SecretKey key;
  RouteHop route;
};

// The failure code the origin reads, and the hop it attributes it to, once the hops before
// hop `at` have wrapped it on its way back.
std::pair<size_t, uint16_t> read_failure(const Decision& decision, const PaymentOnion& onion,
                                         size_t at) {
  const Fail* fail = std::get_if<Fail>(&decision);
  RC_ASSERT(fail != nullptr);
  Bytes reason = fail->reason;
  for (size_t hop = at; hop-- > 0;) onion::wrap_failure_packet(onion.shared_secrets[hop], reason);
  auto decrypted = onion::decrypt_failure_packet(onion.shared_secrets, reason);
  RC_ASSERT(decrypted.ok());
  RC_ASSERT(decrypted->message.has_value());
  return {decrypted->hop_index, decrypted->message->code};
}

RC_GTEST_PROP(PaymentProperty, SenderHtlcsMeetEveryHopsPolicyExactly, ()) {
  const size_t hop_count = *rc::gen::inRange<size_t>(1, 9);
  std::vector<Hop> hops;
  for (size_t i = 0; i < hop_count; ++i) {
    RouteHop route;
    crypto::SecretKey key = key_from_seed(1000 + i * 7919 + *rc::gen::inRange<uint64_t>(0, 1000));
    route.node_id = key.public_key().node_id();
    route.short_channel_id = ShortChannelId(0x100000000ull * (i + 1) + i);
    route.fee_base_msat = Msat(*rc::gen::inRange<uint64_t>(0, 20'000));
    route.fee_proportional_millionths = *rc::gen::inRange<uint32_t>(0, 50'000);
    route.cltv_expiry_delta = CltvDelta(*rc::gen::inRange<uint32_t>(0, 300));
    hops.push_back(Hop{std::move(key), route});
  }
  std::vector<RouteHop> route;
  for (const auto& hop : hops) route.push_back(hop.route);
  const BlockHeight height{*rc::gen::inRange<uint32_t>(0, 1'000'000)};
  const Msat final_amount{*rc::gen::inRange<uint64_t>(1, 10'000'000'000)};
  const BlockHeight final_cltv{height.value() + *rc::gen::inRange<uint32_t>(1, 1000)};
  const PaymentHash hash = filled<PaymentHash>(*rc::gen::arbitrary<uint8_t>());
  FinalHopData final_data{filled<PaymentSecret>(1), final_amount, std::nullopt, std::nullopt};
  auto onion = build_payment_onion(route, final_amount, final_cltv, final_data, hash,
                                   key_from_seed(*rc::gen::inRange<uint64_t>(1, 1u << 30)));
  RC_ASSERT(onion.ok());

  SwitchConfig config;
  config.outgoing_expiry_margin = CltvDelta(0);
  config.max_htlc_cltv = CltvDelta(1'000'000);
  Msat amount = onion->htlcs[0].amount_msat;
  BlockHeight cltv = onion->htlcs[0].cltv_expiry;
  Bytes packet = onion->onion_routing_packet;
  for (size_t i = 0; i < hop_count; ++i) {
    const Hop& hop = hops[i];
    ChannelTable channels;
    if (i + 1 < hop_count) {
      const RouteHop& next = route[i + 1];
      OutgoingChannel channel = outgoing_channel(channel_id_of(static_cast<uint8_t>(i + 1)),
                                                 next.short_channel_id, next.node_id, Bytes{1, 2});
      channel.htlc_minimum_msat = Msat(0);
      channel.available_msat = Msat::max();
      channel.policy = ForwardingPolicy{next.fee_base_msat, next.fee_proportional_millionths,
                                        next.cltv_expiry_delta, Msat(0), Msat::max()};
      channels.upsert(channel);
    }
    auto incoming = [&](Msat a, BlockHeight c) {
      return decide_incoming(IncomingHtlc{HtlcKey{channel_id_of(0), i}, a, hash, c, packet},
                             hop.key, channels, config, height);
    };
    Decision decision = incoming(amount, cltv);
    if (i + 1 == hop_count) {
      const FinalHtlc* final_htlc = std::get_if<FinalHtlc>(&decision);
      RC_ASSERT(final_htlc != nullptr);
      RC_ASSERT(final_htlc->amount_msat == final_amount);
      RC_ASSERT(final_htlc->amt_to_forward == final_amount);
      RC_ASSERT(final_htlc->cltv_expiry == final_cltv);
      RC_ASSERT(final_htlc->outgoing_cltv_value == final_cltv);
      RC_ASSERT(final_htlc->total_msat == final_amount);
      break;
    }
    Forward* forward = std::get_if<Forward>(&decision);
    RC_ASSERT(forward != nullptr);
    const RouteHop& next = route[i + 1];
    RC_ASSERT(forward->amount_msat == onion->htlcs[i + 1].amount_msat);
    RC_ASSERT(forward->cltv_expiry == onion->htlcs[i + 1].cltv_expiry);
    RC_ASSERT(forward->fee() == *forwarding_fee(next.fee_base_msat, next.fee_proportional_millionths,
                                                forward->amount_msat));
    RC_ASSERT(cltv.value() - forward->cltv_expiry.value() == next.cltv_expiry_delta.value());
    // Exactly: one msat or one block less is refused by this hop.
    RC_ASSERT(read_failure(incoming(Msat(amount.value() - 1), cltv), *onion, i) ==
              std::make_pair(i, to_u16(FailureCode::fee_insufficient)));
    RC_ASSERT(read_failure(incoming(amount, BlockHeight(cltv.value() - 1)), *onion, i) ==
              std::make_pair(i, to_u16(FailureCode::incorrect_cltv_expiry)));
    amount = forward->amount_msat;
    cltv = forward->cltv_expiry;
    packet = forward->onion_routing_packet;
  }
}

}  // namespace
}  // namespace fulgur::payment::test
