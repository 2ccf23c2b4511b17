// BIP 173 / BIP 350 vectors for the generic bech32 codec and segwit addresses.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "bitcoin/bech32.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

using test::load_vectors;
using test::unhex;

std::string vector_string(const nlohmann::json& entry) {
  if (entry.contains("hex")) {
    Bytes raw = unhex(entry["hex"].get<std::string>());
    return std::string(raw.begin(), raw.end());
  }
  return entry["string"].get<std::string>();
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void check_valid(const nlohmann::json& list, Bech32Encoding want) {
  ASSERT_FALSE(list.empty());
  for (const auto& v : list) {
    std::string s = v.get<std::string>();
    auto dec = bech32_decode(s);
    ASSERT_TRUE(dec.ok()) << s << ": " << dec.error().message;
    EXPECT_EQ(dec->encoding, want) << s;
    EXPECT_EQ(bech32_encode(dec->hrp, dec->data, want), lower(s));
  }
}

void check_invalid(const nlohmann::json& list, Bech32Encoding variant) {
  ASSERT_FALSE(list.empty());
  for (const auto& v : list) {
    std::string s = vector_string(v);
    auto dec = bech32_decode(s);
    // Invalid for this variant: rejected, or (for the other variant's strings) decoded as
    // the other variant.
    EXPECT_TRUE(!dec.ok() || dec->encoding != variant) << s << " " << v["reason"];
  }
}

TEST(Bech32, Bip173Valid) { check_valid(load_vectors("bitcoin/bip173_bip350.json")["valid_bech32"], Bech32Encoding::Bech32); }
TEST(Bech32, Bip350Valid) { check_valid(load_vectors("bitcoin/bip173_bip350.json")["valid_bech32m"], Bech32Encoding::Bech32m); }
TEST(Bech32, Bip173Invalid) {
  check_invalid(load_vectors("bitcoin/bip173_bip350.json")["invalid_bech32"], Bech32Encoding::Bech32);
}
TEST(Bech32, Bip350Invalid) {
  check_invalid(load_vectors("bitcoin/bip173_bip350.json")["invalid_bech32m"], Bech32Encoding::Bech32m);
}

TEST(Bech32, EachVariantRejectsTheOthersStrings) {
  auto v = load_vectors("bitcoin/bip173_bip350.json");
  for (const auto& s : v["valid_bech32"]) {
    auto dec = bech32_decode(s.get<std::string>());
    ASSERT_TRUE(dec.ok());
    EXPECT_NE(dec->encoding, Bech32Encoding::Bech32m);
  }
}

TEST(Bech32, MaxLengthIsAParameter) {
  // A long BOLT 11-style string: valid with a larger limit, rejected at 90.
  std::vector<uint8_t> data(200, 7);
  std::string s = bech32_encode("lnbc", data, Bech32Encoding::Bech32);
  EXPECT_FALSE(bech32_decode(s).ok());
  auto dec = bech32_decode(s, 1023);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(dec->hrp, "lnbc");
  EXPECT_EQ(dec->data, data);
}

Network network_for(const std::string& address) {
  std::string l = lower(address);
  if (l.rfind("bcrt1", 0) == 0) return Network::Regtest;
  if (l.rfind("tb1", 0) == 0) return Network::Testnet;
  return Network::Main;
}

TEST(SegwitAddress, Bip350ValidAddresses) {
  auto v = load_vectors("bitcoin/bip173_bip350.json")["valid_address"];
  ASSERT_EQ(v.size(), 8u);
  for (const auto& e : v) {
    std::string addr = e[0].get<std::string>();
    auto script = segwit_address_to_script(network_for(addr), addr);
    ASSERT_TRUE(script.ok()) << addr << ": " << script.error().message;
    EXPECT_EQ(script->to_hex(), e[1].get<std::string>());
    auto again = encode_segwit_address(network_for(addr), *script);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, lower(addr));
  }
}

TEST(SegwitAddress, InvalidAddresses) {
  auto v = load_vectors("bitcoin/bip173_bip350.json")["invalid_address"];
  ASSERT_GE(v.size(), 15u);
  for (const auto& e : v) {
    std::string addr = e[0].get<std::string>();
    for (Network n : {Network::Main, Network::Testnet, Network::Regtest}) {
      EXPECT_FALSE(decode_segwit_address(n, addr).ok()) << addr << " " << e[1];
    }
  }
}

TEST(SegwitAddress, NetworksAndWrongPrefix) {
  Bytes program(20, 0x11);
  auto reg = encode_segwit_address(Network::Regtest, 0, program);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->substr(0, 5), "bcrt1");
  EXPECT_TRUE(decode_segwit_address(Network::Regtest, *reg).ok());
  EXPECT_FALSE(decode_segwit_address(Network::Main, *reg).ok());
  auto sig = encode_segwit_address(Network::Signet, 1, Bytes(32, 2));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->substr(0, 4), "tb1p");
  EXPECT_FALSE(encode_segwit_address(Network::Main, 0, Bytes(21, 0)).ok());
  EXPECT_FALSE(encode_segwit_address(Network::Main, 17, Bytes(32, 0)).ok());
}

RC_GTEST_PROP(Bech32, ConvertBitsRoundTrips, (std::vector<uint8_t> bytes)) {
  auto five = convert_bits(bytes, 8, 5, true);
  RC_ASSERT(five.has_value());
  for (uint8_t v : *five) RC_ASSERT(v < 32);
  auto back = convert_bits(*five, 5, 8, false);
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == bytes);
}

RC_GTEST_PROP(Bech32, EncodeDecodeRoundTrips, (std::vector<uint8_t> raw, bool m)) {
  std::vector<uint8_t> data;
  for (uint8_t v : raw) data.push_back(v & 31);
  auto enc = m ? Bech32Encoding::Bech32m : Bech32Encoding::Bech32;
  std::string s = bech32_encode("hrp", data, enc);
  auto dec = bech32_decode(s, 10000);
  RC_ASSERT(dec.ok());
  RC_ASSERT(dec->data == data);
  RC_ASSERT(dec->encoding == enc);
  // Any single-character substitution in the data part is detected (BCH guarantee).
  if (!data.empty()) {
    size_t pos = 4 + *rc::gen::inRange<size_t>(0, data.size());
    std::string bad = s;
    bad[pos] = bad[pos] == 'q' ? 'p' : 'q';
    RC_ASSERT(!bech32_decode(bad, 10000).ok());
  }
}

}  // namespace
}  // namespace fulgur::bitcoin
