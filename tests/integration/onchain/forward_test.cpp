// A forward resolved on chain between real nodes on l1sim: A pays C through B (channels A->B
// and B->C), C holds the HTLC (dev-hold-htlcs) and the B->C channel ends on chain. When C
// never settles and goes away, B's deadline for the HTLC it offered makes it close B->C, its
// HTLC-timeout confirms, and A's payment is failed upstream long before A's own HTLC expires,
// with A->B still open. When B closes B->C while C holds the HTLC, C claims it on chain with
// the preimage (a keysend) and B settles A's HTLC with it off chain: A's payment succeeds. Both channel
// types. Every wait polls for a condition with a generous bound; blocks are mined one at a time.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "integration/channel/node_process.h"

using namespace fulgur;
using namespace fulgur::test;

namespace {

constexpr uint32_t DELAY = 6;           // to_self_delay each node imposes on the other
constexpr uint32_t B_CLTV_DELTA = 40;  // B's cltv_expiry_delta: its time to resolve on chain
constexpr uint64_t AMOUNT = 5'000'000;
constexpr uint16_t PERMANENT_CHANNEL_FAILURE = 0x4008;

class ForwardOnchain : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "fulgur-forward-XXXXXX").string();
    m_dir = ::mkdtemp(tmpl.data());
    l1 = std::make_unique<L1simProcess>(m_dir / "l1");
    std::vector<std::string> delay = {"to-self-delay=" + std::to_string(DELAY)};
    a = std::make_unique<NodeProcess>(m_dir / "a", *l1, delay);
    auto conf_b = delay;
    conf_b.push_back("cltv-expiry-delta=" + std::to_string(B_CLTV_DELTA));
    b = std::make_unique<NodeProcess>(m_dir / "b", *l1, conf_b);
    auto conf_c = delay;
    conf_c.push_back("dev-hold-htlcs=1");  // C never settles off chain
    c = std::make_unique<NodeProcess>(m_dir / "c", *l1, conf_c);
    auto addr = l1->client().get_new_address();
    ASSERT_TRUE(addr.ok());
    m_burn = *addr;
    fund(*a);
    fund(*b);
    ab = open(*a, *b, 2'000'000);
    bc = open(*b, *c, 2'000'000);
    ASSERT_FALSE(ab.id.empty());
    ASSERT_FALSE(bc.id.empty());
  }
  void TearDown() override {
    a.reset();
    b.reset();
    c.reset();
    l1.reset();
    if (!HasFailure()) fs::remove_all(m_dir);
  }

  struct Chan {
    std::string id;
    std::string scid;
  };

  void mine(uint32_t blocks) {
    auto r = l1->client().generate_to_address(blocks, m_burn);
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  uint32_t height() const {
    auto h = l1->client().get_block_count();
    return h.ok() ? *h : 0;
  }
  void fund(NodeProcess& n) {
    auto addr = n.ok({"newaddr"});
    ASSERT_TRUE(addr["address"].is_string()) << addr.dump();
    ASSERT_TRUE(l1->client().generate_to_address(1, addr["address"]).ok());
    mine(100);
  }
  Chan open(NodeProcess& from, NodeProcess& to, uint64_t sat) {
    auto connected = from.cli({"connect", to.uri()});
    EXPECT_EQ(connected.exit_code, 0) << connected.out;
    auto o = from.cli({"openchannel", to.id(), std::to_string(sat), "--type", GetParam()});
    EXPECT_EQ(o.exit_code, 0) << o.out;
    if (o.exit_code != 0) return {};
    std::string id = o.parsed["channel"]["channel_id"];
    mine(3);
    json x, y;
    bool ready = eventually([&] {
      x = from.channel(id);
      y = to.channel(id);
      return x.is_object() && y.is_object() && x["state"] == "normal" && y["state"] == "normal" &&
             x["peer_connected"] == true && y["peer_connected"] == true &&
             x["short_channel_id"].is_string() && y["short_channel_id"].is_string();
    });
    EXPECT_TRUE(ready) << x.dump() << "\n" << y.dump();
    return ready ? Chan{id, x["short_channel_id"]} : Chan{};
  }
  json route_to_c() const {
    auto hop = [](const NodeProcess& n, const Chan& via, uint64_t base, uint32_t delta) {
      return json{{"node_id", n.id()},
                  {"short_channel_id", via.scid},
                  {"fee_base_msat", base},
                  {"fee_proportional_millionths", base == 0 ? 0 : 1},
                  {"cltv_expiry_delta", delta}};
    };
    return json::array({hop(*b, ab, 0, 0), hop(*c, bc, 1000, B_CLTV_DELTA)});
  }

  // Mines one block and waits until `n` has seen it (and its resolver of channel `id`, once
  // that resolves).
  void step(const NodeProcess& n, const std::string& id) {
    mine(1);
    uint32_t h = height();
    ASSERT_TRUE(eventually([&] {
      json info = n.ok({"getinfo"})["channeld"];
      if (!info.is_object() || info["block_height"].get<uint32_t>() < h) return false;
      auto oc = n.channel(id)["onchain"];
      if (!oc.is_object()) return false;
      if (oc["spend_height"].get<uint32_t>() == 0) return true;  // still watching
      return oc["spend_height"].get<uint32_t>() + oc["spend_confirmations"].get<uint32_t>() - 1 >= h;
    })) << n.channel(id).dump();
  }

  // The HTLC of A's payment, committed on both channels: (A's HTLC expiry, B's HTLC expiry).
  std::pair<uint32_t, uint32_t> committed_everywhere() {
    uint32_t in = 0, out = 0;
    bool ok = eventually([&] {
      auto x = a->channel(ab.id), y = c->channel(bc.id), z = b->channel(bc.id);
      if (x["htlcs"].size() != 1 || y["htlcs"].size() != 1 || z["htlcs"].size() != 1) {
        return false;
      }
      in = x["htlcs"][0]["cltv_expiry"];
      out = z["htlcs"][0]["cltv_expiry"];
      return true;
    });
    EXPECT_TRUE(ok) << a->channel(ab.id).dump() << c->channel(bc.id).dump();
    return {in, out};
  }

  json payment(const std::string& hash) {
    json all = a->ok({"listpayments"})["payments"];
    for (const auto& p : all) {
      if (p["payment_hash"] == hash) return p;
    }
    return nullptr;
  }

  fs::path m_dir;
  std::string m_burn;
  std::unique_ptr<L1simProcess> l1;
  std::unique_ptr<NodeProcess> a, b, c;
  Chan ab, bc;
};

TEST_P(ForwardOnchain, DownstreamNeverSettlesTimedOutOnChainAndUpstreamFailedInTime) {
  auto inv = c->ok({"invoice", std::to_string(AMOUNT), "held", "--expiry", "3600"});
  ASSERT_TRUE(inv["bolt11"].is_string()) << inv.dump();
  std::string hash = inv["payment_hash"];
  Child paying = a->cli_async({"pay", inv["bolt11"], "--route", route_to_c().dump(),
                               "--timeout-s", "600"});
  auto [in_expiry, out_expiry] = committed_everywhere();
  ASSERT_GT(out_expiry, 0u);
  EXPECT_EQ(in_expiry, out_expiry + B_CLTV_DELTA);
  // C holds the HTLC and goes away: it will never settle it, on or off chain.
  c->stop();

  // BOLT 2: past the HTLC's deadline (its cltv_expiry) B fails B->C and goes on chain; its
  // HTLC-timeout confirms after cltv_expiry; once that is deep enough (BOLT 5) A's HTLC fails.
  uint32_t guard = 0;
  while (!payment(hash).is_object() || payment(hash)["status"] == "pending") {
    ASSERT_LT(height(), in_expiry) << "A's HTLC about to expire: " << b->channel(bc.id).dump();
    ASSERT_LT(++guard, 200u);
    step(*b, bc.id);
    if (HasFatalFailure()) return;
  }
  uint32_t failed_at = height();
  EXPECT_LT(failed_at, in_expiry);
  json p = payment(hash);
  EXPECT_EQ(p["status"], "failed") << p.dump();
  EXPECT_EQ(p["failure_code"], PERMANENT_CHANNEL_FAILURE) << p.dump();
  EXPECT_EQ(p["erring_node"], b->id()) << p.dump();
  Output done = finish(std::move(paying));
  EXPECT_NE(done.exit_code, 0) << done.out;
  EXPECT_EQ(done.parsed["error"]["code"], "payment_failed") << done.out;

  // B->C ended by B's commitment, the HTLC by B's HTLC-timeout after its expiry.
  json oc = b->channel(bc.id)["onchain"];
  EXPECT_EQ(oc["spend_kind"], "local_commitment") << oc.dump();
  EXPECT_GE(oc["spend_height"].get<uint32_t>(), out_expiry);
  bool timeout_confirmed = false;
  for (const auto& o : oc["outputs"]) {
    if (o["role"] != "local_offered_htlc") continue;
    EXPECT_EQ(o["status"], "spent_by_us") << oc.dump();
    for (const auto& cl : oc["claims"]) {
      if (cl["txid"] == o["spent_by"]) {
        timeout_confirmed = cl["kind"] == "htlc_tx" && cl["confirmations"].get<uint32_t>() >= 1;
      }
    }
  }
  EXPECT_TRUE(timeout_confirmed) << oc.dump();
  // A->B stays open with nothing in flight; A paid nothing; B's forward failed.
  ASSERT_TRUE(eventually([&] {
    auto x = a->channel(ab.id), y = b->channel(ab.id);
    return x["state"] == "normal" && y["state"] == "normal" && x["htlcs"].empty() &&
           y["htlcs"].empty();
  })) << a->channel(ab.id).dump();
  EXPECT_EQ(a->channel(ab.id)["to_us_msat"], 2'000'000'000u);
  auto forwards = b->ok({"listforwards"})["forwards"];
  ASSERT_EQ(forwards.size(), 1u);
  EXPECT_EQ(forwards[0]["status"], "failed") << forwards.dump();
}

TEST_P(ForwardOnchain, PreimageClaimedOnChainDownstreamSettlesUpstream) {
  // A keysend (C's registry accepts it on chain too: its expiry is final-cltv-delta, 40
  // blocks, away; an invoice's 18 would be too near by then).
  Child paying = a->cli_async({"keysend", c->id(), std::to_string(AMOUNT), "--route",
                               route_to_c().dump(), "--timeout-s", "600"});
  auto [in_expiry, out_expiry] = committed_everywhere();
  ASSERT_GT(out_expiry, 0u);
  std::string hash = a->channel(ab.id)["htlcs"][0]["payment_hash"];
  EXPECT_EQ(in_expiry, out_expiry + B_CLTV_DELTA);
  // B closes B->C with the HTLC in flight; C (holding it) claims it on chain with the
  // preimage, and B settles A's HTLC with what it reads there.
  auto closed = b->cli({"close", bc.id, "--force"});
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  uint32_t guard = 0;
  while (!payment(hash).is_object() || payment(hash)["status"] == "pending") {
    ASSERT_LT(++guard, 10u) << b->channel(bc.id).dump() << c->channel(bc.id).dump();
    step(*b, bc.id);
    if (HasFatalFailure()) return;
  }
  EXPECT_LT(height(), out_expiry);
  json p = payment(hash);
  EXPECT_EQ(p["status"], "succeeded") << p.dump();
  auto preimage = Preimage::from_hex(p["preimage"].get<std::string>());
  ASSERT_TRUE(preimage.ok());
  EXPECT_EQ(crypto::sha256(preimage->span()).to_hex(), hash);
  Output done = finish(std::move(paying));
  EXPECT_EQ(done.exit_code, 0) << done.out;
  json oc = b->channel(bc.id)["onchain"];
  for (const auto& o : oc["outputs"]) {
    if (o["role"] == "local_offered_htlc") {
      EXPECT_EQ(o["status"], "spent_by_peer") << oc.dump();
    }
  }
  // A->B stays open; B earned its fee there, its side of B->C went to C on chain.
  ASSERT_TRUE(eventually([&] {
    auto x = a->channel(ab.id), y = b->channel(ab.id);
    return x["state"] == "normal" && x["htlcs"].empty() && y["htlcs"].empty();
  })) << a->channel(ab.id).dump();
  EXPECT_EQ(b->channel(ab.id)["to_us_msat"], AMOUNT + 1000 + AMOUNT / 1'000'000);
  auto forwards = b->ok({"listforwards"})["forwards"];
  ASSERT_EQ(forwards.size(), 1u);
  EXPECT_EQ(forwards[0]["status"], "settled") << forwards.dump();
}

INSTANTIATE_TEST_SUITE_P(Both, ForwardOnchain, ::testing::Values("static_remotekey", "anchors"));

}  // namespace
