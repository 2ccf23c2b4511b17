// Hex: exact round trips, and errors (not crashes) for odd lengths and non-hex input.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "common/hex.h"

using namespace fulgur;

TEST(Hex, EncodesLowercase) {
  std::vector<uint8_t> bytes{0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(to_hex(bytes), "00abff10");
  EXPECT_EQ(to_hex({}), "");
}

TEST(Hex, DecodesBothCases) {
  auto bytes = from_hex("00ABff10");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0x00, 0xab, 0xff, 0x10}));
}

TEST(Hex, RejectsBadInput) {
  auto odd = from_hex("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message.find("odd length"), std::string::npos);
  auto bad = from_hex("0g");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("position 1"), std::string::npos);
  EXPECT_FALSE(from_hex("0x00").ok());
  EXPECT_FALSE(from_hex(" 0").ok());
  EXPECT_FALSE(from_hex(std::string("0\0", 2)).ok());
}

RC_GTEST_PROP(HexProperty, RoundTrips, (const std::vector<uint8_t>& bytes)) {
  auto decoded = from_hex(to_hex(bytes));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == bytes);
}

RC_GTEST_PROP(HexProperty, NeverCrashesOnArbitraryText, (const std::string& text)) {
  auto decoded = from_hex(text);
  if (decoded.ok()) RC_ASSERT(decoded->size() * 2 == text.size());
}
