// BOLT 11 examples (tests/vectors/bolt11/invoices.json): every valid invoice decodes to
// exactly the listed fields and re-encodes to the same string when signed with the listed
// key; every invalid one is refused for its stated reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "crypto/hash.h"
#include "invoice/fallback.h"
#include "invoice/invoice.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::invoice;
using fulgur::test::load_vectors;
using fulgur::test::unhex;
using nlohmann::json;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void expect_fallbacks(const Invoice& inv, const json& expected) {
  ASSERT_EQ(inv.fallbacks.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const Fallback& f = inv.fallbacks[i];
    EXPECT_EQ(f.version, expected[i]["version"].get<int>());
    EXPECT_EQ(fallback_type(f), expected[i]["type"]);
    std::string program = expected[i].contains("hash") ? expected[i]["hash"] : expected[i]["program"];
    EXPECT_EQ(to_hex(f.program), program);
    auto address = fallback_address(f, *network_of(inv.currency));
    ASSERT_TRUE(address.ok()) << address.error().message;
    EXPECT_EQ(*address, expected[i]["address"]);
  }
}

void expect_routes(const Invoice& inv, const json& expected) {
  ASSERT_EQ(inv.route_hints.size(), expected.size());
  for (size_t r = 0; r < expected.size(); ++r) {
    ASSERT_EQ(inv.route_hints[r].size(), expected[r].size());
    for (size_t h = 0; h < expected[r].size(); ++h) {
      const RouteHintHop& hop = inv.route_hints[r][h];
      const json& want = expected[r][h];
      EXPECT_EQ(hop.pubkey.to_hex(), want["pubkey"]);
      EXPECT_EQ(hop.short_channel_id.to_string(), want["short_channel_id"]);
      EXPECT_EQ(hop.fee_base_msat, want["fee_base_msat"].get<uint32_t>());
      EXPECT_EQ(hop.fee_proportional_millionths, want["fee_proportional_millionths"].get<uint32_t>());
      EXPECT_EQ(hop.cltv_expiry_delta, want["cltv_expiry_delta"].get<uint16_t>());
    }
  }
}

void expect_decoded(const Invoice& inv, const json& v) {
  EXPECT_EQ("ln" + inv.currency, v["hrp"].get<std::string>().substr(0, 2 + inv.currency.size()));
  EXPECT_EQ(inv.currency, v["currency_prefix"]);
  if (v["amount_msat"].is_null()) {
    EXPECT_FALSE(inv.amount.has_value());
  } else {
    ASSERT_TRUE(inv.amount.has_value());
    EXPECT_EQ(inv.amount->value(), v["amount_msat"].get<uint64_t>());
    EXPECT_EQ(encode_amount(*inv.amount), v["amount_as_written"]);
  }
  EXPECT_EQ(inv.timestamp, v["timestamp"].get<uint64_t>());
  EXPECT_EQ(inv.payment_hash.to_hex(), v["payment_hash"]);
  ASSERT_TRUE(inv.payment_secret.has_value());
  EXPECT_EQ(inv.payment_secret->to_hex(), v["payment_secret"]);
  EXPECT_EQ(inv.description.has_value(), v.contains("description"));
  if (v.contains("description")) {
    EXPECT_EQ(*inv.description, v["description"]);
  }
  EXPECT_EQ(inv.description_hash.has_value(), v.contains("description_hash"));
  if (v.contains("description_hash")) {
    EXPECT_EQ(inv.description_hash->to_hex(), v["description_hash"]);
    if (v.contains("description_hash_preimage")) {
      std::string preimage = v["description_hash_preimage"];
      EXPECT_EQ(crypto::sha256(as_bytes(preimage)), *inv.description_hash);
    }
  }
  EXPECT_EQ(inv.expiry_seconds(), v.value("expiry", uint64_t{3600}));
  EXPECT_EQ(inv.expiry.has_value(), v.contains("expiry"));
  EXPECT_EQ(inv.min_final_cltv(), v.value("min_final_cltv_expiry_delta", uint64_t{18}));
  expect_fallbacks(inv, v.value("fallbacks", json::array()));
  expect_routes(inv, v.value("route_hints", json::array()));
  std::vector<size_t> bits = v["features"]["bits"].get<std::vector<size_t>>();
  EXPECT_EQ(inv.features.set_bits(), bits);
  EXPECT_EQ(inv.metadata.has_value(), v.contains("metadata"));
  if (v.contains("metadata")) {
    EXPECT_EQ(to_hex(*inv.metadata), v["metadata"]);
  }
  EXPECT_EQ(inv.payee.to_hex(), v["payee_pubkey"]);
  EXPECT_EQ(inv.payee_node_id.has_value(), false);  // no example carries a valid `n`
  // Every field, in order, with its length.
  const json& order = v["fields_in_order"];
  ASSERT_EQ(inv.fields.size(), order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(inv.fields[i].type, order[i]["type"].get<int>());
    EXPECT_EQ(inv.fields[i].data.size(), order[i]["data_length"].get<size_t>());
  }
  json unknown = v.value("unknown_fields", json::array());
  ASSERT_EQ(inv.unknown_fields.size(), unknown.size());
  for (size_t i = 0; i < unknown.size(); ++i) {
    EXPECT_EQ(inv.unknown_fields[i].type, unknown[i]["type"].get<int>());
  }
}

crypto::SecretKey signing_key(const json& all) {
  return std::move(crypto::SecretKey::from_bytes(unhex(all["signing_private_key"].get<std::string>())))
      .value();
}

}  // namespace

TEST(InvoiceVectors, ValidExamplesDecodeAndReEncode) {
  json all = load_vectors("bolt11/invoices.json");
  auto key = signing_key(all);
  ASSERT_EQ(key.public_key().node_id().to_hex(), all["payee_pubkey"]);
  ASSERT_EQ(all["valid"].size(), 16u);
  for (const json& v : all["valid"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    std::string text = v["invoice"];
    auto inv = decode_invoice(text);
    ASSERT_TRUE(inv.ok()) << inv.error().message;
    expect_decoded(*inv, v);
    auto again = encode_invoice(*inv, key);
    ASSERT_TRUE(again.ok()) << again.error().message;
    if (v["signature_high_s"].get<bool>()) {
      // Our signer only makes low-S signatures: same fields, different signature.
      EXPECT_NE(*again, lower(text));
      auto back = decode_invoice(*again);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->fields, inv->fields);
      EXPECT_EQ(back->payee, inv->payee);
    } else {
      EXPECT_EQ(*again, lower(text));
    }
  }
}

TEST(InvoiceVectors, HighSRecoveryGivesTheSigningKey) {
  // Decision (lib/invoice/README.md): without `n`, a high-S signature is accepted and its s
  // normalised before recovery, keeping the recovery id: that yields the key that signed.
  json all = load_vectors("bolt11/invoices.json");
  for (const json& v : all["valid"]) {
    if (!v["signature_high_s"].get<bool>()) continue;
    auto inv = decode_invoice(v["invoice"].get<std::string>());
    ASSERT_TRUE(inv.ok());
    EXPECT_EQ(inv->payee.to_hex(), v["recovered_pubkey_after_low_s_normalisation"]);
    EXPECT_NE(inv->payee.to_hex(), v["recovered_pubkey_raw_recid"]);
    EXPECT_EQ(inv->payee.to_hex(), all["payee_pubkey"]);
  }
}

TEST(InvoiceVectors, InvalidExamplesAreRefusedForTheirReason) {
  json all = load_vectors("bolt11/invoices.json");
  const std::map<std::string, InvoiceErrorKind> expected = {
      {"Same, but adding invalid unknown feature 100", InvoiceErrorKind::unknown_required_feature},
      {"Bech32 checksum is invalid", InvoiceErrorKind::bech32},
      {"Malformed bech32 string (no 1)", InvoiceErrorKind::bech32},
      {"Malformed bech32 string (mixed case)", InvoiceErrorKind::bech32},
      {"Signature is not recoverable", InvoiceErrorKind::invalid_signature},
      {"String is too short", InvoiceErrorKind::too_short},
      {"Invalid multiplier", InvoiceErrorKind::invalid_amount},
      {"Invalid sub-millisatoshi precision", InvoiceErrorKind::sub_msat_precision},
      {"Missing required `s` field", InvoiceErrorKind::missing_payment_secret},
      {"Non canonical signature (high-S) with 'n' field defined",
       InvoiceErrorKind::high_s_signature},
  };
  ASSERT_EQ(all["invalid"].size(), expected.size());
  for (const json& v : all["invalid"]) {
    std::string reason = v["reason"];
    SCOPED_TRACE(reason);
    auto it = expected.find(reason);
    ASSERT_NE(it, expected.end()) << "no expectation for this reason";
    auto inv = decode_invoice(v["invoice"].get<std::string>());
    ASSERT_FALSE(inv.ok());
    EXPECT_EQ(to_string(inv.error().kind), std::string(to_string(it->second)))
        << inv.error().message;
    EXPECT_FALSE(inv.error().message.empty());
  }
}
