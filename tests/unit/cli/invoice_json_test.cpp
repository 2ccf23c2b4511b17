// fulgur-cli decodeinvoice: every BOLT 11 example prints the listed fields as JSON, and
// every invalid example prints an error that names the broken rule.
#include <gtest/gtest.h>

#include "invoice_json.h"
#include "support/vectors.h"

using namespace fulgur;
using fulgur::test::load_vectors;
using nlohmann::json;

TEST(DecodeInvoiceJson, ValidExamplesPrintTheirFields) {
  json all = load_vectors("bolt11/invoices.json");
  for (const json& v : all["valid"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto out = cli::decode_invoice_command(v["invoice"].get<std::string>());
    ASSERT_TRUE(out.ok()) << out.error().message;
    const json& j = *out;
    EXPECT_EQ(j["currency"], v["currency_prefix"]);
    EXPECT_EQ(j["amount_msat"], v["amount_msat"]);
    EXPECT_EQ(j["timestamp"], v["timestamp"]);
    EXPECT_EQ(j["payment_hash"], v["payment_hash"]);
    EXPECT_EQ(j["payment_secret"], v["payment_secret"]);
    EXPECT_EQ(j["payee"], v["payee_pubkey"]);
    EXPECT_EQ(j["payee_source"], "signature_recovery");
    EXPECT_EQ(j["expiry"], v.value("expiry", 3600));
    EXPECT_EQ(j["expires_at"], v["timestamp"].get<uint64_t>() + v.value("expiry", 3600));
    EXPECT_EQ(j["min_final_cltv_expiry_delta"], v.value("min_final_cltv_expiry_delta", 18));
    EXPECT_EQ(j.value("description", json()), v.value("description", json()));
    EXPECT_EQ(j.value("description_hash", json()), v.value("description_hash", json()));
    EXPECT_EQ(j.value("payment_metadata", json()), v.value("metadata", json()));
    ASSERT_EQ(j["features"].size(), v["features"]["bits"].size());
    for (size_t i = 0; i < j["features"].size(); ++i) {
      EXPECT_EQ(j["features"][i]["bit"], v["features"]["bits"][i]);
    }
    json fallbacks = v.value("fallbacks", json::array());
    ASSERT_EQ(j["fallbacks"].size(), fallbacks.size());
    for (size_t i = 0; i < fallbacks.size(); ++i) {
      EXPECT_EQ(j["fallbacks"][i]["address"], fallbacks[i]["address"]);
      EXPECT_EQ(j["fallbacks"][i]["type"], fallbacks[i]["type"]);
    }
    EXPECT_EQ(j["route_hints"], v.value("route_hints", json::array()));
    EXPECT_EQ(j["unknown_fields"].size(), v.value("unknown_fields", json::array()).size());
  }
}

TEST(DecodeInvoiceJson, FeatureNamesAndNetwork) {
  json all = load_vectors("bolt11/invoices.json");
  auto out = cli::decode_invoice_command(all["valid"][0]["invoice"].get<std::string>());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["network"], "main");
  EXPECT_EQ((*out)["features"][0]["name"], "var_onion_optin");
  EXPECT_EQ((*out)["features"][0]["required"], true);
}

TEST(DecodeInvoiceJson, LightningUriPrefixIsAccepted) {
  json all = load_vectors("bolt11/invoices.json");
  std::string text = all["valid"][1]["invoice"];
  auto out = cli::decode_invoice_command("LIGHTNING:" + text);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["description"], "1 cup coffee");
}

TEST(DecodeInvoiceJson, InvalidExamplesNameTheRule) {
  json all = load_vectors("bolt11/invoices.json");
  for (const json& v : all["invalid"]) {
    SCOPED_TRACE(v["reason"].get<std::string>());
    auto out = cli::decode_invoice_command(v["invoice"].get<std::string>());
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().code, "invalid_invoice");
    EXPECT_NE(out.error().exit_code, 0);
    EXPECT_NE(out.error().message.find(':'), std::string::npos);
  }
  auto sub_msat = cli::decode_invoice_command(all["invalid"][7]["invoice"].get<std::string>());
  ASSERT_FALSE(sub_msat.ok());
  EXPECT_EQ(sub_msat.error().message.rfind("sub_msat_precision:", 0), 0u);
}
