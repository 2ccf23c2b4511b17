// Properties of commitment and closing transactions over random channels: money is
// conserved, trimming and anchors follow BOLT 3, and outputs are in BIP 69 + CLTV order.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "channel/commitment.h"
#include "channel/htlc_tx.h"

using namespace fulgur;
using namespace fulgur::channel;

namespace {
CommitmentKeys random_keys() {
  auto k = [] { return SecretKey::random().public_key(); };
  return CommitmentKeys{k(), k(), k(), k(), k(), k()};
}
}  // namespace

RC_GTEST_PROP(CommitmentProperties, ConservesMoneyTrimsAndOrders, ()) {
  ChannelType type = *rc::gen::element(ChannelType::StaticRemoteKey, ChannelType::Anchors);
  uint64_t funding_sat = *rc::gen::inRange<uint64_t>(20'000, 100'000'000);
  auto htlc_count = *rc::gen::inRange<size_t>(0, 30);
  std::vector<Htlc> htlcs;
  uint64_t htlc_total = 0;
  for (size_t i = 0; i < htlc_count; ++i) {
    Htlc h;
    h.direction = *rc::gen::element(HtlcDirection::Offered, HtlcDirection::Received);
    h.amount = Msat(*rc::gen::inRange<uint64_t>(1, funding_sat * 1000 / (4 * htlc_count + 1)));
    h.payment_hash.data()[0] = static_cast<uint8_t>(*rc::gen::inRange(0, 3));  // collisions
    h.cltv_expiry = *rc::gen::inRange<uint32_t>(500, 505);
    htlc_total += h.amount.value();
    htlcs.push_back(h);
  }
  uint64_t rest = funding_sat * 1000 - htlc_total;
  uint64_t to_local = *rc::gen::inRange<uint64_t>(0, rest + 1);
  CommitmentSpec spec{
      .type = type,
      .funding_outpoint = {},
      .funding_amount = Sat(funding_sat),
      .local_funding_pubkey = SecretKey::random().public_key(),
      .remote_funding_pubkey = SecretKey::random().public_key(),
      .local_is_opener = *rc::gen::arbitrary<bool>(),
      .commitment_number = *rc::gen::inRange<uint64_t>(0, MAX_COMMITMENT_NUMBER),
      .obscuring_factor = 0x2bb038521914,
      .to_self_delay = CltvDelta(144),
      .dust_limit = Sat(*rc::gen::inRange<uint64_t>(354, 5000)),
      .feerate = FeeratePerKw(*rc::gen::inRange<uint32_t>(253, 50'000)),
      .to_local = Msat(to_local),
      .to_remote = Msat(rest - to_local),
      .htlcs = htlcs,
  };
  auto keys = random_keys();
  auto c = build_commitment_tx(spec, keys);
  RC_ASSERT(c.ok());
  uint64_t out_total = 0;
  for (const auto& o : c->tx.outputs) out_total += o.amount.value();
  RC_ASSERT(out_total + c->actual_fee.value() == funding_sat);

  size_t untrimmed = 0;
  for (const auto& h : htlcs) untrimmed += is_trimmed(type, h, spec.feerate, spec.dust_limit) ? 0 : 1;
  RC_ASSERT(htlc_output_indexes(*c).size() == untrimmed);
  RC_ASSERT(c->base_fee == commitment_fee(type, spec.feerate, untrimmed));

  for (size_t i = 1; i < c->tx.outputs.size(); ++i) {
    const auto& a = c->tx.outputs[i - 1];
    const auto& b = c->tx.outputs[i];
    RC_ASSERT(a.amount <= b.amount);
    if (a.amount == b.amount) RC_ASSERT(a.script_pubkey.bytes() <= b.script_pubkey.bytes());
    if (a.amount == b.amount && a.script_pubkey == b.script_pubkey) {
      RC_ASSERT(spec.htlcs[c->outputs[i - 1].htlc_index].cltv_expiry <=
                spec.htlcs[c->outputs[i].htlc_index].cltv_expiry);
    }
  }
  for (const auto& o : c->tx.outputs) RC_ASSERT(o.amount >= Sat(330));

  size_t anchors = 0;
  bool has_local = false, has_remote = false;
  for (const auto& o : c->outputs) {
    anchors += o.kind == OutputKind::LocalAnchor || o.kind == OutputKind::RemoteAnchor;
    has_local |= o.kind == OutputKind::ToLocal;
    has_remote |= o.kind == OutputKind::ToRemote;
  }
  if (type == ChannelType::StaticRemoteKey) {
    RC_ASSERT(anchors == 0u);
  } else {
    size_t want = untrimmed > 0 ? 2 : size_t(has_local) + size_t(has_remote);
    RC_ASSERT(anchors == want);
  }

  auto htlc_txs = build_htlc_txs(spec, *c, keys);
  RC_ASSERT(htlc_txs.ok());
  RC_ASSERT(htlc_txs->size() == untrimmed);
  for (const auto& t : *htlc_txs) {
    RC_ASSERT(t.tx.outputs[0].amount.value() + htlc_tx_fee(type, t.direction, spec.feerate).value() ==
              t.input_amount.value());
  }
}

TEST(Commitment, RejectsBalancesThatDoNotAddUp) {
  CommitmentSpec spec{
      .type = ChannelType::StaticRemoteKey,
      .funding_outpoint = {},
      .funding_amount = Sat(100'000),
      .local_funding_pubkey = SecretKey::random().public_key(),
      .remote_funding_pubkey = SecretKey::random().public_key(),
      .local_is_opener = true,
      .commitment_number = 1,
      .obscuring_factor = 0,
      .to_self_delay = CltvDelta(144),
      .dust_limit = Sat(546),
      .feerate = FeeratePerKw(253),
      .to_local = Msat(60'000'000),
      .to_remote = Msat(40'000'001),
      .htlcs = {},
  };
  CommitmentKeys keys = random_keys();
  EXPECT_FALSE(build_commitment_tx(spec, keys).ok());
  spec.to_remote = Msat(40'000'000);
  EXPECT_TRUE(build_commitment_tx(spec, keys).ok());
  spec.commitment_number = MAX_COMMITMENT_NUMBER + 1;
  EXPECT_FALSE(build_commitment_tx(spec, keys).ok());
}

TEST(ClosingTx, FunderPaysFeeDustRemovedAndSorted) {
  Script a = Script(Bytes{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
  Script b = Script(Bytes{0x00, 0x14, 9, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
  ClosingSpec spec{.funding_outpoint = {},
                   .funding_amount = Sat(100'000),
                   .to_local = Msat(70'000'500),
                   .to_remote = Msat(29'999'500),
                   .local_is_opener = true,
                   .fee = Sat(1'000),
                   .dust_limit = Sat(546),
                   .local_scriptpubkey = a,
                   .remote_scriptpubkey = b,
                   .omit_local = false};
  auto tx = build_closing_tx(spec);
  ASSERT_TRUE(tx.ok());
  ASSERT_EQ(tx->outputs.size(), 2u);
  EXPECT_EQ(tx->outputs[0].amount, Sat(29'999));  // rounded down, smaller first
  EXPECT_EQ(tx->outputs[0].script_pubkey, b);
  EXPECT_EQ(tx->outputs[1].amount, Sat(69'000));  // 70'000 minus the fee
  EXPECT_EQ(tx->inputs[0].sequence, 0xffffffffu);
  EXPECT_EQ(tx->locktime, 0u);
  EXPECT_EQ(tx->version, 2);

  spec.local_is_opener = false;  // the remote pays
  tx = build_closing_tx(spec);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(tx->outputs[0].amount, Sat(28'999));

  spec.to_local = Msat(99'500'000);  // remote's 500 sat is dust
  spec.to_remote = Msat(500'000);
  spec.local_is_opener = true;
  tx = build_closing_tx(spec);
  ASSERT_TRUE(tx.ok());
  ASSERT_EQ(tx->outputs.size(), 1u);
  EXPECT_EQ(tx->outputs[0].script_pubkey, a);

  spec.omit_local = true;
  tx = build_closing_tx(spec);
  ASSERT_TRUE(tx.ok());
  EXPECT_TRUE(tx->outputs.empty());

  spec.fee = Sat(200'000);
  EXPECT_FALSE(build_closing_tx(spec).ok());
}
