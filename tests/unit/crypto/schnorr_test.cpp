// BIP 340 Schnorr signatures: the BIP's published test vectors (tests/vectors/crypto/bip340.csv).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/keys.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::crypto;
using fulgur::test::unhex;

namespace {
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) fields.push_back(field);
    if (line.back() == ',') fields.emplace_back();
    rows.push_back(fields);
  }
  return rows;
}
}  // namespace

TEST(Schnorr, Bip340Vectors) {
  auto rows = read_csv(std::string(FULGUR_VECTORS_DIR) + "/crypto/bip340.csv");
  ASSERT_EQ(rows.size(), 15u);
  int signed_count = 0;
  for (const auto& row : rows) {
    ASSERT_GE(row.size(), 7u);
    const std::string& index = row[0];
    Bytes message = unhex(row[4]);
    Bytes signature = unhex(row[5]);
    bool expected = row[6] == "TRUE";
    if (!row[1].empty()) {
      auto key = SecretKey::from_bytes(unhex(row[1]));
      ASSERT_TRUE(key.ok()) << index;
      EXPECT_EQ(to_hex(XOnlyPublicKey::from_secret(*key).serialize()), to_hex(unhex(row[2]))) << index;
      Bytes aux = unhex(row[3]);
      auto sig = schnorr_sign(*key, message, std::span<const uint8_t, 32>(aux.data(), 32));
      EXPECT_EQ(to_hex(sig), to_hex(signature)) << "signing vector " << index;
      ++signed_count;
    }
    auto pub = XOnlyPublicKey::parse(unhex(row[2]));
    bool verified = pub.ok() && schnorr_verify(*pub, message, signature);
    EXPECT_EQ(verified, expected) << "verification vector " << index << " " << row[7];
  }
  EXPECT_EQ(signed_count, 4);
}

TEST(Schnorr, RejectsBadKeysAndSignatures) {
  EXPECT_FALSE(XOnlyPublicKey::parse(Bytes(31, 1)).ok());
  EXPECT_FALSE(XOnlyPublicKey::parse(unhex("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34")).ok());
  SecretKey key = SecretKey::random();
  std::array<uint8_t, 32> aux{};
  auto sig = schnorr_sign(key, as_bytes("msg"), aux);
  auto pub = XOnlyPublicKey::from_secret(key);
  EXPECT_TRUE(schnorr_verify(pub, as_bytes("msg"), sig));
  EXPECT_FALSE(schnorr_verify(pub, as_bytes("msh"), sig));
  EXPECT_FALSE(schnorr_verify(pub, as_bytes("msg"), ByteSpan(sig.data(), 63)));
}
