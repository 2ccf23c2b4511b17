// Peer addresses as the user types them: nodeid@host:port with numeric IPv4 or [IPv6].
#include <gtest/gtest.h>

#include "channeld/peers.h"

using namespace fulgur::channeld;

namespace {
const char* const ID = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";
}

TEST(PeerUri, ParsesIdHostAndPort) {
  auto u = PeerUri::parse(std::string(ID) + "@127.0.0.1:9735");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->id.to_hex(), ID);
  EXPECT_EQ(u->address.host, "127.0.0.1");
  EXPECT_EQ(u->address.port, 9735);
  EXPECT_EQ(u->address.to_string(), "127.0.0.1:9735");
  auto v6 = PeerUri::parse(std::string(ID) + "@[::1]:1");
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  EXPECT_EQ(v6->address.host, "::1");
  EXPECT_EQ(v6->address.to_string(), "[::1]:1");
}

TEST(PeerUri, RefusesWhatCannotBeDialed) {
  for (std::string bad : {std::string(ID), std::string(ID) + "@127.0.0.1",
                          std::string(ID) + "@127.0.0.1:0", std::string(ID) + "@127.0.0.1:65536",
                          std::string(ID) + "@127.0.0.1:9x", std::string(ID) + "@localhost:9735",
                          std::string("02zz@127.0.0.1:9735"),
                          // not a point on the curve
                          std::string(66, '0') + "@127.0.0.1:9735",
                          std::string(ID) + "@[::1:9735"}) {
    EXPECT_FALSE(PeerUri::parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(PeerAddress::parse("127.0.0.1:0", true).ok());
}
