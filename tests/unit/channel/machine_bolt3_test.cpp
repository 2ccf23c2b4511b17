// The state machine on real BOLT 3 transactions: the commitment a force close hands out and
// the mutual close spend the funding output under lib/bitcoin's interpreter; the HTLC
// signatures of commitment_signed are signatures of the real HTLC transactions (and claim
// from our commitment); corrupted ones fail the channel; fees, trimming and anchors are
// commitment.h's.
#include <algorithm>
#include <functional>
#include <map>

#include "bitcoin/interpreter.h"
#include "channel/sign.h"
#include "machine_harness.h"

namespace fulgur::channel::test {
namespace {

constexpr Sat FUNDING{1000000};

// Does the interpreter accept input `index` of `tx` spending `spent` (bitcoind's mempool
// flags and witness standardness)?
bool accepts(const bitcoin::Transaction& tx, size_t index, const bitcoin::TxOut& spent) {
  auto r = bitcoin::verify_input(tx, index, spent, bitcoin::verify::STANDARD);
  return r.ok() && bitcoin::is_witness_standard(tx.inputs[index], spent.script_pubkey);
}

PublicKey funding_key_of(const Pair& p, int side) {
  // Each side's funding key is the other side's remote funding key.
  return *PublicKey::parse(p.m[1 - side]->state().remote_keys.funding_pubkey.span());
}

bitcoin::TxOut funding_txout(const Pair& p) {
  return funding_output(funding_key_of(p, 0), funding_key_of(p, 1), FUNDING);
}

Bytes p2wpkh(uint8_t b) {
  Bytes s{0x00, 0x14};
  s.resize(22, b);
  return s;
}

// A channel with three HTLCs committed on both sides: A offers 10,000 sat and 600 sat, B
// offers 20,000 sat. At 1000 sat/kw and a 546 sat dust limit, the 600 sat HTLC is trimmed
// without anchors (its second-stage fee is 663 or 703 sat) and kept with anchors.
void with_htlcs(Pair& p) {
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.add(0, Msat(600000), preimage(2));
  p.add(1, Msat(20000000), preimage(3));
  p.commit_and_settle(0);
  p.commit_and_settle(1);
  ASSERT_EQ(p.m[0]->state().local_commit.spec.htlcs.size(), 3u);
  ASSERT_EQ(p.m[1]->state().local_commit.spec.htlcs.size(), 3u);
}

class MachineBolt3 : public ::testing::TestWithParam<ChannelType> {};

TEST_P(MachineBolt3, ForceCloseCommitmentSpendsTheFundingOutput) {
  Pair p(GetParam());
  with_htlcs(p);
  for (int i = 0; i < 2; ++i) {
    auto holder = p.m[i]->holder_commitment();
    ASSERT_TRUE(holder.ok()) << holder.error().message;
    EXPECT_TRUE(accepts(holder->signed_tx, 0, funding_txout(p))) << i;
  }
  auto out = p.m[1]->force_close("test");
  auto txs = all_of<BroadcastTx>(out);
  ASSERT_EQ(txs.size(), 1u);
  ASSERT_EQ(txs[0].kind, TxKind::Commitment);
  auto tx = bitcoin::parse_transaction(txs[0].tx);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(tx->txid(), txs[0].txid);
  EXPECT_EQ(tx->serialize(), txs[0].tx);
  ASSERT_EQ(tx->inputs.size(), 1u);
  EXPECT_EQ(tx->inputs[0].prevout.txid, p.m[1]->state().funding_txid);
  EXPECT_TRUE(accepts(*tx, 0, funding_txout(p)));
  // The two signatures in the other order, or one of them wrong, are refused.
  auto swapped = *tx;
  std::swap(swapped.inputs[0].witness[1], swapped.inputs[0].witness[2]);
  EXPECT_FALSE(accepts(swapped, 0, funding_txout(p)));
  auto wrong_amount = funding_txout(p);
  wrong_amount.amount = Sat(FUNDING.value() - 1);
  EXPECT_FALSE(accepts(*tx, 0, wrong_amount));
  // After a restart the same commitment is handed out again, identical.
  auto restored = ChannelMachine::restore(p.m_cfg[1], p.m_seeds[1], p.durable[1]);
  ASSERT_TRUE(restored.ok());
  auto again = restored->holder_commitment();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->signed_tx.serialize(), txs[0].tx);
}

TEST_P(MachineBolt3, MutualCloseSpendsTheFundingOutput) {
  Pair p(GetParam());
  p.establish();
  p.add(0, Msat(10000000), preimage(1));
  p.commit_and_settle(0);
  p.take(1, *p.m[1]->fulfill_htlc(0, preimage(1)));
  p.commit_and_settle(1);
  p.take(1, *p.m[1]->shutdown(p2wpkh(2)));
  p.deliver_all();
  ASSERT_EQ(p.m[0]->state().phase, Phase::Closed);
  ASSERT_EQ(p.m[1]->state().phase, Phase::Closed);
  Bytes closing[2];
  for (int i = 0; i < 2; ++i) {
    auto it = std::find_if(p.broadcast[i].begin(), p.broadcast[i].end(),
                           [](const BroadcastTx& b) { return b.kind == TxKind::MutualClose; });
    ASSERT_NE(it, p.broadcast[i].end()) << i;
    closing[i] = it->tx;
    auto tx = bitcoin::parse_transaction(it->tx);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(tx->txid(), it->txid);
    EXPECT_TRUE(accepts(*tx, 0, funding_txout(p))) << i;
    // A (the opener) pays the fee; balances rounded down; each to its shutdown script.
    const ChannelState& a = p.m[0]->state();
    Sat fee = *a.closing_fee_sent;
    EXPECT_EQ(it->fee, fee);
    std::map<Bytes, Sat> paid;
    for (const auto& o : tx->outputs) paid[o.script_pubkey.bytes()] = o.amount;
    EXPECT_EQ(paid[a.local_shutdown_script],
              Sat(a.local_commit.spec.to_us.value() / 1000 - fee.value()));
    EXPECT_EQ(paid[p2wpkh(2)], Sat(a.local_commit.spec.to_them.value() / 1000));
    EXPECT_EQ(tx->inputs[0].sequence, 0xffffffffu);
  }
  // Same dust limits on both sides: both hand out the same transaction.
  EXPECT_EQ(closing[0], closing[1]);
  // After a restart the closed channel hands it out again.
  auto restored = ChannelMachine::restore(p.m_cfg[0], p.m_seeds[0], p.durable[0]);
  ASSERT_TRUE(restored.ok());
  auto again = all_of<BroadcastTx>(restored->reconnected());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].tx, closing[0]);
}

// The peer's HTLC signatures we keep are what our HTLC-success and HTLC-timeout
// transactions need: with our own signature (and the preimage) they spend our commitment's
// HTLC outputs under the interpreter.
TEST_P(MachineBolt3, StoredHtlcSignaturesClaimFromOurCommitment) {
  Pair p(GetParam());
  with_htlcs(p);
  for (int i = 0; i < 2; ++i) {
    auto holder = p.m[i]->holder_commitment();
    ASSERT_TRUE(holder.ok());
    size_t untrimmed = GetParam() == ChannelType::Anchors ? 3 : 2;
    ASSERT_EQ(holder->htlc_txs.size(), untrimmed);
    ASSERT_EQ(holder->remote_htlc_signatures.size(), untrimmed);
    EXPECT_EQ(holder->remote_htlc_signatures, p.m[i]->state().local_commit.remote_htlc_signatures);
    auto secrets = derive_channel_secrets(p.m_seeds[i], 0);
    auto local_key = *derive_privkey(secrets.basepoint_secrets.htlc_basepoint_secret,
                                     holder->keys.per_commitment_point);
    uint8_t remote_type = remote_htlc_sighash_type(GetParam());
    std::map<PaymentHash, Preimage> preimages;
    for (uint8_t n : {1, 2, 3}) preimages[hash_of(preimage(n))] = preimage(n);
    for (size_t k = 0; k < holder->htlc_txs.size(); ++k) {
      const HtlcTx& t = holder->htlc_txs[k];
      EXPECT_EQ(t.tx.inputs[0].prevout.txid, holder->signed_tx.txid());
      Bytes remote = with_sighash(*wire::to_crypto_signature(holder->remote_htlc_signatures[k]),
                                  remote_type);
      Bytes local = with_sighash(sign_htlc_tx(t, local_key, SIGHASH_ALL), SIGHASH_ALL);
      bitcoin::Transaction tx = t.tx;
      const Htlc& h = holder->spec.htlcs[t.htlc_index];
      tx.inputs[0].witness =
          t.direction == HtlcDirection::Received
              ? htlc_success_witness(t, remote, local, preimages.at(h.payment_hash))
              : htlc_timeout_witness(t, remote, local);
      const auto& spent = holder->signed_tx.outputs[t.commitment_vout];
      EXPECT_TRUE(accepts(tx, 0, spent)) << i << " " << k;
      // Someone else's signature in the peer's place is refused.
      Bytes forged = with_sighash(sign_htlc_tx(t, local_key, remote_type), remote_type);
      tx.inputs[0].witness[1] = forged;
      EXPECT_FALSE(accepts(tx, 0, spent)) << i << " " << k;
    }
  }
}

// A's HTLC signatures are signatures of B's real HTLC transactions with the channel type's
// sighash; any other signature fails the channel (BOLT 2: "if any htlc_signature is not
// valid for the corresponding HTLC transaction OR non-compliant with LOW-S-standard rule:
// MUST send a warning and close the connection, or send an error and fail the channel").
TEST_P(MachineBolt3, HtlcSignaturesAreOverTheRealHtlcTransactions) {
  // Two identical, deterministic runs: the first tells what B's next commitment is.
  auto run_to_commit = [](Pair& p) -> msg::CommitmentSigned {
    p.establish();
    p.add(0, Msat(10000000), preimage(1));
    p.add(0, Msat(30000000), preimage(2));
    auto c = p.m[0]->commit();
    EXPECT_TRUE(c.ok());
    auto cs = sent<msg::CommitmentSigned>(*c).at(0);
    p.take(0, std::move(*c));
    p.deliver(1);
    p.deliver(1);  // the two adds; the commitment_signed is left in the queue
    return cs;
  };
  Pair honest(GetParam());
  auto cs = run_to_commit(honest);
  ASSERT_EQ(cs.htlc_signature.size(), 2u);
  auto accepted = honest.deliver(1);
  ASSERT_FALSE(accepted.rejected);
  auto holder = honest.m[1]->holder_commitment();
  ASSERT_TRUE(holder.ok());
  ASSERT_EQ(holder->htlc_txs.size(), 2u);
  // A's HTLC key for B's commitment, and the sighash type of the channel type.
  auto a_secrets = derive_channel_secrets(honest.m_seeds[0], 0);
  auto a_htlc_key = *derive_privkey(a_secrets.basepoint_secrets.htlc_basepoint_secret,
                                    holder->keys.per_commitment_point);
  uint8_t type = remote_htlc_sighash_type(GetParam());
  for (size_t k = 0; k < 2; ++k) {
    // RFC 6979: the same key over the same digest gives the same signature.
    EXPECT_EQ(wire::to_wire_signature(sign_htlc_tx(holder->htlc_txs[k], a_htlc_key, type)),
              cs.htlc_signature[k]);
  }

  struct Case {
    const char* name;
    std::function<void(msg::CommitmentSigned&)> corrupt;
  };
  const HtlcTx& first = holder->htlc_txs[0];
  uint8_t other_type = type == SIGHASH_ALL ? SIGHASH_SINGLE_ANYONECANPAY : SIGHASH_ALL;
  std::vector<Case> cases = {
      {"htlc signatures swapped",
       [](auto& m) { std::swap(m.htlc_signature[0], m.htlc_signature[1]); }},
      {"wrong sighash type",
       [&](auto& m) {
         m.htlc_signature[0] = wire::to_wire_signature(sign_htlc_tx(first, a_htlc_key, other_type));
       }},
      {"signed by the funding key",
       [&](auto& m) {
         m.htlc_signature[0] =
             wire::to_wire_signature(sign_htlc_tx(first, a_secrets.funding_secret, type));
       }},
      {"one signature missing", [](auto& m) { m.htlc_signature.pop_back(); }},
      {"high-S",
       [](auto& m) {
         // s -> n - s: the same ECDSA signature, not low-S (bitcoind's standardness).
         auto sig = m.htlc_signature[0];
         static constexpr uint8_t N[32] = {
             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
             0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
             0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
         int borrow = 0;
         for (int b = 31; b >= 0; --b) {
           int v = N[b] - sig.data()[32 + b] - borrow;
           borrow = v < 0;
           sig.data()[32 + b] = static_cast<uint8_t>(v + (borrow ? 256 : 0));
         }
         m.htlc_signature[0] = sig;
       }},
  };
  for (const auto& c : cases) {
    Pair p(GetParam());
    auto bad = run_to_commit(p);
    EXPECT_EQ(bad, cs) << c.name;  // the runs are identical
    c.corrupt(bad);
    auto r = p.m[1]->handle(bad);
    ASSERT_TRUE(r.rejected) << c.name;
    EXPECT_EQ(r.rejected->action, PeerAction::FailChannel) << c.name;
    EXPECT_EQ(sent<msg::Error>(r).size(), 1u) << c.name;
    EXPECT_TRUE(sent<msg::RevokeAndAck>(r).empty()) << c.name;
    // The channel fails with our previous commitment (number 0), fully signed.
    auto txs = all_of<BroadcastTx>(r);
    ASSERT_EQ(txs.size(), 1u) << c.name;
    EXPECT_EQ(txs[0].commitment_number, 0u) << c.name;
    auto tx = bitcoin::parse_transaction(txs[0].tx);
    ASSERT_TRUE(tx.ok());
    EXPECT_TRUE(accepts(*tx, 0, funding_txout(p))) << c.name;
  }
}

// The fee the machine budgets for (opener_fee_for) is the fee of the real transaction, and
// trimming and anchors are commitment.h's, checked against the BOLT 3 formulas by hand.
TEST_P(MachineBolt3, FeeTrimmingAndAnchorsAreBolt3s) {
  ChannelType type = GetParam();
  bool anchors = type == ChannelType::Anchors;
  Pair p(type);
  with_htlcs(p);
  for (int i = 0; i < 2; ++i) {
    const ChannelState& s = p.m[i]->state();
    auto holder = p.m[i]->holder_commitment();
    ASSERT_TRUE(holder.ok());
    size_t anchor_outputs = 0, htlc_outputs = 0;
    for (const auto& o : holder->commitment.outputs) {
      anchor_outputs += o.kind == OutputKind::LocalAnchor || o.kind == OutputKind::RemoteAnchor;
      htlc_outputs += o.kind == OutputKind::OfferedHtlc || o.kind == OutputKind::ReceivedHtlc;
    }
    EXPECT_EQ(anchor_outputs, anchors ? 2u : 0u);
    EXPECT_EQ(htlc_outputs, anchors ? 3u : 2u);  // the 600 sat HTLC is dust without anchors
    // BOLT 3: fee = (724 or 1124 + 172 * untrimmed HTLCs) * feerate_per_kw / 1000.
    Sat base(anchors ? (1124 + 3 * 172) : (724 + 2 * 172));
    EXPECT_EQ(holder->commitment.base_fee, base);
    Sat opener_cost(base.value() + (anchors ? 660 : 0));
    EXPECT_EQ(opener_fee_for(type, s.local_commit.spec, s.local_params.dust_limit, true),
              opener_cost);
    // A opened: its output carries the fee and the anchors; amounts round down.
    const CommitSpec& spec = s.local_commit.spec;
    Msat opener_balance = i == 0 ? spec.to_us : spec.to_them;
    Msat other_balance = i == 0 ? spec.to_them : spec.to_us;
    OutputKind opener_kind = i == 0 ? OutputKind::ToLocal : OutputKind::ToRemote;
    OutputKind other_kind = i == 0 ? OutputKind::ToRemote : OutputKind::ToLocal;
    for (size_t k = 0; k < holder->commitment.outputs.size(); ++k) {
      const auto& value = holder->signed_tx.outputs[k].amount;
      if (holder->commitment.outputs[k].kind == opener_kind) {
        EXPECT_EQ(value, Sat(opener_balance.value() / 1000 - opener_cost.value()));
      } else if (holder->commitment.outputs[k].kind == other_kind) {
        EXPECT_EQ(value, Sat(other_balance.value() / 1000));
      }
    }
    // Everything not in an output is fee: the base fee plus trimmed HTLCs.
    uint64_t total = 0;
    for (const auto& o : holder->signed_tx.outputs) total += o.amount.value();
    EXPECT_EQ(FUNDING.value() - total, holder->commitment.actual_fee.value());
    EXPECT_EQ(holder->commitment.actual_fee.value(), base.value() + (anchors ? 0 : 600));
  }
}

INSTANTIATE_TEST_SUITE_P(BothTypes, MachineBolt3,
                         ::testing::Values(ChannelType::StaticRemoteKey, ChannelType::Anchors));

}  // namespace
}  // namespace fulgur::channel::test
