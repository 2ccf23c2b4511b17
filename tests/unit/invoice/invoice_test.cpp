// BOLT 11 rules one by one: amounts and multipliers, currencies, the `n` field, field
// skipping, features, expiry, and malformed fields.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "invoice/fallback.h"
#include "invoice/invoice.h"

using namespace fulgur;
using namespace fulgur::invoice;

namespace {

crypto::SecretKey test_key() {
  return std::move(crypto::SecretKey::from_bytes(Bytes(32, 0x11))).value();
}

Invoice basic_invoice() {
  Invoice inv;
  inv.currency = "bc";
  inv.amount = Msat(250000000);
  inv.timestamp = 1496314658;
  inv.payment_hash = PaymentHash(std::array<uint8_t, 32>{1, 2, 3});
  inv.payment_secret = PaymentSecret(std::array<uint8_t, 32>{0x11});
  inv.description = "coffee";
  inv.features = Features::from_bits({8, 14});  // var_onion_optin, payment_secret
  return inv;
}

std::string encode(const Invoice& inv) {
  auto text = encode_invoice(inv, test_key());
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().message);
  return text.ok() ? *text : "";
}

}  // namespace

TEST(Invoice, AmountsUseTheShortestMultiplier) {
  EXPECT_EQ(encode_amount(Msat(100'000'000'000)), "1");
  EXPECT_EQ(encode_amount(Msat(2'000'000'000)), "20m");
  EXPECT_EQ(encode_amount(Msat(250'000'000)), "2500u");
  EXPECT_EQ(encode_amount(Msat(100)), "1n");
  EXPECT_EQ(encode_amount(Msat(1)), "10p");
  EXPECT_EQ(encode_amount(Msat(967878534)), "9678785340p");
}

TEST(Invoice, BuiltInvoiceRoundTrips) {
  Invoice inv = basic_invoice();
  std::string text = encode(inv);
  EXPECT_EQ(text.substr(0, 10), "lnbc2500u1");
  auto back = decode_invoice(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->amount, inv.amount);
  EXPECT_EQ(back->description, inv.description);
  EXPECT_EQ(back->payment_hash, inv.payment_hash);
  EXPECT_EQ(back->payee, test_key().public_key().node_id());
  EXPECT_EQ(encode(*back), text);
}

TEST(Invoice, CurrenciesAndUnknownPrefix) {
  for (std::string currency : {"bc", "tb", "tbs", "bcrt"}) {
    Invoice inv = basic_invoice();
    inv.currency = currency;
    auto back = decode_invoice(encode(inv));
    ASSERT_TRUE(back.ok()) << currency;
    EXPECT_EQ(back->currency, currency);
    EXPECT_TRUE(network_of(currency).has_value());
  }
  Invoice inv = basic_invoice();
  inv.currency = "xx";
  auto back = decode_invoice(encode(inv));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().kind, InvoiceErrorKind::unknown_prefix);
}

TEST(Invoice, NFieldIsVerifiedInsteadOfRecovered) {
  Invoice inv = basic_invoice();
  inv.payee_node_id = test_key().public_key().node_id();
  auto back = decode_invoice(encode(inv));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->payee, *inv.payee_node_id);
  // Signing with another key than `n` is refused when writing...
  auto other = std::move(crypto::SecretKey::from_bytes(Bytes(32, 0x22))).value();
  EXPECT_FALSE(encode_invoice(inv, other).ok());
  // ...and detected when reading an invoice whose `n` is someone else.
  Invoice lying = basic_invoice();
  lying.fields = *build_fields(lying);
  RawField n{19, {}};
  Invoice with_n = basic_invoice();
  with_n.payee_node_id = other.public_key().node_id();
  auto with_n_fields = build_fields(with_n);
  ASSERT_TRUE(with_n_fields.ok());
  for (const RawField& f : *with_n_fields) {
    if (f.type == 19) n = f;
  }
  lying.fields.push_back(n);
  auto forged = decode_invoice(encode(lying));
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().kind, InvoiceErrorKind::invalid_signature);
}

TEST(Invoice, RequiredFields) {
  Invoice no_secret = basic_invoice();
  no_secret.payment_secret.reset();
  EXPECT_EQ(decode_invoice(encode(no_secret)).error().kind,
            InvoiceErrorKind::missing_payment_secret);
  Invoice no_description = basic_invoice();
  no_description.description.reset();
  EXPECT_EQ(decode_invoice(encode(no_description)).error().kind,
            InvoiceErrorKind::missing_description);
  Invoice hashed = no_description;
  hashed.description_hash = crypto::sha256(as_bytes("a long description"));
  EXPECT_TRUE(decode_invoice(encode(hashed)).ok());
  // A `p` of the wrong length is skipped, so the payment hash is missing.
  Invoice no_hash = basic_invoice();
  no_hash.fields = *build_fields(no_hash);
  no_hash.fields[0].data.pop_back();
  EXPECT_EQ(decode_invoice(encode(no_hash)).error().kind, InvoiceErrorKind::missing_payment_hash);
}

TEST(Invoice, FeatureBits) {
  Invoice inv = basic_invoice();
  inv.features.set_bit(99);  // unknown odd: ignored
  auto back = decode_invoice(encode(inv));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->features.has_bit(99));
  inv.features.set_bit(100);  // unknown even: refused, naming the bit
  auto refused = decode_invoice(encode(inv));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, InvoiceErrorKind::unknown_required_feature);
  EXPECT_NE(refused.error().message.find("100"), std::string::npos);

  Features f = Features::from_bits({8, 15, 17, 48, 99});
  EXPECT_EQ(features_from_groups(features_to_groups(f)), f);
  EXPECT_EQ(features_to_groups(Features::from_bits({0})), std::vector<uint8_t>{1});
  EXPECT_EQ(features_to_groups(Features::from_bits({5})), (std::vector<uint8_t>{1, 0}));
  // A BOLT 9 feature that is not defined for invoices counts as unknown.
  EXPECT_EQ(first_unknown_even_bit(Features::from_bits({8, 22})), 22u);
  EXPECT_FALSE(first_unknown_even_bit(Features::from_bits({8, 14, 16, 48, 101})).has_value());
}

TEST(Invoice, ExpiryAndCltvDefaults) {
  Invoice inv = basic_invoice();
  auto back = decode_invoice(encode(inv));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->expiry_seconds(), 3600u);
  EXPECT_EQ(back->min_final_cltv(), 18u);
  EXPECT_FALSE(back->is_expired(inv.timestamp + 3600));
  EXPECT_TRUE(back->is_expired(inv.timestamp + 3601));
  inv.expiry = 60;
  inv.min_final_cltv_expiry_delta = 144;
  back = decode_invoice(encode(inv));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->expiry_seconds(), 60u);
  EXPECT_EQ(back->min_final_cltv(), 144u);
}

TEST(Invoice, FallbacksAndRouteHints) {
  Invoice inv = basic_invoice();
  inv.fallbacks.push_back(Fallback{0, Bytes(20, 0xab)});
  inv.fallbacks.push_back(Fallback{17, Bytes(20, 0xcd)});
  inv.fallbacks.push_back(Fallback{1, Bytes(32, 0xef)});
  RouteHintHop hop;
  hop.pubkey = test_key().public_key().node_id();
  hop.short_channel_id = ShortChannelId(0x0102030405060708);
  hop.fee_base_msat = 1000;
  hop.fee_proportional_millionths = 2500;
  hop.cltv_expiry_delta = 40;
  inv.route_hints.push_back({hop, hop});
  auto back = decode_invoice(encode(inv));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->fallbacks, inv.fallbacks);
  EXPECT_EQ(back->route_hints, inv.route_hints);
  EXPECT_EQ(fallback_type(back->fallbacks[2]), "p2tr");
  // A fallback with an unknown version (19..31) is skipped, not an error.
  Invoice odd = basic_invoice();
  odd.fallbacks.push_back(Fallback{19, Bytes(20, 1)});
  back = decode_invoice(encode(odd));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->fallbacks.empty());
  // A route hint that is not a whole number of hops is malformed.
  Invoice bad_route = basic_invoice();
  bad_route.unknown_fields.push_back(RawField{3, std::vector<uint8_t>(10, 0)});
  EXPECT_EQ(decode_invoice(encode(bad_route)).error().kind, InvoiceErrorKind::invalid_field);
}

TEST(Invoice, Base58CheckMatchesKnownAddress) {
  // 1RustyRX2oai4EYYDpQGWvEL62BBGqN9T from BOLT 11's examples.
  EXPECT_EQ(base58check_encode(0, *from_hex("04b61f7dc1ea0dc99424464cc4064dc564d91e89")),
            "1RustyRX2oai4EYYDpQGWvEL62BBGqN9T");
  EXPECT_EQ(base58check_encode(0, Bytes(20, 0)), "1111111111111111111114oLvT2");
}

TEST(Invoice, DescriptionMustBeUtf8) {
  Invoice inv = basic_invoice();
  inv.description = std::string("\xc3\x28", 2);
  EXPECT_EQ(decode_invoice(encode(inv)).error().kind, InvoiceErrorKind::invalid_field);
  inv.description = "ナンセンス 1杯";
  EXPECT_TRUE(decode_invoice(encode(inv)).ok());
  inv.description = std::string("\xed\xa0\x80", 3);  // a UTF-16 surrogate
  EXPECT_FALSE(decode_invoice(encode(inv)).ok());
}

TEST(Invoice, AmountErrors) {
  std::string good = encode(basic_invoice());
  // Rebuilding the hrp breaks the checksum, so these go through the amount parser by
  // encoding a real invoice with a tampered currency string instead.
  Invoice inv = basic_invoice();
  inv.amount.reset();
  inv.currency = "bc0";  // "lnbc0" + no amount: amount "0" has a leading zero
  EXPECT_EQ(decode_invoice(encode(inv)).error().kind, InvoiceErrorKind::invalid_amount);
  inv.currency = "bc1x0";
  EXPECT_EQ(decode_invoice(encode(inv)).error().kind, InvoiceErrorKind::invalid_amount);
  inv.currency = "bc99999999999999999999m";
  EXPECT_EQ(decode_invoice(encode(inv)).error().kind, InvoiceErrorKind::invalid_amount);
  EXPECT_TRUE(decode_invoice(good).ok());
}

TEST(Invoice, BadInputIsAnErrorNotACrash) {
  EXPECT_EQ(decode_invoice("").error().kind, InvoiceErrorKind::bech32);
  EXPECT_EQ(decode_invoice(std::string(8000, 'q')).error().kind, InvoiceErrorKind::bech32);
  Invoice inv = basic_invoice();
  inv.timestamp = uint64_t{1} << 35;
  EXPECT_FALSE(encode_invoice(inv, test_key()).ok());
}
