// BOLT 5: every script path of every output this library creates is spent by a transaction
// built here and checked by lib/bitcoin's segwit v0 interpreter; the same spends with a wrong
// key, a wrong preimage or a too-early lock are rejected. Both channel types.
#include <gtest/gtest.h>

#include "bitcoin/interpreter.h"
#include "channel/keys.h"
#include "channel/sign.h"
#include "channel/spends.h"
#include "crypto/hash.h"

using namespace fulgur;
using namespace fulgur::channel;

namespace {
crypto::Secret32 secret_from(const SecretKey& k) { return crypto::Secret32(k.expose()); }

// Does the interpreter accept input `index` of `tx` spending `spent`, under bitcoind's
// standard (mempool) flags and witness standardness?
bool accepts(const bitcoin::Transaction& tx, size_t index, const bitcoin::TxOut& spent) {
  auto r = bitcoin::verify_input(tx, index, spent, bitcoin::verify::STANDARD);
  return r.ok() && bitcoin::is_witness_standard(tx.inputs[index], spent.script_pubkey);
}

Preimage preimage_of(uint8_t b) {
  Preimage p;
  p.mutable_span()[0] = b;
  p.mutable_span()[31] = 0x42;
  return p;
}
PaymentHash hash_of(const Preimage& p) {
  return PaymentHash(crypto::sha256(p.span()).array());
}

// Both sides of one channel and the local commitment at one commitment number.
struct Channel {
  ChannelType type;
  BasepointSecrets local{SecretKey::random(), SecretKey::random(), SecretKey::random(),
                         SecretKey::random()};
  BasepointSecrets remote{SecretKey::random(), SecretKey::random(), SecretKey::random(),
                          SecretKey::random()};
  SecretKey local_funding = SecretKey::random();
  SecretKey remote_funding = SecretKey::random();
  SecretKey per_commitment_key = SecretKey::random();
  CommitmentKeys keys;
  CommitmentSpec spec;
  CommitmentTx commitment;
  bitcoin::TxOut funding_output;
  Script destination = bitcoin::p2wpkh(crypto::hash160(SecretKey::random().public_key().serialize()));

  explicit Channel(ChannelType t)
      : type(t),
        keys(*derive_commitment_keys(per_commitment_key.public_key(), local.basepoints(),
                                     remote.basepoints())),
        spec{.type = t,
             .funding_outpoint = {Txid(crypto::sha256(as_bytes("funding")).array()), 1},
             .funding_amount = Sat(1'000'000),
             .local_funding_pubkey = local_funding.public_key(),
             .remote_funding_pubkey = remote_funding.public_key(),
             .local_is_opener = true,
             .commitment_number = 7,
             .obscuring_factor = obscuring_factor(local.basepoints().payment_basepoint,
                                                  remote.basepoints().payment_basepoint),
             .to_self_delay = CltvDelta(144),
             .dust_limit = Sat(546),
             .feerate = FeeratePerKw(1000),
             .to_local = Msat(0),
             .to_remote = Msat(300'000'000),
             .htlcs = {}} {
    // Several HTLCs in both directions, distinct preimages.
    const std::pair<HtlcDirection, uint64_t> htlcs[] = {
        {HtlcDirection::Offered, 50'000'000},  {HtlcDirection::Received, 60'000'000},
        {HtlcDirection::Offered, 70'000'000},  {HtlcDirection::Received, 80'000'000},
        {HtlcDirection::Received, 20'000'000}};
    uint64_t used = 0;
    uint8_t n = 1;
    for (const auto& [dir, msat] : htlcs) {
      spec.htlcs.push_back(Htlc{dir, Msat(msat), hash_of(preimage_of(n)), 600'000u + n});
      used += msat;
      ++n;
    }
    spec.to_local = Msat(1'000'000'000 - 300'000'000 - used);
    commitment = *build_commitment_tx(spec, keys);
    funding_output = {spec.funding_amount, bitcoin::p2wsh_for_script(commitment.funding_witness_script)};
  }

  SecretKey local_delayed_privkey() const {
    return *derive_privkey(local.delayed_payment_basepoint_secret, keys.per_commitment_point);
  }
  SecretKey local_htlc_privkey() const {
    return *derive_privkey(local.htlc_basepoint_secret, keys.per_commitment_point);
  }
  SecretKey remote_htlc_privkey() const {
    return *derive_privkey(remote.htlc_basepoint_secret, keys.per_commitment_point);
  }
  SecretKey revocation_privkey() const {
    return *derive_revocation_privkey(remote.revocation_basepoint_secret,
                                      secret_from(per_commitment_key));
  }
  size_t output_of(OutputKind kind, size_t nth = 0) const {
    for (size_t i = 0; i < commitment.outputs.size(); ++i) {
      if (commitment.outputs[i].kind == kind && nth-- == 0) return i;
    }
    ADD_FAILURE() << "no such output";
    return 0;
  }
  bitcoin::OutPoint outpoint(size_t vout) const {
    return {commitment.tx.txid(), static_cast<uint32_t>(vout)};
  }
  const bitcoin::TxOut& out(size_t vout) const { return commitment.tx.outputs[vout]; }
  const Script& script(size_t vout) const { return commitment.outputs[vout].witness_script; }
  const Htlc& htlc_at(size_t vout) const { return spec.htlcs[commitment.outputs[vout].htlc_index]; }

  // A one-input sweep of `in`, signed with `key`.
  bitcoin::Transaction sweep(SweepInput in, const SecretKey* key) const {
    auto s = build_sweep_tx({std::move(in)}, destination, FeeratePerKw(1000));
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(sign_sweep_input(*s, 0, key).ok());
    return s->tx;
  }
  // The signed HTLC transaction for commitment output `vout` (both signatures).
  bitcoin::Transaction signed_htlc_tx(const HtlcTx& t, const Preimage& preimage) const {
    uint8_t remote_type = remote_htlc_sighash_type(type);
    Bytes remote_sig = with_sighash(sign_htlc_tx(t, remote_htlc_privkey(), remote_type), remote_type);
    Bytes local_sig = with_sighash(sign_htlc_tx(t, local_htlc_privkey(), SIGHASH_ALL), SIGHASH_ALL);
    bitcoin::Transaction tx = t.tx;
    tx.inputs[0].witness = t.direction == HtlcDirection::Received
                               ? htlc_success_witness(t, remote_sig, local_sig, preimage)
                               : htlc_timeout_witness(t, remote_sig, local_sig);
    return tx;
  }
};

class Spends : public ::testing::TestWithParam<ChannelType> {};
}  // namespace

TEST_P(Spends, CommitmentSpendsFundingOutput) {
  Channel ch(GetParam());
  bitcoin::Transaction tx = ch.commitment.tx;
  auto local_sig = sign_funding_input(tx, ch.commitment.funding_witness_script,
                                      ch.spec.funding_amount, ch.local_funding);
  auto remote_sig = sign_funding_input(tx, ch.commitment.funding_witness_script,
                                       ch.spec.funding_amount, ch.remote_funding);
  EXPECT_TRUE(verify_funding_input(tx, ch.commitment.funding_witness_script, ch.spec.funding_amount,
                                   ch.remote_funding.public_key(), remote_sig));
  tx.inputs[0].witness = funding_witness(ch.local_funding.public_key(), with_sighash(local_sig, 1),
                                         ch.remote_funding.public_key(), with_sighash(remote_sig, 1));
  EXPECT_TRUE(accepts(tx, 0, ch.funding_output));
  // Signatures in the wrong order, or one by a stranger, fail.
  std::swap(tx.inputs[0].witness[1], tx.inputs[0].witness[2]);
  EXPECT_FALSE(accepts(tx, 0, ch.funding_output));
  auto stranger = sign_funding_input(tx, ch.commitment.funding_witness_script,
                                     ch.spec.funding_amount, SecretKey::random());
  tx.inputs[0].witness = funding_witness(ch.local_funding.public_key(), with_sighash(local_sig, 1),
                                         ch.remote_funding.public_key(), with_sighash(stranger, 1));
  EXPECT_FALSE(accepts(tx, 0, ch.funding_output));
}

TEST_P(Spends, ToLocalAfterDelayAndByRevocation) {
  Channel ch(GetParam());
  size_t v = ch.output_of(OutputKind::ToLocal);
  SecretKey delayed = ch.local_delayed_privkey();
  auto in = to_local_delayed_input(ch.outpoint(v), ch.out(v).amount, ch.script(v), ch.spec.to_self_delay);
  EXPECT_TRUE(accepts(ch.sweep(in, &delayed), 0, ch.out(v)));
  // Too early: nSequence below to_self_delay.
  auto early = in;
  early.sequence = ch.spec.to_self_delay.value() - 1;
  EXPECT_FALSE(accepts(ch.sweep(early, &delayed), 0, ch.out(v)));
  // Wrong key.
  SecretKey stranger = SecretKey::random();
  EXPECT_FALSE(accepts(ch.sweep(in, &stranger), 0, ch.out(v)));

  SecretKey revocation = ch.revocation_privkey();
  EXPECT_TRUE(revocation.public_key() == ch.keys.revocation_pubkey);
  auto penalty = to_local_revoked_input(ch.outpoint(v), ch.out(v).amount, ch.script(v));
  EXPECT_TRUE(accepts(ch.sweep(penalty, &revocation), 0, ch.out(v)));
  EXPECT_FALSE(accepts(ch.sweep(penalty, &delayed), 0, ch.out(v)));
}

TEST_P(Spends, ToRemote) {
  Channel ch(GetParam());
  size_t v = ch.output_of(OutputKind::ToRemote);
  const SecretKey& key = ch.remote.payment_basepoint_secret;
  auto in = to_remote_input(ch.type, ch.outpoint(v), ch.out(v).amount, ch.keys.remote_payment_pubkey);
  EXPECT_TRUE(accepts(ch.sweep(in, &key), 0, ch.out(v)));
  SecretKey stranger = SecretKey::random();
  EXPECT_FALSE(accepts(ch.sweep(in, &stranger), 0, ch.out(v)));
  if (ch.type == ChannelType::Anchors) {
    auto early = in;
    early.sequence = 0;  // BOLT 3: a one block csv lock
    EXPECT_FALSE(accepts(ch.sweep(early, &key), 0, ch.out(v)));
  }
}

TEST_P(Spends, OfferedHtlcByTimeoutTxPreimageAndRevocation) {
  Channel ch(GetParam());
  size_t v = ch.output_of(OutputKind::OfferedHtlc);
  auto htlc_tx = build_htlc_tx(ch.spec, ch.commitment, ch.keys, static_cast<uint32_t>(v));
  ASSERT_TRUE(htlc_tx.ok());
  EXPECT_EQ(htlc_tx->tx.locktime, ch.htlc_at(v).cltv_expiry);
  // Local: HTLC-timeout, signed by both.
  bitcoin::Transaction timeout = ch.signed_htlc_tx(*htlc_tx, Preimage());
  EXPECT_TRUE(accepts(timeout, 0, ch.out(v)));
  auto bad = timeout;
  std::swap(bad.inputs[0].witness[1], bad.inputs[0].witness[2]);
  EXPECT_FALSE(accepts(bad, 0, ch.out(v)));

  // Remote: with the preimage, at once (1-block CSV under anchors).
  SecretKey remote_htlc = ch.remote_htlc_privkey();
  Preimage preimage = preimage_of(static_cast<uint8_t>(ch.commitment.outputs[v].htlc_index + 1));
  auto claim = offered_htlc_preimage_input(ch.type, ch.outpoint(v), ch.out(v).amount, ch.script(v), preimage);
  EXPECT_TRUE(accepts(ch.sweep(claim, &remote_htlc), 0, ch.out(v)));
  auto wrong = offered_htlc_preimage_input(ch.type, ch.outpoint(v), ch.out(v).amount, ch.script(v),
                                           preimage_of(0xee));
  EXPECT_FALSE(accepts(ch.sweep(wrong, &remote_htlc), 0, ch.out(v)));
  SecretKey local_htlc = ch.local_htlc_privkey();
  EXPECT_FALSE(accepts(ch.sweep(claim, &local_htlc), 0, ch.out(v)));
  if (ch.type == ChannelType::Anchors) {
    auto early = claim;
    early.sequence = 0;
    EXPECT_FALSE(accepts(ch.sweep(early, &remote_htlc), 0, ch.out(v)));
  }

  // Revoked.
  SecretKey revocation = ch.revocation_privkey();
  auto penalty = htlc_revoked_input(ch.outpoint(v), ch.out(v).amount, ch.script(v), ch.keys.revocation_pubkey);
  EXPECT_TRUE(accepts(ch.sweep(penalty, &revocation), 0, ch.out(v)));
  EXPECT_FALSE(accepts(ch.sweep(penalty, &remote_htlc), 0, ch.out(v)));
}

TEST_P(Spends, ReceivedHtlcBySuccessTxTimeoutAndRevocation) {
  Channel ch(GetParam());
  size_t v = ch.output_of(OutputKind::ReceivedHtlc);
  const Htlc& htlc = ch.htlc_at(v);
  Preimage preimage = preimage_of(static_cast<uint8_t>(ch.commitment.outputs[v].htlc_index + 1));
  auto htlc_tx = build_htlc_tx(ch.spec, ch.commitment, ch.keys, static_cast<uint32_t>(v));
  ASSERT_TRUE(htlc_tx.ok());
  EXPECT_EQ(htlc_tx->tx.locktime, 0u);
  // Local: HTLC-success with the preimage, signed by both.
  EXPECT_TRUE(accepts(ch.signed_htlc_tx(*htlc_tx, preimage), 0, ch.out(v)));
  EXPECT_FALSE(accepts(ch.signed_htlc_tx(*htlc_tx, preimage_of(0xee)), 0, ch.out(v)));

  // Remote: after the timeout.
  SecretKey remote_htlc = ch.remote_htlc_privkey();
  auto timeout = received_htlc_timeout_input(ch.type, ch.outpoint(v), ch.out(v).amount, ch.script(v),
                                             htlc.cltv_expiry);
  bitcoin::Transaction tx = ch.sweep(timeout, &remote_htlc);
  EXPECT_EQ(tx.locktime, htlc.cltv_expiry);
  EXPECT_TRUE(accepts(tx, 0, ch.out(v)));
  auto early = timeout;
  early.cltv_expiry = htlc.cltv_expiry - 1;  // locktime one block too early
  EXPECT_FALSE(accepts(ch.sweep(early, &remote_htlc), 0, ch.out(v)));
  SecretKey stranger = SecretKey::random();
  EXPECT_FALSE(accepts(ch.sweep(timeout, &stranger), 0, ch.out(v)));

  // Revoked.
  SecretKey revocation = ch.revocation_privkey();
  auto penalty = htlc_revoked_input(ch.outpoint(v), ch.out(v).amount, ch.script(v), ch.keys.revocation_pubkey);
  EXPECT_TRUE(accepts(ch.sweep(penalty, &revocation), 0, ch.out(v)));
  auto wrong_key = htlc_revoked_input(ch.outpoint(v), ch.out(v).amount, ch.script(v),
                                      ch.keys.local_htlcpubkey);
  EXPECT_FALSE(accepts(ch.sweep(wrong_key, &revocation), 0, ch.out(v)));
}

TEST_P(Spends, SecondStageOutputsDelayedAndRevoked) {
  Channel ch(GetParam());
  auto htlc_txs = build_htlc_txs(ch.spec, ch.commitment, ch.keys);
  ASSERT_TRUE(htlc_txs.ok());
  ASSERT_EQ(htlc_txs->size(), 5u);
  SecretKey delayed = ch.local_delayed_privkey();
  SecretKey revocation = ch.revocation_privkey();
  for (const HtlcTx& t : *htlc_txs) {
    const bitcoin::TxOut& out = t.tx.outputs[0];
    auto in = htlc_tx_delayed_input(t, ch.spec.to_self_delay);
    EXPECT_TRUE(accepts(ch.sweep(in, &delayed), 0, out));
    auto early = in;
    early.sequence = 10;
    EXPECT_FALSE(accepts(ch.sweep(early, &delayed), 0, out));
    auto penalty = htlc_tx_revoked_input(t);
    EXPECT_TRUE(accepts(ch.sweep(penalty, &revocation), 0, out));
    EXPECT_FALSE(accepts(ch.sweep(penalty, &delayed), 0, out));
  }
}

TEST_P(Spends, PenaltySweepsRevokedCommitment) {
  Channel ch(GetParam());
  SecretKey revocation = ch.revocation_privkey();
  auto penalty = build_penalty_tx(ch.commitment, revocation, ch.destination, FeeratePerKw(2000));
  ASSERT_TRUE(penalty.ok()) << penalty.error().message;
  // to_local and all five HTLCs (two offered, three received).
  ASSERT_EQ(penalty->inputs.size(), 6u);
  uint64_t in_total = 0;
  for (size_t i = 0; i < penalty->inputs.size(); ++i) {
    uint32_t vout = penalty->inputs[i].prevout.vout;
    EXPECT_TRUE(accepts(*penalty, i, ch.out(vout))) << "input " << i;
    in_total += ch.out(vout).amount.value();
  }
  // The fee matches the BOLT 5 weight figures (they assume 83-byte to_local scripts and
  // 73-byte signatures, so they bound the real weight from above).
  uint64_t bolt5 = PENALTY_TX_BASE_WEIGHT + TO_LOCAL_PENALTY_INPUT_WEIGHT +
                   2 * OFFERED_HTLC_PENALTY_INPUT_WEIGHT + 3 * ACCEPTED_HTLC_PENALTY_INPUT_WEIGHT;
  if (ch.type == ChannelType::Anchors) bolt5 += 5 * 3;  // `1 OP_CSV OP_DROP` in HTLC scripts
  EXPECT_LE(penalty->weight(), bolt5);
  EXPECT_EQ(in_total - penalty->outputs[0].amount.value(),
            fee_for_weight(FeeratePerKw(2000), expected_sweep_weight(
                                                   penalty_inputs(ch.commitment, revocation.public_key()),
                                                   ch.destination.size())).value());
  // A wrong revocation key produces signatures the scripts refuse.
  auto forged = build_penalty_tx(ch.commitment, ch.local_delayed_privkey(), ch.destination,
                                 FeeratePerKw(2000));
  ASSERT_TRUE(forged.ok());
  for (size_t i = 0; i < forged->inputs.size(); ++i) {
    EXPECT_FALSE(accepts(*forged, i, ch.out(forged->inputs[i].prevout.vout)));
  }
}

INSTANTIATE_TEST_SUITE_P(BothChannelTypes, Spends,
                         ::testing::Values(ChannelType::StaticRemoteKey, ChannelType::Anchors));

TEST(AnchorSpends, OwnAnchorAndAnyoneAfter16Blocks) {
  Channel ch(ChannelType::Anchors);
  for (OutputKind kind : {OutputKind::LocalAnchor, OutputKind::RemoteAnchor}) {
    size_t v = ch.output_of(kind);
    const SecretKey& owner = kind == OutputKind::LocalAnchor ? ch.local_funding : ch.remote_funding;
    auto own = anchor_input(ch.outpoint(v), ch.script(v), false);
    auto s = build_sweep_tx({own}, ch.destination, FeeratePerKw(253), Sat(0));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(sign_sweep_input(*s, 0, &owner).ok());
    EXPECT_TRUE(accepts(s->tx, 0, ch.out(v)));
    SecretKey stranger = SecretKey::random();
    ASSERT_TRUE(sign_sweep_input(*s, 0, &stranger).ok());
    // A wrong signature makes OP_CHECKSIG push false, then the 16-block CSV applies and the
    // input is not that old: rejected (and NULLFAIL rejects a failing non-empty signature).
    EXPECT_FALSE(accepts(s->tx, 0, ch.out(v)));

    auto anyone = anchor_input(ch.outpoint(v), ch.script(v), true);
    s = build_sweep_tx({anyone}, ch.destination, FeeratePerKw(253), Sat(0));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(sign_sweep_input(*s, 0, nullptr).ok());
    EXPECT_TRUE(accepts(s->tx, 0, ch.out(v)));
    s->tx.inputs[0].sequence = 15;
    EXPECT_FALSE(accepts(s->tx, 0, ch.out(v)));
  }
}

TEST(AnchorSpends, HtlcSignatureSurvivesAddedFeeInputs) {
  // SIGHASH_SINGLE|SIGHASH_ANYONECANPAY: the broadcaster may add inputs and outputs to pay
  // the fee of a zero-fee HTLC transaction without invalidating the peer's signature.
  Channel ch(ChannelType::Anchors);
  size_t v = ch.output_of(OutputKind::ReceivedHtlc);
  auto t = *build_htlc_tx(ch.spec, ch.commitment, ch.keys, static_cast<uint32_t>(v));
  Bytes remote_sig = with_sighash(sign_htlc_tx(t, ch.remote_htlc_privkey(), SIGHASH_SINGLE_ANYONECANPAY),
                                  SIGHASH_SINGLE_ANYONECANPAY);
  t.tx.inputs.push_back(bitcoin::TxIn{{Txid(crypto::sha256(as_bytes("fee")).array()), 0}, Script(), 0, {}});
  t.tx.outputs.push_back(bitcoin::TxOut{Sat(5000), ch.destination});
  Bytes local_sig = with_sighash(sign_htlc_tx(t, ch.local_htlc_privkey(), SIGHASH_ALL), SIGHASH_ALL);
  Preimage preimage = preimage_of(static_cast<uint8_t>(ch.commitment.outputs[v].htlc_index + 1));
  t.tx.inputs[0].witness = htlc_success_witness(t, remote_sig, local_sig, preimage);
  EXPECT_TRUE(accepts(t.tx, 0, ch.out(v)));
}

TEST(SweepWeights, MatchBolt5AppendixFigures) {
  // BOLT 5 Appendix A counts an 83-byte to_local script, 133-byte offered and 139-byte
  // accepted HTLC scripts and 73-byte signatures.
  EXPECT_EQ(expected_witness_size(SpendPath::HtlcRevoked, 133), 243u);
  EXPECT_EQ(expected_witness_size(SpendPath::HtlcRevoked, 139), 249u);
  EXPECT_EQ(164 + expected_witness_size(SpendPath::HtlcRevoked, 133), OFFERED_HTLC_PENALTY_INPUT_WEIGHT);
  EXPECT_EQ(164 + expected_witness_size(SpendPath::HtlcRevoked, 139), ACCEPTED_HTLC_PENALTY_INPUT_WEIGHT);
  // Two figures are one byte short of the real maximum: the to_local penalty witness (160)
  // counts the `1` element's length byte but not the byte itself, and the P2WPKH witness
  // (108) counts a 72-byte signature. Our estimate is the true upper bound.
  EXPECT_EQ(expected_witness_size(SpendPath::ToLocalRevoked, 83), 160u + 1);
  EXPECT_EQ(164 + expected_witness_size(SpendPath::ToLocalRevoked, 83), TO_LOCAL_PENALTY_INPUT_WEIGHT + 1);
  EXPECT_EQ(expected_witness_size(SpendPath::ToRemoteStatic, 0), 108u + 1);
}

TEST(SweepWeights, EstimateBoundsRealSignedWeight) {
  for (ChannelType type : {ChannelType::StaticRemoteKey, ChannelType::Anchors}) {
    Channel ch(type);
    SecretKey revocation = ch.revocation_privkey();
    auto inputs = penalty_inputs(ch.commitment, revocation.public_key());
    auto s = build_sweep_tx(inputs, ch.destination, FeeratePerKw(1000));
    ASSERT_TRUE(s.ok());
    for (size_t i = 0; i < inputs.size(); ++i) ASSERT_TRUE(sign_sweep_input(*s, i, &revocation).ok());
    uint64_t estimate = expected_sweep_weight(inputs, ch.destination.size());
    EXPECT_LE(s->tx.weight(), estimate);
    EXPECT_GE(s->tx.weight() + 4 * inputs.size(), estimate);  // DER sigs are 70-73 bytes
  }
}
