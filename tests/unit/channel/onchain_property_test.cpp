// Property: for any channel type, any mix of HTLCs (trimmed or not, either direction, with or
// without our preimage, any expiry), any close (ours, the peer's, a revoked one) and with or
// without a restart after every block, the resolver finishes, every transaction it hands out
// is accepted by l1sim when it hands it out, and what reaches our sweep script plus the fees
// of our sweeps is exactly what the commitment gives us (BOLT 3's second-stage fees aside).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "onchain_harness.h"

using namespace fulgur;
using namespace fulgur::channel;
using namespace fulgur::channel::onchain;
using namespace fulgur::channel::onchain::test;

namespace {
enum class Close { Ours, Theirs, Revoked };

// Fees of our confirmed sweeps and penalties; false if one pays less than the feerate it was
// built for, or was built for more than the feerate given (a small output is swept at the
// highest feerate it can pay).
std::pair<uint64_t, bool> sweep_fees(const TestChain& chain, Driver& d, FeeratePerKw rate) {
  uint64_t fees = 0;
  bool ok = true;
  for (const auto& b : d.broadcasts) {
    if (b.kind != ClaimKind::Sweep && b.kind != ClaimKind::Penalty) continue;
    if (!chain.chain.find_tx(b.tx.txid())) continue;
    uint64_t in = 0, out = 0;
    for (const auto& i : b.tx.inputs) in += chain.output(i.prevout)->amount.value();
    for (const auto& o : b.tx.outputs) out += o.amount.value();
    std::optional<FeeratePerKw> built;
    for (const auto& c : d.r().claims()) {
      if (c.tx.txid() == b.tx.txid()) built = c.feerate;
    }
    // At least the feerate for the real weight, but for fee_for_weight's rounding down.
    ok = ok && built && *built <= rate && in >= out &&
         (in - out + 1) * 1000 > built->value() * b.tx.weight();
    fees += in - out;
  }
  return {fees, ok};
}
}  // namespace

RC_GTEST_PROP(OnchainProperties, EveryCloseResolvesToWhatIsOurs, ()) {
  ChannelType type = *rc::gen::element(ChannelType::StaticRemoteKey, ChannelType::Anchors);
  Close close = *rc::gen::element(Close::Ours, Close::Theirs, Close::Revoked);
  bool restart = *rc::gen::arbitrary<bool>();
  size_t count = *rc::gen::inRange<size_t>(0, 6);
  TestChain chain;
  TestChannel ch(type, chain);
  uint32_t h0 = chain.height();
  std::vector<onchain::Htlc> hs;
  std::vector<bool> known;
  for (size_t i = 0; i < count; ++i) {
    bool ours = *rc::gen::arbitrary<bool>();
    uint64_t sat = *rc::gen::inRange<uint64_t>(500, 90'000);
    uint32_t cltv = h0 + *rc::gen::inRange<uint32_t>(1, 40);
    hs.push_back(htlc(ours, i, sat, preimage_of(static_cast<uint8_t>(10 + i)), cltv));
    known.push_back(!ours && *rc::gen::arbitrary<bool>());
  }
  uint64_t to_them = *rc::gen::inRange<uint64_t>(0, 400'000);
  Config config;
  config.safe_depth = 2;
  config.final_depth = 10;
  FeeratePerKw rate(*rc::gen::inRange<uint32_t>(253, 5000));

  uint64_t number = close == Close::Revoked ? 3 : 5;
  Commitment c = ch.commitment(number, to_them, hs);
  Driver d(chain, ch, ch.snapshot(c, c), config);
  d.restart_every_block = restart;
  d.handle(d.r().on_feerate(rate));
  for (size_t i = 0; i < hs.size(); ++i) {
    if (known[i]) d.handle(d.r().on_preimage(preimage_of(static_cast<uint8_t>(10 + i))));
  }
  if (close == Close::Revoked) {
    Commitment now = ch.commitment(6, to_them / 2, {});
    d.handle(d.r().update(ch.snapshot(now, now)));
  }
  bool holder_a = close == Close::Ours;
  Transaction commitment = ch.signed_commitment(holder_a, c);
  if (holder_a) {
    d.handle(d.r().local_commitment_broadcast(commitment));
  } else {
    RC_ASSERT(chain.accept(commitment) == "accepted");
  }
  d.run_to_end(300);
  RC_ASSERT(d.finished());
  RC_ASSERT(d.rejects.empty());

  // What the commitment gives us, output by output.
  CommitmentTx built = ch.built(holder_a, c);
  uint64_t expected = 0;
  for (size_t i = 0; i < built.outputs.size(); ++i) {
    const CommitmentOutput& o = built.outputs[i];
    uint64_t amount = built.tx.outputs[i].amount.value();
    if (close == Close::Revoked) {
      if (o.kind != OutputKind::LocalAnchor && o.kind != OutputKind::RemoteAnchor) {
        expected += amount;
      }
      continue;
    }
    switch (o.kind) {
      case OutputKind::ToLocal:
        if (holder_a) expected += amount;
        break;
      case OutputKind::ToRemote:
        if (!holder_a) expected += amount;
        break;
      case OutputKind::OfferedHtlc:
      case OutputKind::ReceivedHtlc: {
        const onchain::Htlc& h = c.htlcs[o.htlc_index];
        bool win = h.offered_by_us || known[o.htlc_index];
        if (!win) break;
        expected += amount;
        if (holder_a) {
          expected -= htlc_tx_fee(type, h.offered_by_us ? HtlcDirection::Offered
                                                        : HtlcDirection::Received,
                                  c.feerate)
                          .value();
        }
        break;
      }
      case OutputKind::LocalAnchor:
      case OutputKind::RemoteAnchor:
        break;
    }
  }
  auto [fees, fees_ok] = sweep_fees(chain, d, rate);
  RC_ASSERT(fees_ok);
  RC_ASSERT(d.swept().value() + fees == expected);
  // Every pending HTLC we offered is failed upstream (the peer never reveals a preimage here).
  for (const auto& h : hs) {
    if (!h.offered_by_us || close == Close::Revoked) continue;
    bool reported = false;
    for (const auto& e : d.events_of<event::HtlcTimedOut>()) {
      reported = reported || (e.htlc.offered_by_us && e.htlc.id == h.id);
    }
    RC_ASSERT(reported);
  }
}
