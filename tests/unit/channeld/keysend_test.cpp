// Keysend as the payer builds it and the payee judges it: a good payment is fulfilled with
// its preimage; every BOLT 4 final-node check fails with the failure code the spec names,
// encrypted so that the payer reads it back; onions that cannot be peeled are malformed.
#include <gtest/gtest.h>

#include "channeld/keysend.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "onion/failure_code.h"
#include "onion/payload.h"
#include "onion/sphinx.h"

using namespace fulgur;
using namespace fulgur::channeld;
using Kind = IncomingDecision::Kind;

namespace {
constexpr uint32_t MIN_FINAL = 18;

Preimage random_preimage() {
  Preimage p;
  crypto::random_bytes(p.mutable_span());
  return p;
}
PaymentHash hash_of(const Preimage& p) { return PaymentHash(crypto::sha256(p.span()).array()); }

struct Built {
  wire::OnionPacket packet;
  std::vector<crypto::Secret32> secrets;
};

// An onion with a hand-made final payload, bound to `hash` (the HTLC's payment_hash).
Built custom_onion(const crypto::PublicKey& dest, const onion::HopPayload& payload,
                   const PaymentHash& hash) {
  onion::OnionHop hop{dest, onion::encode_hop_payload(payload)};
  auto created = onion::create_onion(crypto::SecretKey::random(), std::span(&hop, 1), hash.span());
  EXPECT_TRUE(created.ok());
  return {wire::OnionPacket(created->packet.serialize()), std::move(created->shared_secrets)};
}

class Keysend : public ::testing::Test {
 protected:
  crypto::SecretKey payee = crypto::SecretKey::random();
  Preimage preimage = random_preimage();
  PaymentHash hash = hash_of(preimage);
  PaymentSecret secret{std::array<uint8_t, 32>{7}};
  BlockHeight height{500};
  BlockHeight cltv{540};
  Msat amount{150'000};

  KeysendOnion onion() {
    auto o = make_keysend_onion(payee.public_key(), amount, cltv, preimage, secret,
                                crypto::SecretKey::random());
    EXPECT_TRUE(o.ok());
    return std::move(*o);
  }
  void expect_failure(const IncomingDecision& d, const std::vector<crypto::Secret32>& secrets,
                      onion::FailureCode code) {
    ASSERT_EQ(d.kind, Kind::Fail) << d.why;
    EXPECT_EQ(d.failure_code, onion::to_u16(code));
    auto read = read_failure(secrets, d.failure_packet);
    EXPECT_EQ(read.code, onion::to_u16(code)) << read.text;
    EXPECT_NE(read.text.find(onion::to_string(code)), std::string::npos) << read.text;
  }
};
}  // namespace

TEST_F(Keysend, AGoodPaymentIsFulfilledWithItsPreimage) {
  auto o = onion();
  auto d = decide_incoming(payee, amount, hash, cltv, o.packet.span(), height, MIN_FINAL);
  ASSERT_EQ(d.kind, Kind::Fulfill) << d.why;
  EXPECT_EQ(d.preimage, preimage);
  // Overpaying (and a later expiry) is fine.
  auto more = decide_incoming(payee, Msat(amount.value() + 1), hash, BlockHeight(600),
                              o.packet.span(), height, MIN_FINAL);
  EXPECT_EQ(more.kind, Kind::Fulfill) << more.why;
}

TEST_F(Keysend, APreimageForAnotherHashIsUnknownPaymentDetails) {
  onion::HopPayload p;
  p.amt_to_forward = amount;
  p.outgoing_cltv_value = cltv;
  p.keysend_preimage = random_preimage();  // does not hash to `hash`
  auto o = custom_onion(payee.public_key(), p, hash);
  auto d = decide_incoming(payee, amount, hash, cltv, o.packet.span(), height, MIN_FINAL);
  expect_failure(d, o.secrets, onion::FailureCode::incorrect_or_unknown_payment_details);
}

TEST_F(Keysend, NoPreimageIsUnknownPaymentDetails) {
  onion::HopPayload p;
  p.amt_to_forward = amount;
  p.outgoing_cltv_value = cltv;
  auto o = custom_onion(payee.public_key(), p, hash);
  auto d = decide_incoming(payee, amount, hash, cltv, o.packet.span(), height, MIN_FINAL);
  expect_failure(d, o.secrets, onion::FailureCode::incorrect_or_unknown_payment_details);
}

TEST_F(Keysend, AnExpiryTooCloseIsUnknownPaymentDetails) {
  auto o = onion();
  auto d = decide_incoming(payee, amount, hash, cltv, o.packet.span(),
                           BlockHeight(cltv.value() - MIN_FINAL + 1), MIN_FINAL);
  expect_failure(d, o.shared_secrets, onion::FailureCode::incorrect_or_unknown_payment_details);
}

TEST_F(Keysend, AnHtlcBelowTheOnionsAmountIsFinalIncorrectHtlcAmount) {
  auto o = onion();
  auto d = decide_incoming(payee, Msat(amount.value() - 1), hash, cltv, o.packet.span(), height,
                           MIN_FINAL);
  expect_failure(d, o.shared_secrets, onion::FailureCode::final_incorrect_htlc_amount);
}

TEST_F(Keysend, AnHtlcExpiringBeforeTheOnionsValueIsFinalIncorrectCltvExpiry) {
  auto o = onion();
  auto d = decide_incoming(payee, amount, hash, BlockHeight(cltv.value() - 1), o.packet.span(),
                           height, MIN_FINAL);
  expect_failure(d, o.shared_secrets, onion::FailureCode::final_incorrect_cltv_expiry);
}

TEST_F(Keysend, AMultiPartTotalIsRefused) {
  onion::HopPayload p;
  p.amt_to_forward = amount;
  p.outgoing_cltv_value = cltv;
  p.payment_data = onion::PaymentData{secret, Msat(amount.value() * 2)};
  p.keysend_preimage = preimage;
  auto o = custom_onion(payee.public_key(), p, hash);
  auto d = decide_incoming(payee, amount, hash, cltv, o.packet.span(), height, MIN_FINAL);
  expect_failure(d, o.secrets, onion::FailureCode::incorrect_or_unknown_payment_details);
}

TEST_F(Keysend, AnOnionForAnotherHopIsUnknownNextPeer) {
  // We are the first of two hops: this node forwards nothing.
  onion::HopPayload forward;
  forward.amt_to_forward = amount;
  forward.outgoing_cltv_value = cltv;
  forward.short_channel_id = ShortChannelId(1);
  onion::HopPayload last;
  last.amt_to_forward = amount;
  last.outgoing_cltv_value = cltv;
  std::vector<onion::OnionHop> hops{{payee.public_key(), onion::encode_hop_payload(forward)},
                                    {crypto::SecretKey::random().public_key(),
                                     onion::encode_hop_payload(last)}};
  auto created = onion::create_onion(crypto::SecretKey::random(), hops, hash.span());
  ASSERT_TRUE(created.ok());
  auto packet = created->packet.serialize();
  auto d = decide_incoming(payee, amount, hash, cltv, packet, height, MIN_FINAL);
  expect_failure(d, created->shared_secrets, onion::FailureCode::unknown_next_peer);
}

TEST_F(Keysend, AnOnionThatCannotBePeeledIsMalformed) {
  auto o = onion();
  // Another payment hash: the HMAC over the associated data does not match.
  Preimage other = random_preimage();
  auto d = decide_incoming(payee, amount, hash_of(other), cltv, o.packet.span(), height, MIN_FINAL);
  ASSERT_EQ(d.kind, Kind::FailMalformed);
  EXPECT_NE(d.failure_code & onion::BADONION, 0);
  // Garbage, and the wrong size.
  Bytes garbage(wire::ONION_PACKET_SIZE, 0x5a);
  garbage[0] = 0;
  d = decide_incoming(payee, amount, hash, cltv, garbage, height, MIN_FINAL);
  ASSERT_EQ(d.kind, Kind::FailMalformed);
  EXPECT_NE(d.failure_code & onion::BADONION, 0);
  d = decide_incoming(payee, amount, hash, cltv, Bytes(10, 1), height, MIN_FINAL);
  ASSERT_EQ(d.kind, Kind::FailMalformed);
  EXPECT_NE(d.failure_code & onion::BADONION, 0);
  // Someone else's node key cannot peel it either.
  d = decide_incoming(crypto::SecretKey::random(), amount, hash, cltv, o.packet.span(), height,
                      MIN_FINAL);
  EXPECT_EQ(d.kind, Kind::FailMalformed);
}

TEST_F(Keysend, AFailureIsUnreadableWithoutTheSecrets) {
  onion::HopPayload p;
  p.amt_to_forward = amount;
  p.outgoing_cltv_value = cltv;
  auto o = custom_onion(payee.public_key(), p, hash);
  auto d = decide_incoming(payee, amount, hash, cltv, o.packet.span(), height, MIN_FINAL);
  ASSERT_EQ(d.kind, Kind::Fail);
  EXPECT_EQ(read_failure({}, d.failure_packet).code, 0);
  std::vector<crypto::Secret32> wrong;
  wrong.push_back(crypto::random_secret<32>());
  EXPECT_EQ(read_failure(wrong, d.failure_packet).code, 0);
  EXPECT_EQ(read_failure(o.secrets, Bytes(10, 1)).code, 0);
}
