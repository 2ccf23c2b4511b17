// BOLT 3 Appendix C (option_static_remotekey, 16 cases) and Appendix F (option_anchors, 9
// cases): every commitment transaction and every HTLC transaction, rebuilt from the channel
// parameters and compared byte for byte.
#include <gtest/gtest.h>

#include "bitcoin/tx.h"
#include "bolt3_fixture.h"
#include "channel/htlc_tx.h"
#include "channel/scripts.h"
#include "channel/sign.h"

using namespace fulgur;
using namespace fulgur::channel;
using namespace fulgur::channel::test;
using fulgur::test::unhex;

namespace {
// Signs the commitment with both funding keys and returns the finished transaction.
bitcoin::Transaction sign_commitment(const Bolt3Channel& ch, const CommitmentSpec& spec,
                                     const CommitmentTx& c, std::string* local_sig_hex,
                                     std::string* remote_sig_hex) {
  auto local = sign_funding_input(c.tx, c.funding_witness_script, spec.funding_amount,
                                  ch.local_funding_privkey);
  auto remote = sign_funding_input(c.tx, c.funding_witness_script, spec.funding_amount,
                                   ch.remote_funding_privkey);
  EXPECT_TRUE(verify_funding_input(c.tx, c.funding_witness_script, spec.funding_amount,
                                   ch.remote_funding_pubkey, remote));
  *local_sig_hex = to_hex(local.to_der());
  *remote_sig_hex = to_hex(remote.to_der());
  bitcoin::Transaction tx = c.tx;
  tx.inputs[0].witness = funding_witness(ch.local_funding_pubkey, with_sighash(local, SIGHASH_ALL),
                                         ch.remote_funding_pubkey, with_sighash(remote, SIGHASH_ALL));
  return tx;
}

// Signs an HTLC transaction as both sides do and returns the finished transaction.
bitcoin::Transaction sign_htlc(const Bolt3Channel& ch, ChannelType type, const CommitmentSpec& spec,
                               const HtlcTx& t, std::string* remote_sig_hex) {
  uint8_t remote_type = remote_htlc_sighash_type(type);
  auto remote = sign_htlc_tx(t, ch.remote_htlc_privkey, remote_type);
  auto local = sign_htlc_tx(t, ch.local_htlc_privkey, SIGHASH_ALL);
  EXPECT_TRUE(verify_htlc_tx(t, ch.keys.remote_htlcpubkey, remote_type, remote));
  EXPECT_FALSE(verify_htlc_tx(t, ch.keys.remote_htlcpubkey, remote_type ^ 0x80, remote));
  *remote_sig_hex = to_hex(remote.to_der());
  bitcoin::Transaction tx = t.tx;
  // The vectors' preimages are in the channel's HTLC list; find this HTLC's id by its hash.
  Preimage preimage;
  for (size_t id = 0; id < ch.v["htlcs"].size(); ++id) {
    if (ch.htlc(id).payment_hash == spec.htlcs[t.htlc_index].payment_hash) preimage = ch.preimage(id);
  }
  tx.inputs[0].witness =
      t.direction == HtlcDirection::Received
          ? htlc_success_witness(t, with_sighash(remote, remote_type), with_sighash(local, SIGHASH_ALL), preimage)
          : htlc_timeout_witness(t, with_sighash(remote, remote_type), with_sighash(local, SIGHASH_ALL));
  return tx;
}

bitcoin::Transaction parse_tx(const std::string& hex) {
  auto tx = bitcoin::parse_transaction(unhex(hex));
  EXPECT_TRUE(tx.ok()) << hex;
  return tx.ok() ? *tx : bitcoin::Transaction{};
}
}  // namespace

TEST(Bolt3Keys, AppendixCKeysDeriveFromBasepoints) {
  Bolt3Channel ch;
  const auto& d = ch.d;
  const auto& p = ch.p;
  PublicKey unused = SecretKey::random().public_key();
  Basepoints local{unused, point(p["local_payment_basepoint"].get<std::string>()),
                   point(d["local_delayed_payment_basepoint"].get<std::string>()),
                   point(p["local_htlc_basepoint"].get<std::string>())};
  Basepoints remote{point(d["remote_revocation_basepoint"].get<std::string>()),
                    point(p["remote_payment_basepoint"].get<std::string>()), unused,
                    point(p["remote_htlc_basepoint"].get<std::string>())};
  auto keys = derive_commitment_keys(ch.keys.per_commitment_point, local, remote);
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->revocation_pubkey == ch.keys.revocation_pubkey);
  EXPECT_TRUE(keys->local_delayed_pubkey == ch.keys.local_delayed_pubkey);
  EXPECT_TRUE(keys->local_htlcpubkey == ch.keys.local_htlcpubkey);
  EXPECT_TRUE(keys->remote_htlcpubkey == ch.keys.remote_htlcpubkey);
  EXPECT_TRUE(keys->remote_payment_pubkey == ch.keys.remote_payment_pubkey);
  EXPECT_TRUE(ch.local_htlc_privkey.public_key() == ch.keys.local_htlcpubkey);
  EXPECT_TRUE(ch.remote_htlc_privkey.public_key() == ch.keys.remote_htlcpubkey);
  EXPECT_TRUE(ch.local_delayed_privkey.public_key() == ch.keys.local_delayed_pubkey);
}

TEST(Bolt3Commitment, FundingScript) {
  Bolt3Channel ch;
  Script s = funding_script(ch.local_funding_pubkey, ch.remote_funding_pubkey);
  EXPECT_EQ(s.to_hex(), ch.v["funding_witness_script"].get<std::string>());
  EXPECT_EQ(funding_script(ch.remote_funding_pubkey, ch.local_funding_pubkey), s);
}

TEST(Bolt3Commitment, FundingTxAppendixB) {
  auto v = fulgur::test::load_vectors("bolt03/funding-tx.json")["vector"];
  PublicKey local = point(v["local_funding_pubkey"].get<std::string>());
  PublicKey remote = point(v["remote_funding_pubkey"].get<std::string>());
  EXPECT_EQ(funding_script(local, remote).to_hex(), v["funding_witness_script"].get<std::string>());
  bitcoin::Transaction expected = parse_tx(v["funding_tx"].get<std::string>());
  EXPECT_EQ(expected.txid().to_hex(), v["funding_txid"].get<std::string>());
  EXPECT_EQ(expected.txid().to_hex(), Bolt3Channel().p["funding_tx_id"].get<std::string>());

  // Rebuild it: the coinbase output in, the funding output and the change (P2WPKH to the
  // coinbase's key hash) out. The P2PKH input's legacy signature is the wallet's
  // business (bitcoind signs funding inputs), so its scriptSig is taken from the vector.
  bitcoin::Transaction coinbase = parse_tx(v["block1_coinbase_tx"].get<std::string>());
  bitcoin::Transaction tx;
  tx.version = 2;
  tx.inputs.push_back(bitcoin::TxIn{{coinbase.txid(), v["input_index"].get<uint32_t>()},
                                    expected.inputs.at(0).script_sig, 0xffffffff, {}});
  EXPECT_EQ(coinbase.txid().to_hex(), v["input_txid"].get<std::string>());
  tx.outputs.push_back(funding_output(local, remote, Sat(v["funding_satoshis"].get<uint64_t>())));
  const Bytes& p2pkh = coinbase.outputs.at(0).script_pubkey.bytes();
  ASSERT_TRUE(coinbase.outputs.at(0).script_pubkey.is_p2pkh());
  auto key_hash = Hash160::from_span(ByteSpan(p2pkh).subspan(3, 20));
  tx.outputs.push_back(bitcoin::TxOut{Sat(v["change_satoshis"].get<uint64_t>()),
                                      bitcoin::p2wpkh(*key_hash)});
  EXPECT_EQ(v["funding_output_index"].get<size_t>(), 0u);
  EXPECT_EQ(to_hex(tx.serialize()), v["funding_tx"].get<std::string>());
}

TEST(Bolt3Commitment, StaticRemoteKeyAppendixC) {
  Bolt3Channel ch;
  const auto& cases = ch.v["test_cases"];
  ASSERT_EQ(cases.size(), 16u);
  size_t htlc_txs_checked = 0;
  for (const auto& c : cases) {
    std::string name = c["name"].get<std::string>();
    SCOPED_TRACE(name);
    // Appendix C: HTLCs are in flight whenever the balances do not add up to the funding.
    bool htlcs_in_flight = c["to_local_msat"].get<uint64_t>() + c["to_remote_msat"].get<uint64_t>() !=
                           ch.p["funding_amount_satoshi"].get<uint64_t>() * 1000;
    auto spec = ch.spec(ChannelType::StaticRemoteKey, Msat(c["to_local_msat"].get<uint64_t>()),
                        Msat(c["to_remote_msat"].get<uint64_t>()),
                        FeeratePerKw(c["local_feerate_per_kw"].get<uint32_t>()),
                        Sat(ch.p["local_dust_limit_satoshi"].get<uint64_t>()),
                        Bolt3Channel::htlc_ids_for(name, htlcs_in_flight));
    auto commitment = build_commitment_tx(spec, ch.keys);
    ASSERT_TRUE(commitment.ok()) << commitment.error().message;
    bitcoin::Transaction expected = parse_tx(c["commit_tx"].get<std::string>());
    EXPECT_EQ(to_hex(commitment->tx.serialize_without_witness()),
              to_hex(expected.serialize_without_witness()));
    EXPECT_EQ(commitment->tx.txid().to_hex(), c["commit_txid"].get<std::string>());
    std::string local_sig, remote_sig;
    bitcoin::Transaction signed_tx = sign_commitment(ch, spec, *commitment, &local_sig, &remote_sig);
    EXPECT_EQ(local_sig, c["local_signature"].get<std::string>());
    EXPECT_EQ(remote_sig, c["remote_signature"].get<std::string>());
    EXPECT_EQ(to_hex(signed_tx.serialize()), c["commit_tx"].get<std::string>());
    if (c.contains("base_commitment_fee_sat")) {
      EXPECT_EQ(commitment->base_fee.value(), c["base_commitment_fee_sat"].get<uint64_t>());
      EXPECT_EQ(commitment->actual_fee.value(), c["actual_commitment_fee_sat"].get<uint64_t>());
    }
    for (const auto& w : c["htlc_outputs_wscript"]) {
      bool found = false;
      for (const auto& o : commitment->outputs) found |= o.witness_script.to_hex() == w["wscript"];
      EXPECT_TRUE(found) << "missing HTLC script for htlc " << w["htlc_id"];
    }

    auto htlc_txs = build_htlc_txs(spec, *commitment, ch.keys);
    ASSERT_TRUE(htlc_txs.ok());
    ASSERT_EQ(htlc_txs->size(), c["htlc_txs"].size());
    for (size_t i = 0; i < htlc_txs->size(); ++i) {
      const auto& want = c["htlc_txs"][i];
      const HtlcTx& got = (*htlc_txs)[i];
      EXPECT_EQ(got.commitment_vout, want["output_index"].get<uint32_t>());
      EXPECT_EQ(got.direction == HtlcDirection::Received, want["type"] == "htlc_success");
      bitcoin::Transaction expected_htlc = parse_tx(want["tx"].get<std::string>());
      EXPECT_EQ(to_hex(got.tx.serialize_without_witness()),
                to_hex(expected_htlc.serialize_without_witness()));
      EXPECT_EQ(got.tx.txid().to_hex(), want["txid"].get<std::string>());
      std::string remote_htlc_sig;
      bitcoin::Transaction signed_htlc =
          sign_htlc(ch, ChannelType::StaticRemoteKey, spec, got, &remote_htlc_sig);
      EXPECT_EQ(remote_htlc_sig, want["remote_htlc_signature"].get<std::string>());
      EXPECT_EQ(to_hex(signed_htlc.serialize()), want["tx"].get<std::string>());
      ++htlc_txs_checked;
    }
  }
  EXPECT_EQ(htlc_txs_checked, 33u);
}

TEST(Bolt3Commitment, AnchorsAppendixF) {
  Bolt3Channel ch;
  auto v = fulgur::test::load_vectors("bolt03/commitment-tx-anchors.json");
  const auto& cases = v["test_cases"];
  ASSERT_EQ(cases.size(), 9u);
  size_t htlc_txs_checked = 0;
  for (const auto& c : cases) {
    std::string name = c["Name"].get<std::string>();
    SCOPED_TRACE(name);
    auto spec = ch.spec(ChannelType::Anchors, Msat(c["LocalBalance"].get<uint64_t>()),
                        Msat(c["RemoteBalance"].get<uint64_t>()),
                        FeeratePerKw(c["FeePerKw"].get<uint32_t>()),
                        Sat(c["DustLimitSatoshis"].get<uint64_t>()),
                        Bolt3Channel::htlc_ids_for(name, c["UseTestHtlcs"].get<bool>()));
    auto commitment = build_commitment_tx(spec, ch.keys);
    ASSERT_TRUE(commitment.ok()) << commitment.error().message;
    bitcoin::Transaction expected = parse_tx(c["ExpectedCommitmentTxHex"].get<std::string>());
    EXPECT_EQ(to_hex(commitment->tx.serialize_without_witness()),
              to_hex(expected.serialize_without_witness()));
    std::string local_sig, remote_sig;
    bitcoin::Transaction signed_tx = sign_commitment(ch, spec, *commitment, &local_sig, &remote_sig);
    EXPECT_EQ(remote_sig, c["RemoteSigHex"].get<std::string>());
    EXPECT_EQ(to_hex(signed_tx.serialize()), c["ExpectedCommitmentTxHex"].get<std::string>());

    auto htlc_txs = build_htlc_txs(spec, *commitment, ch.keys);
    ASSERT_TRUE(htlc_txs.ok());
    ASSERT_EQ(htlc_txs->size(), c["HtlcDescs"].size());
    for (size_t i = 0; i < htlc_txs->size(); ++i) {
      const auto& want = c["HtlcDescs"][i];
      bitcoin::Transaction expected_htlc = parse_tx(want["ResolutionTxHex"].get<std::string>());
      EXPECT_EQ(to_hex((*htlc_txs)[i].tx.serialize_without_witness()),
                to_hex(expected_htlc.serialize_without_witness()));
      std::string remote_htlc_sig;
      bitcoin::Transaction signed_htlc =
          sign_htlc(ch, ChannelType::Anchors, spec, (*htlc_txs)[i], &remote_htlc_sig);
      EXPECT_EQ(remote_htlc_sig, want["RemoteSigHex"].get<std::string>());
      EXPECT_EQ(to_hex(signed_htlc.serialize()), want["ResolutionTxHex"].get<std::string>());
      ++htlc_txs_checked;
    }
  }
  EXPECT_EQ(htlc_txs_checked, 15u);
}
