// Test harness for lib/payment: deterministic keys, channel ids and signed channel_updates,
// and a line of three nodes A -> B -> C with real keys and real onions. A pays (payment
// tracker), B forwards (switch + forward tracker), C receives (switch + invoice registry).
// HTLCs are moved between the nodes by hand, as the channel daemons would after each HTLC
// is irrevocably committed; every resolution travels back the same way.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "invoice/invoice.h"
#include "onion/failure.h"
#include "payment/forwards.h"
#include "payment/htlc_switch.h"
#include "payment/payments.h"
#include "payment/registry.h"
#include "wire/messages.h"

namespace fulgur::payment::test {

inline crypto::SecretKey key_from_seed(uint64_t seed) {
  std::array<uint8_t, 32> bytes{};
  for (size_t i = 0; i < 8; ++i) bytes[i + 1] = static_cast<uint8_t>(seed >> (8 * i));
  bytes[31] = 1;  // never zero, always below the group order
  return std::move(crypto::SecretKey::from_bytes(bytes)).value();
}

inline ChannelId channel_id_of(uint8_t n) {
  std::array<uint8_t, 32> bytes{};
  bytes.fill(n);
  return ChannelId(bytes);
}

template <typename Fixed>
Fixed filled(uint8_t byte) {
  std::array<uint8_t, Fixed::SIZE> bytes{};
  bytes.fill(byte);
  return Fixed(bytes);
}

// A channel_update for `scid` with `policy`, signed by `key`, with its 0x0102 type.
inline Bytes channel_update_for(const crypto::SecretKey& key, ShortChannelId scid,
                                const ForwardingPolicy& policy, uint8_t channel_flags = 0) {
  wire::msg::ChannelUpdate update;
  update.chain_hash = wire::regtest_chain_hash();
  update.short_channel_id = scid;
  update.timestamp = 1700000000;
  update.message_flags = 1;  // htlc_maximum_msat present
  update.channel_flags = channel_flags;
  update.cltv_expiry_delta = policy.cltv_expiry_delta;
  update.htlc_minimum_msat = policy.htlc_minimum_msat;
  update.fee_base_msat = policy.fee_base_msat;
  update.fee_proportional_millionths = policy.fee_proportional_millionths;
  update.htlc_maximum_msat = Msat(std::min<uint64_t>(policy.htlc_maximum_msat.value(), 1'000'000'000));
  Bytes unsigned_part = wire::encode_message(update);
  // BOLT 7: the signature covers the double-SHA256 of the message after the signature.
  ByteSpan signed_part = ByteSpan(unsigned_part).subspan(2 + 64);
  update.signature = wire::to_wire_signature(crypto::sign(key, crypto::sha256d(signed_part)));
  return wire::encode_message(update);
}

inline OutgoingChannel outgoing_channel(const ChannelId& id, ShortChannelId scid, const NodeId& peer,
                                        const Bytes& channel_update) {
  OutgoingChannel channel;
  channel.channel_id = id;
  channel.short_channel_id = scid;
  channel.peer = peer;
  channel.peer_connected = true;
  channel.usable = true;
  channel.htlc_minimum_msat = Msat(1);
  channel.available_msat = Msat(10'000'000'000);
  channel.channel_update = channel_update;
  return channel;
}

// What the origin learned about one attempt.
struct Outcome {
  PaymentState state = PaymentState::pending;
  std::optional<Preimage> preimage;
  std::optional<PaymentFailure> failure;
  std::optional<onion::FailureMessage> message;  // the decoded failure, when there is one
};

class Line {
 public:
  static constexpr uint32_t START_HEIGHT = 800000;

  crypto::SecretKey a_key = key_from_seed(0xA);
  crypto::SecretKey b_key = key_from_seed(0xB);
  crypto::SecretKey c_key = key_from_seed(0xC);
  NodeId a = a_key.public_key().node_id();
  NodeId b = b_key.public_key().node_id();
  NodeId c = c_key.public_key().node_id();
  ChannelId ab_id = channel_id_of(0xAB);
  ChannelId bc_id = channel_id_of(0xBC);
  ShortChannelId ab_scid = *ShortChannelId::from_parts(700000, 1, 0);
  ShortChannelId bc_scid = *ShortChannelId::from_parts(700001, 2, 1);

  ForwardingPolicy b_policy{Msat(1000), 100, CltvDelta(40), Msat(1), Msat::max()};
  SwitchConfig b_config;
  ChannelTable b_channels;
  ForwardTracker b_forwards;
  InvoiceRegistry c_registry{RegistryConfig{"bcrt"}};
  PaymentTracker a_payments;

  BlockHeight a_height{START_HEIGHT};
  BlockHeight b_height{START_HEIGHT};
  BlockHeight c_height{START_HEIGHT};
  uint64_t now = 1700000000;
  uint64_t next_ab_htlc = 0;
  uint64_t next_bc_htlc = 0;
  uint64_t next_session = 1;
  // Set to corrupt the onion B forwards to C (one byte of hop_payloads flipped).
  bool corrupt_b_to_c = false;

  Line() {
    b_config.policy = b_policy;
    b_channels.upsert(outgoing_channel(bc_id, bc_scid, c, b_update()));
  }

  Bytes b_update() const { return channel_update_for(b_key, bc_scid, b_policy); }

  // A's route to C as A believes the graph is: B's policy on B -> C unless told otherwise.
  std::vector<RouteHop> route_to_c(std::optional<ForwardingPolicy> believed = std::nullopt,
                                   std::optional<ShortChannelId> second_scid = std::nullopt) const {
    const ForwardingPolicy& p = believed ? *believed : b_policy;
    return {RouteHop{b, ab_scid},
            RouteHop{c, second_scid.value_or(bc_scid), p.fee_base_msat,
                     p.fee_proportional_millionths, p.cltv_expiry_delta, p.htlc_minimum_msat,
                     p.htlc_maximum_msat}};
  }

  crypto::SecretKey session_key() { return key_from_seed(0x5E55'0000 + next_session++); }

  CreatedInvoice create_invoice(std::optional<Msat> amount, uint8_t entropy_byte,
                                CltvDelta min_final = CltvDelta(18)) {
    InvoiceRequest request;
    request.amount_msat = amount;
    request.description = "coffee";
    request.min_final_cltv_expiry_delta = min_final;
    auto created = c_registry.create(
        request, InvoiceEntropy{filled<Preimage>(entropy_byte), filled<PaymentSecret>(entropy_byte ^ 0xff)},
        c_key, now);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return std::move(created).value();
  }

  static invoice::Invoice decode(const std::string& bolt11) {
    auto decoded = invoice::decode_invoice(bolt11);
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
    return std::move(decoded).value();
  }

  // A offers `prepared` on A -> B; B decides; the HTLC travels on as far as it goes, and
  // every resolution comes back. Returns the HTLC key of A's attempt.
  HtlcKey send(PreparedPayment prepared) {
    const OutgoingHtlc htlc = prepared.htlc;
    EXPECT_EQ(htlc.short_channel_id, ab_scid);
    EXPECT_EQ(htlc.first_hop, b);
    HtlcKey ab{ab_id, next_ab_htlc++};
    auto sent = a_payments.sent(std::move(prepared), ab);
    EXPECT_TRUE(sent.ok());
    Decision at_b = decide_incoming(
        IncomingHtlc{ab, htlc.amount_msat, htlc.payment_hash, htlc.cltv_expiry,
                     htlc.onion_routing_packet},
        b_key, b_channels, b_config, b_height);
    std::visit([&](auto& d) { at_b_decided(ab, d); }, at_b);
    return ab;
  }

  Outcome outcome(const HtlcKey& ab) const {
    const PaymentRecord* record = a_payments.find(ab);
    EXPECT_NE(record, nullptr);
    Outcome out;
    if (record == nullptr) return out;
    out.state = record->state;
    out.preimage = record->payment_preimage;
    out.failure = record->failure;
    if (record->failure && !record->failure->failure_message.empty()) {
      auto decoded = onion::decode_failure_message(record->failure->failure_message);
      if (decoded) out.message = *decoded;
    }
    return out;
  }

  // C's later decisions (MPP timeouts, blocks) travel back through B to A.
  void deliver_from_c(const std::vector<Resolution>& resolutions) {
    for (const auto& resolution : resolutions) {
      std::visit([&](const auto& r) { back_from_c(r); }, resolution);
    }
  }

  size_t forwards_seen = 0;
  size_t finals_seen = 0;

 private:
  void at_b_decided(const HtlcKey&, Forward& forward) {
    ++forwards_seen;
    EXPECT_EQ(forward.outgoing_channel_id, bc_id);
    HtlcKey bc{bc_id, next_bc_htlc++};
    auto recorded = b_forwards.add(forward, bc.htlc_id, now);
    ASSERT_TRUE(recorded.ok());
    Bytes onion = forward.onion_routing_packet;
    if (corrupt_b_to_c) onion[100] ^= 0x01;
    Decision at_c = decide_incoming(
        IncomingHtlc{bc, forward.amount_msat, forward.payment_hash, forward.cltv_expiry, onion},
        c_key, ChannelTable{}, SwitchConfig{}, c_height);
    std::visit([&](auto& d) { at_c_decided(d); }, at_c);
  }
  void at_b_decided(const HtlcKey& ab, Fail& failure) {
    EXPECT_EQ(failure.htlc, ab);
    auto result = a_payments.on_failed(ab, failure.reason, now);
    EXPECT_TRUE(result.ok());
  }
  void at_b_decided(const HtlcKey& ab, FailMalformed& malformed) {
    EXPECT_EQ(malformed.htlc, ab);
    auto result = a_payments.on_malformed(ab, malformed.failure_code, malformed.sha256_of_onion, now);
    EXPECT_TRUE(result.ok());
  }
  void at_b_decided(const HtlcKey&, FinalHtlc&) { ADD_FAILURE() << "B is not the final hop"; }

  void at_c_decided(FinalHtlc& final_htlc) {
    ++finals_seen;
    RegistryOutput out = c_registry.on_htlc(std::move(final_htlc), c_height, now);
    deliver_from_c(out.resolutions);
  }
  void at_c_decided(Fail& failure) { back_from_c(failure); }
  void at_c_decided(FailMalformed& malformed) { back_from_c(malformed); }
  void at_c_decided(Forward&) { ADD_FAILURE() << "C has no channel to forward on"; }

  void back_from_c(const Fulfill& fulfill) {
    auto out = b_forwards.on_fulfilled(fulfill.htlc, fulfill.payment_preimage, now);
    ASSERT_TRUE(out.ok()) << out.error().message;
    back_to_a(out->resolutions);
  }
  void back_from_c(const Fail& failure) {
    auto out = b_forwards.on_failed(failure.htlc, failure.reason, now);
    ASSERT_TRUE(out.ok()) << out.error().message;
    back_to_a(out->resolutions);
  }
  void back_from_c(const FailMalformed& malformed) {
    auto out = b_forwards.on_malformed(malformed.htlc, malformed.failure_code,
                                       malformed.sha256_of_onion, now);
    ASSERT_TRUE(out.ok()) << out.error().message;
    back_to_a(out->resolutions);
  }
  void back_to_a(const std::vector<Resolution>& resolutions) {
    ASSERT_EQ(resolutions.size(), 1u);
    if (const auto* fulfill = std::get_if<Fulfill>(&resolutions[0])) {
      EXPECT_TRUE(a_payments.on_fulfilled(fulfill->htlc, fulfill->payment_preimage, now).ok());
    } else if (const auto* failure = std::get_if<Fail>(&resolutions[0])) {
      EXPECT_TRUE(a_payments.on_failed(failure->htlc, failure->reason, now).ok());
    } else {
      ADD_FAILURE() << "B never fails an incoming HTLC as malformed after forwarding it";
    }
  }
};

}  // namespace fulgur::payment::test
