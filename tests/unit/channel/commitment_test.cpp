// BOLT 3 Appendix C (option_static_remotekey, 16 cases) and Appendix F (option_anchors, 9
// cases): every commitment transaction and every HTLC transaction, rebuilt from the channel
// parameters and compared byte for byte.
#include <gtest/gtest.h>

#include "bitcoin/tx.h"
#include "bolt3_fixture.h"
#include "channel/htlc_tx.h"
#include "channel/scripts.h"

using namespace fulgur;
using namespace fulgur::channel;
using namespace fulgur::channel::test;
using fulgur::test::unhex;

namespace {
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

    auto htlc_txs = build_htlc_txs(spec, *commitment, ch.keys);
    ASSERT_TRUE(htlc_txs.ok());
    ASSERT_EQ(htlc_txs->size(), c["HtlcDescs"].size());
    for (size_t i = 0; i < htlc_txs->size(); ++i) {
      const auto& want = c["HtlcDescs"][i];
      bitcoin::Transaction expected_htlc = parse_tx(want["ResolutionTxHex"].get<std::string>());
      EXPECT_EQ(to_hex((*htlc_txs)[i].tx.serialize_without_witness()),
                to_hex(expected_htlc.serialize_without_witness()));
      ++htlc_txs_checked;
    }
  }
  EXPECT_EQ(htlc_txs_checked, 15u);
}
