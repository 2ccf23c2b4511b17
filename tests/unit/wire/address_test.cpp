// BOLT 7 address descriptors: each type parsed and encoded, unknown types stop parsing,
// truncated descriptors and non-ASCII hostnames are a warning.
#include <gtest/gtest.h>

#include "support/vectors.h"
#include "wire/address.h"

using namespace fulgur;
using namespace fulgur::wire;
using fulgur::test::unhex;

TEST(Addresses, EveryTypeRoundTrips) {
  std::vector<Address> addrs = {
      {AddressType::Ipv4, {203, 0, 113, 7}, 9735},
      {AddressType::Ipv6, unhex("20010db8000000000000000000000001"), 9735},
      {AddressType::TorV3, Bytes(35, 0xab), 9735},
      {AddressType::Dns, Bytes{'n', 'o', 'd', 'e', '.', 'e', 'x'}, 9735},
  };
  Bytes wire = encode_addresses(addrs);
  EXPECT_EQ(to_hex(ByteSpan(wire).first(7)), "01cb0071072607");
  auto parsed = parse_addresses(wire);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->addresses, addrs);
  EXPECT_FALSE(parsed->stopped_at_unknown);
  EXPECT_EQ(to_string(addrs[0]), "203.0.113.7:9735");
  EXPECT_EQ(to_string(addrs[1]), "[2001:db8:0:0:0:0:0:1]:9735");
  EXPECT_EQ(to_string(addrs[3]), "node.ex:9735");
}

TEST(Addresses, UnknownTypeStopsParsing) {
  auto parsed = parse_addresses(unhex("017f0000012607" "09ffff" "017f0000012607"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->addresses.size(), 1u);
  EXPECT_TRUE(parsed->stopped_at_unknown);
}

TEST(Addresses, TruncatedOrNonAsciiIsAWarning) {
  for (const char* hex : {"017f000001", "017f00000126", "02", "0503616263", "050261ff2607"}) {
    auto parsed = parse_addresses(unhex(hex));
    ASSERT_FALSE(parsed.ok()) << hex;
    EXPECT_EQ(parsed.error().action, PeerAction::Warn);
  }
}

TEST(Addresses, RemoteAddrIsExactlyOneDescriptor) {
  EXPECT_TRUE(parse_address(unhex("017f0000012607")).ok());
  EXPECT_FALSE(parse_address(unhex("017f000001260700")).ok());
  EXPECT_FALSE(parse_address(unhex("09")).ok());
  EXPECT_FALSE(parse_address({}).ok());
}
