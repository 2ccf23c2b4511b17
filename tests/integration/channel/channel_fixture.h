// Two Fulgur nodes (a, b) on one l1sim, as real processes driven through fulgur-cli: the
// fixture the channel and on-chain integration tests share. Helpers fund a node's L1
// wallet, open a channel to depth and wait until both sides agree on the balances. Waits
// poll for conditions with a generous bound; nothing measures speed.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "node_process.h"

namespace fulgur::test {

class ChannelFixture : public ::testing::Test {
 protected:
  // Extra fulgur.conf lines for each node.
  virtual std::vector<std::string> conf_a() const { return {}; }
  virtual std::vector<std::string> conf_b() const { return {}; }

  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "fulgur-channel-XXXXXX").string();
    m_dir = ::mkdtemp(tmpl.data());
    l1 = std::make_unique<L1simProcess>(m_dir / "l1");
    a = std::make_unique<NodeProcess>(m_dir / "a", *l1, conf_a());
    b = std::make_unique<NodeProcess>(m_dir / "b", *l1, conf_b());
    auto addr = l1->client().get_new_address();
    ASSERT_TRUE(addr.ok());
    m_burn = *addr;
  }
  void TearDown() override {
    a.reset();
    b.reset();
    l1.reset();
    if (!HasFailure()) fs::remove_all(m_dir);
  }

  void mine(uint32_t blocks) {
    auto r = l1->client().generate_to_address(blocks, m_burn);
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  uint32_t height() const {
    auto h = l1->client().get_block_count();
    return h.ok() ? *h : 0;
  }

  // Mature coins in the L1 wallet, received on the node's own new address.
  void fund(NodeProcess& n) {
    auto addr = n.ok({"newaddr"});
    ASSERT_TRUE(addr["address"].is_string()) << addr.dump();
    auto r = l1->client().generate_to_address(1, addr["address"]);
    ASSERT_TRUE(r.ok());
    mine(100);
  }

  // Opens from `from` to `to`, mines to depth, waits until both sides are normal.
  std::string open(NodeProcess& from, NodeProcess& to, uint64_t sat, uint64_t push_msat,
                   const std::string& type) {
    auto c = from.cli({"connect", to.uri()});
    EXPECT_EQ(c.exit_code, 0) << c.out;
    auto o = from.cli({"openchannel", to.id(), std::to_string(sat), "--push-msat",
                       std::to_string(push_msat), "--type", type});
    EXPECT_EQ(o.exit_code, 0) << o.out;
    if (o.exit_code != 0) return "";
    std::string id = o.parsed["channel"]["channel_id"];
    EXPECT_EQ(o.parsed["channel"]["state"], "awaiting_lockin");
    mine(3);  // the accepter's default minimum_depth
    bool normal = eventually([&] {
      auto x = from.channel(id);
      auto y = to.channel(id);
      return x.is_object() && y.is_object() && x["state"] == "normal" && y["state"] == "normal" &&
             x["peer_connected"] == true && y["peer_connected"] == true;
    });
    EXPECT_TRUE(normal) << from.channel(id).dump() << to.channel(id).dump();
    return id;
  }

  static uint64_t to_us(const json& channel) { return channel["to_us_msat"].get<uint64_t>(); }

  // Both sides see the same commitment balances and no HTLC in flight.
  void expect_agreement(const std::string& id, uint64_t total_msat) {
    json x, y;
    bool settled = eventually([&] {
      x = a->channel(id);
      y = b->channel(id);
      return x.is_object() && y.is_object() && x["htlcs"].empty() && y["htlcs"].empty() &&
             x["to_us_msat"] == y["to_them_msat"] && x["to_them_msat"] == y["to_us_msat"];
    });
    EXPECT_TRUE(settled) << x.dump() << "\n" << y.dump();
    EXPECT_EQ(to_us(x) + to_us(y), total_msat);
  }

  fs::path m_dir;
  std::string m_burn;
  std::unique_ptr<L1simProcess> l1;
  std::unique_ptr<NodeProcess> a;
  std::unique_ptr<NodeProcess> b;
};

}  // namespace fulgur::test
