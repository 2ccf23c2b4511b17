// Multi-hop payments between real nodes: l1sim and three fulgurd nodes A, B, C (each with
// its channeld) with channels A->B and B->C, driven through fulgur-cli. Invoices paid over
// one and two hops (B earns exactly its fee, every balance checked on both sides of each
// channel), failures decoded at A with the code and the hop that sent them, a multi-part
// payment held by C until its total arrives (and one that times out), and B's channeld
// killed with SIGKILL in the middle of a burst of forwards: it comes back and settles or
// fails every HTLC, no msat is lost, and later payments work. Waits poll for conditions with
// a generous bound; nothing measures speed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "channeld/node_secret.h"
#include "crypto/hash.h"
#include "invoice/invoice.h"
#include "node_process.h"

using namespace fulgur;
using namespace fulgur::test;

namespace {

// B's forwarding policy (fulgur.conf), and the fee it takes for `amount`.
constexpr uint64_t B_FEE_BASE = 1000;
constexpr uint64_t B_FEE_PPM = 100;
constexpr uint32_t B_CLTV_DELTA = 40;
uint64_t b_fee(uint64_t amount) { return B_FEE_BASE + amount * B_FEE_PPM / 1'000'000; }

// BOLT 4 failure codes.
constexpr uint16_t UNKNOWN_NEXT_PEER = 0x400a;
constexpr uint16_t FEE_INSUFFICIENT = 0x100c;
constexpr uint16_t EXPIRY_TOO_SOON = 0x100e;
constexpr uint16_t INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS = 0x400f;
constexpr uint16_t MPP_TIMEOUT = 0x0017;
constexpr uint16_t INVALID_ONION_HMAC = 0xc005;

class Payments : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "fulgur-payment-XXXXXX").string();
    m_dir = ::mkdtemp(tmpl.data());
    l1 = std::make_unique<L1simProcess>(m_dir / "l1");
    a = std::make_unique<NodeProcess>(m_dir / "a", *l1);
    b = std::make_unique<NodeProcess>(
        m_dir / "b", *l1,
        std::vector<std::string>{"fee-base-msat=" + std::to_string(B_FEE_BASE),
                                 "fee-proportional-millionths=" + std::to_string(B_FEE_PPM),
                                 "cltv-expiry-delta=" + std::to_string(B_CLTV_DELTA)});
    // C holds an incomplete multi-part payment for 30 s (a bound on the test's two calls,
    // not a speed requirement), then fails it.
    c = std::make_unique<NodeProcess>(m_dir / "c", *l1, std::vector<std::string>{"mpp-timeout-s=30"});
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

  void fund(NodeProcess& n) {
    auto addr = n.ok({"newaddr"});
    ASSERT_TRUE(addr["address"].is_string()) << addr.dump();
    ASSERT_TRUE(l1->client().generate_to_address(1, addr["address"]).ok());
    mine(100);
  }

  // Opens from `from` to `to` (no push), mines to depth, waits until both sides are normal
  // and know the short_channel_id.
  Chan open(NodeProcess& from, NodeProcess& to, uint64_t sat) {
    auto connected = from.cli({"connect", to.uri()});
    EXPECT_EQ(connected.exit_code, 0) << connected.out;
    auto o = from.cli({"openchannel", to.id(), std::to_string(sat)});
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
    if (!ready) return {};
    EXPECT_EQ(x["short_channel_id"], y["short_channel_id"]);
    return {id, x["short_channel_id"]};
  }

  static uint64_t to_us(const json& channel) { return channel["to_us_msat"].get<uint64_t>(); }

  // Both sides of a channel agree on the balances and hold no HTLC; returns what `left` has.
  uint64_t settled(NodeProcess& left, NodeProcess& right, const std::string& id) {
    json x, y;
    bool ok = eventually([&] {
      x = left.channel(id);
      y = right.channel(id);
      return x.is_object() && y.is_object() && x["htlcs"].empty() && y["htlcs"].empty() &&
             x["to_us_msat"] == y["to_them_msat"] && x["to_them_msat"] == y["to_us_msat"];
    });
    EXPECT_TRUE(ok) << x.dump() << "\n" << y.dump();
    return x.is_object() ? to_us(x) : 0;
  }

  struct Balances {
    uint64_t a_on_ab = 0, b_on_ab = 0, b_on_bc = 0, c_on_bc = 0;
  };
  Balances balances() {
    Balances s;
    s.a_on_ab = settled(*a, *b, ab.id);
    s.b_on_ab = to_us(b->channel(ab.id));
    s.b_on_bc = settled(*b, *c, bc.id);
    s.c_on_bc = to_us(c->channel(bc.id));
    return s;
  }

  static json hop(const NodeProcess& n, const Chan& via, uint64_t base = B_FEE_BASE,
                  uint64_t ppm = B_FEE_PPM, uint32_t delta = B_CLTV_DELTA) {
    return {{"node_id", n.id()},
            {"short_channel_id", via.scid},
            {"fee_base_msat", base},
            {"fee_proportional_millionths", ppm},
            {"cltv_expiry_delta", delta}};
  }
  json route_to_c() const { return json::array({hop(*b, ab, 0, 0, 0), hop(*c, bc)}); }

  std::string invoice(NodeProcess& n, uint64_t msat, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"invoice", std::to_string(msat), "test payment"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = n.ok(args);
    EXPECT_TRUE(r["bolt11"].is_string()) << r.dump();
    return r.value("bolt11", "");
  }

  Output pay(const std::string& bolt11, const json& route) {
    return a->cli({"pay", bolt11, "--route", route.dump()});
  }

  // A failed payment: its code and the hop (index, node) that sent it.
  void expect_failure(const Output& o, uint16_t code, int hop_index, const NodeProcess& erring) {
    EXPECT_NE(o.exit_code, 0) << o.out;
    ASSERT_TRUE(o.parsed.is_object()) << o.out;
    EXPECT_EQ(o.parsed["error"]["code"], "payment_failed") << o.out;
    std::string hash = o.parsed["error"]["message"];
    hash = hash.substr(hash.rfind(' ') + 1, 64);
    json p, all = a->ok({"listpayments"})["payments"];
    for (const auto& x : all) {
      if (x["payment_hash"] == hash) p = x;
    }
    ASSERT_TRUE(p.is_object()) << o.out << "\n" << hash << "\n" << all.dump();
    EXPECT_EQ(p["status"], "failed");
    EXPECT_EQ(p["failure_code"], code) << p.dump();
    EXPECT_EQ(p["erring_hop"], hop_index) << p.dump();
    EXPECT_EQ(p["erring_node"], erring.id()) << p.dump();
    EXPECT_EQ(p["preimage"], nullptr);
  }

  // An invoice as C would sign it, with fields the test chooses: the test holds C's data
  // directory, so it can derive C's node key from C's node_secret.
  std::string forged_invoice(const std::string& genuine, std::optional<Msat> amount,
                             std::optional<PaymentSecret> secret) {
    auto root = channeld::load_or_create_root_secret(c->datadir() / "node_secret");
    EXPECT_TRUE(root.ok());
    channeld::NodeSecrets secrets = channeld::derive_node_secrets(*root);
    auto decoded = invoice::decode_invoice(genuine);
    EXPECT_TRUE(decoded.ok());
    invoice::Invoice inv = *decoded;
    inv.fields.clear();  // rebuilt from the fields below
    if (amount) inv.amount = amount;
    if (secret) inv.payment_secret = secret;
    auto encoded = invoice::encode_invoice(inv, secrets.node_key);
    EXPECT_TRUE(encoded.ok());
    return encoded.value_or("");
  }

  fs::path m_dir;
  std::string m_burn;
  std::unique_ptr<L1simProcess> l1;
  std::unique_ptr<NodeProcess> a, b, c;
  Chan ab, bc;
};

TEST_F(Payments, OverOneAndTwoHopsAndTheRoutingNodeEarnsExactlyItsFee) {
  Balances before = balances();
  EXPECT_EQ(before.a_on_ab, 2'000'000'000u);
  EXPECT_EQ(before.b_on_bc, 2'000'000'000u);

  // One hop: A pays B's invoice over A->B.
  const uint64_t one = 1'000'000;
  std::string inv_b = invoice(*b, one);
  auto paid = pay(inv_b, json::array({hop(*b, ab, 0, 0, 0)}));
  ASSERT_EQ(paid.exit_code, 0) << paid.out;
  const json& p1 = paid.parsed["payment"];
  EXPECT_EQ(p1["status"], "succeeded");
  EXPECT_EQ(p1["fee_msat"], 0);
  auto preimage = Preimage::from_hex(p1["preimage"].get<std::string>());
  ASSERT_TRUE(preimage.ok());
  EXPECT_EQ(crypto::sha256(preimage->span()).to_hex(), p1["payment_hash"]);
  auto b_invoices = b->ok({"listinvoices"})["invoices"];
  ASSERT_EQ(b_invoices.size(), 1u);
  EXPECT_EQ(b_invoices[0]["status"], "paid");
  EXPECT_EQ(b_invoices[0]["received_msat"], one);
  EXPECT_EQ(b_invoices[0]["preimage"], p1["preimage"]);
  Balances mid = balances();
  EXPECT_EQ(mid.a_on_ab, before.a_on_ab - one);
  EXPECT_EQ(mid.b_on_ab, before.b_on_ab + one);

  // Two hops: A pays C's invoice through B; B keeps exactly its advertised fee.
  const uint64_t two = 2'000'000;
  std::string inv_c = invoice(*c, two, {"--expiry", "600"});
  auto paid2 = pay(inv_c, route_to_c());
  ASSERT_EQ(paid2.exit_code, 0) << paid2.out;
  const json& p2 = paid2.parsed["payment"];
  EXPECT_EQ(p2["status"], "succeeded");
  EXPECT_EQ(p2["amount_msat"], two);
  EXPECT_EQ(p2["fee_msat"], b_fee(two));
  EXPECT_EQ(p2["sent_msat"], two + b_fee(two));
  EXPECT_EQ(p2["attempts"].size(), 1u);
  Balances after = balances();
  EXPECT_EQ(after.a_on_ab, mid.a_on_ab - two - b_fee(two));
  EXPECT_EQ(after.b_on_ab, mid.b_on_ab + two + b_fee(two));
  EXPECT_EQ(after.b_on_bc, mid.b_on_bc - two);
  EXPECT_EQ(after.c_on_bc, mid.c_on_bc + two);
  EXPECT_EQ((after.b_on_ab + after.b_on_bc) - (mid.b_on_ab + mid.b_on_bc), b_fee(two));

  auto forwards = b->ok({"listforwards"});
  ASSERT_EQ(forwards["forwards"].size(), 1u);
  const json& f = forwards["forwards"][0];
  EXPECT_EQ(f["status"], "settled");
  EXPECT_EQ(f["fee_msat"], b_fee(two));
  EXPECT_EQ(f["in_msat"], two + b_fee(two));
  EXPECT_EQ(f["out_msat"], two);
  EXPECT_EQ(f["in_short_channel_id"], ab.scid);
  EXPECT_EQ(f["out_short_channel_id"], bc.scid);
  EXPECT_EQ(forwards["fees_earned_msat"], b_fee(two));
  auto c_invoices = c->ok({"listinvoices"})["invoices"];
  ASSERT_EQ(c_invoices.size(), 1u);
  EXPECT_EQ(c_invoices[0]["status"], "paid");
  // Our channels are private: each invoice names its way in (BOLT 11 `r`), through the
  // peer of a channel that can bring the amount in. C's: B over B->C. B's: A over A->B
  // (B's side of B->C could not bring anything in then).
  auto hints_of = [](const std::string& bolt11) {
    auto decoded = invoice::decode_invoice(bolt11);
    EXPECT_TRUE(decoded.ok());
    return decoded.ok() ? decoded->route_hints : std::vector<invoice::RouteHint>{};
  };
  auto c_hints = hints_of(inv_c);
  ASSERT_EQ(c_hints.size(), 1u);
  ASSERT_EQ(c_hints[0].size(), 1u);
  EXPECT_EQ(c_hints[0][0].pubkey.to_hex(), b->id());
  EXPECT_EQ(c_hints[0][0].short_channel_id.to_string(), bc.scid);
  auto b_hints = hints_of(inv_b);
  ASSERT_EQ(b_hints.size(), 1u);
  EXPECT_EQ(b_hints[0][0].pubkey.to_hex(), a->id());
  EXPECT_EQ(b_hints[0][0].short_channel_id.to_string(), ab.scid);
  EXPECT_EQ(c_invoices[0]["description"], "test payment");
  // A paid invoice cannot be paid again; A's payments say what happened.
  auto again = pay(inv_c, route_to_c());
  EXPECT_EQ(again.parsed["error"]["code"], "cannot_pay") << again.out;
  EXPECT_EQ(a->ok({"listpayments"})["payments"].size(), 2u);

  // Keysend along the same two hops: C keeps a receipt.
  auto ks = a->cli({"keysend", c->id(), "300000", "--route", route_to_c().dump()});
  ASSERT_EQ(ks.exit_code, 0) << ks.out;
  EXPECT_EQ(ks.parsed["payment"]["fee_msat"], b_fee(300'000));
  EXPECT_EQ(ks.parsed["payment"]["keysend"], true);
  EXPECT_EQ(b->ok({"listforwards"})["fees_earned_msat"], b_fee(two) + b_fee(300'000));
  Balances last = balances();
  EXPECT_EQ(last.c_on_bc, after.c_on_bc + 300'000);
  EXPECT_EQ(last.a_on_ab, after.a_on_ab - 300'000 - b_fee(300'000));
  size_t receipts = 0;
  json c_list = c->ok({"listinvoices"})["invoices"];
  for (const auto& i : c_list) receipts += i["keysend"] == true ? 1 : 0;
  EXPECT_EQ(receipts, 1u) << c_list.dump();
}

TEST_F(Payments, FailuresAreDecodedAtTheOriginWithTheHopThatSentThem) {
  Balances before = balances();
  const uint64_t amount = 500'000;

  // B has no channel 999x9x9: unknown_next_peer from hop 0 (B).
  json bad_scid = route_to_c();
  bad_scid[1]["short_channel_id"] = "999x9x9";
  expect_failure(pay(invoice(*c, amount), bad_scid), UNKNOWN_NEXT_PEER, 0, *b);

  // A believes B forwards for free: fee_insufficient from B.
  expect_failure(pay(invoice(*c, amount), json::array({hop(*b, ab, 0, 0, 0), hop(*c, bc, 0, 0, 40)})),
                 FEE_INSUFFICIENT, 0, *b);

  // C's invoice asks for only 5 blocks at the end: what B would forward expires within its
  // safety margin of the tip: expiry_too_soon from B.
  expect_failure(pay(invoice(*c, amount, {"--min-final-cltv", "5"}), route_to_c()), EXPIRY_TOO_SOON,
                 0, *b);

  // An invoice with C's payment hash and a payment_secret C never gave: C refuses it with
  // incorrect_or_unknown_payment_details (hop 1).
  std::string genuine = invoice(*c, amount);
  PaymentSecret wrong;
  wrong.mutable_span()[0] = 7;
  expect_failure(pay(forged_invoice(genuine, std::nullopt, wrong), route_to_c()),
                 INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, 1, *c);

  // The same hash and secret for less than C asked: refused by C too.
  expect_failure(pay(forged_invoice(genuine, Msat(amount - 1), std::nullopt), route_to_c()),
                 INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS, 1, *c);

  // An onion C cannot read (the last hop is built for another key, here A's): C's HMAC
  // check fails and C answers update_fail_malformed_htlc (BOLT 2/4: invalid_onion_hmac); B
  // turns it into its own failure, which A attributes to B.
  json garbled = route_to_c();
  garbled[1]["node_id"] = a->id();
  expect_failure(a->cli({"keysend", a->id(), std::to_string(amount), "--route", garbled.dump()}),
                 INVALID_ONION_HMAC, 0, *b);

  // Nothing moved; B forwarded the last three and saw them fail; C's invoices are unpaid.
  Balances after = balances();
  EXPECT_EQ(after.a_on_ab, before.a_on_ab);
  EXPECT_EQ(after.b_on_bc, before.b_on_bc);
  auto forwards = b->ok({"listforwards"});
  EXPECT_EQ(forwards["fees_earned_msat"], 0);
  size_t failed = 0, malformed = 0;
  for (const auto& f : forwards["forwards"]) {
    failed += f["status"] == "failed" ? 1 : 0;
    malformed += f["failure_code"] == INVALID_ONION_HMAC ? 1 : 0;
  }
  EXPECT_EQ(failed, 3u) << forwards.dump();
  EXPECT_EQ(malformed, 1u) << forwards.dump();
  // (Each list is kept in a variable: a range-for over a member of a temporary dangles.)
  const json c_invoices = c->ok({"listinvoices"})["invoices"];
  EXPECT_FALSE(c_invoices.empty());
  for (const auto& i : c_invoices) EXPECT_EQ(i["status"], "unpaid");
  // A route that does not start at one of our channels is refused before anything is sent.
  json nowhere = route_to_c();
  nowhere[0]["short_channel_id"] = "1x1x1";
  auto refused = pay(genuine, nowhere);
  EXPECT_EQ(refused.parsed["error"]["code"], "cannot_pay") << refused.out;
  auto bad_json = a->cli({"pay", genuine, "--route", "[{\"node_id\": 1}]"});
  EXPECT_EQ(bad_json.parsed["error"]["code"], "bad_argument") << bad_json.out;
  // Bogus invoices: a clear error, nothing sent, the node carries on.
  const size_t payments_before = a->ok({"listpayments"})["payments"].size();
  std::string bad_checksum = genuine;
  bad_checksum.back() = bad_checksum.back() == 'q' ? 'p' : 'q';
  for (const std::string& bogus :
       std::vector<std::string>{"not-an-invoice", "lnbcrt1qqqqqqqqqqqqqqq", bad_checksum}) {
    auto r = pay(bogus, route_to_c());
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.parsed["error"]["code"], "invalid_invoice") << r.out;
  }
  EXPECT_EQ(a->ok({"listpayments"})["payments"].size(), payments_before);
  // And the genuine invoice still pays.
  auto ok = pay(genuine, route_to_c());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST_F(Payments, MultiPartPaymentIsHeldUntilItsTotalArrives) {
  // A second channel A->B: two routes to C.
  Chan ab2 = open(*a, *b, 1'000'000);
  ASSERT_FALSE(ab2.id.empty());
  Balances before = balances();
  const uint64_t total = 3'000'000, first = 1'800'000, second = total - first;
  std::string inv = invoice(*c, total);
  auto part = [&](uint64_t msat, const Chan& via) {
    return json::array({{{"amount_msat", msat},
                         {"route", json::array({hop(*b, via, 0, 0, 0), hop(*c, bc)})}}})
        .dump();
  };
  // The first part alone: C holds it, A's payment stays pending.
  Child waiting = a->cli_async({"pay", inv, "--route", part(first, ab)});
  ASSERT_TRUE(eventually([&] {
    auto invoices = c->ok({"listinvoices"})["invoices"];
    return invoices.size() == 1 && invoices[0]["parts"] == 1;
  }));
  EXPECT_EQ(c->ok({"listinvoices"})["invoices"][0]["status"], "unpaid");
  EXPECT_EQ(a->ok({"listpayments"})["payments"][0]["status"], "pending");
  // The second part over the other channel completes the set: both are fulfilled.
  auto done = a->cli({"pay", inv, "--route", part(second, ab2)});
  ASSERT_EQ(done.exit_code, 0) << done.out;
  Output first_answer = finish(waiting);
  ASSERT_EQ(first_answer.exit_code, 0) << first_answer.out;
  const json& p = done.parsed["payment"];
  EXPECT_EQ(p["status"], "succeeded");
  EXPECT_EQ(p["attempts"].size(), 2u);
  EXPECT_EQ(p["fee_msat"], b_fee(first) + b_fee(second));
  EXPECT_EQ(first_answer.parsed["payment"]["preimage"], p["preimage"]);
  auto c_inv = c->ok({"listinvoices"})["invoices"][0];
  EXPECT_EQ(c_inv["status"], "paid");
  EXPECT_EQ(c_inv["parts"], 2);
  EXPECT_EQ(c_inv["received_msat"], total);
  Balances after = balances();
  EXPECT_EQ(after.a_on_ab, before.a_on_ab - first - b_fee(first));
  EXPECT_EQ(settled(*a, *b, ab2.id), 1'000'000'000u - second - b_fee(second));
  EXPECT_EQ(after.c_on_bc, before.c_on_bc + total);
  EXPECT_EQ(b->ok({"listforwards"})["fees_earned_msat"], b_fee(first) + b_fee(second));

  // A set that never completes fails with mpp_timeout from C (mpp-timeout-s=30 on C).
  std::string lonely = invoice(*c, total);
  expect_failure(a->cli({"pay", lonely, "--route", part(first, ab)}), MPP_TIMEOUT, 1, *c);
  EXPECT_EQ(balances().c_on_bc, after.c_on_bc);
}

TEST_F(Payments, RoutingNodeKilledMidForwardSettlesOrFailsEveryHtlc) {
  Balances before = balances();
  pid_t victim = b->channeld_pid();
  ASSERT_GT(victim, 0);
  constexpr int BURST = 16;
  constexpr uint64_t AMOUNT = 400'000;
  const std::string route = route_to_c().dump();
  std::vector<Child> running;
  for (int i = 0; i < BURST; ++i) {
    running.push_back(a->cli_async(
        {"keysend", c->id(), std::to_string(AMOUNT), "--route", route, "--timeout-s", "85"}));
    if (i == BURST / 2) {
      ASSERT_EQ(::kill(victim, SIGKILL), 0);
    }
  }
  std::vector<Output> results;
  for (auto& child : running) results.push_back(finish(child));

  // fulgurd restarts B's channeld; A and B redial, both channels are reestablished.
  ASSERT_TRUE(eventually([&] {
    pid_t now = b->channeld_pid();
    return now > 0 && now != victim;
  }));
  ASSERT_TRUE(eventually([&] {
    auto x = a->channel(ab.id);
    auto y = c->channel(bc.id);
    return x.is_object() && y.is_object() && x["peer_connected"] == true &&
           y["peer_connected"] == true;
  }));

  // Every payment ended: succeeded, or failed with a reason. None hung.
  std::map<std::string, int> outcomes;
  for (const auto& r : results) {
    ASSERT_TRUE(r.parsed.is_object()) << r.out;
    if (r.exit_code == 0) {
      EXPECT_EQ(r.parsed["payment"]["status"], "succeeded") << r.out;
      ++outcomes["succeeded"];
    } else {
      std::string code = r.parsed["error"]["code"];
      EXPECT_TRUE(code == "payment_failed" || code == "no_channel") << r.out;
      ++outcomes[code];
    }
  }
  std::string summary;
  for (const auto& [k, v] : outcomes) summary += k + "=" + std::to_string(v) + " ";
  std::cout << "[          ] burst outcomes: " << summary << "\n";

  // No msat lost: both channels settle with no HTLC, B forwarded nothing still open, and
  // every balance moved by exactly what succeeded.
  json payments;
  ASSERT_TRUE(eventually([&] {
    payments = a->ok({"listpayments"})["payments"];
    for (const auto& p : payments) {
      if (p["status"] == "pending") return false;
    }
    return true;
  })) << payments.dump();
  uint64_t delivered = 0, fees = 0;
  for (const auto& p : payments) {
    if (p["status"] != "succeeded") continue;
    delivered += p["amount_msat"].get<uint64_t>();
    fees += p["fee_msat"].get<uint64_t>();
    EXPECT_EQ(p["fee_msat"], b_fee(AMOUNT));
  }
  ASSERT_TRUE(eventually([&] {
    const json forwards = b->ok({"listforwards"})["forwards"];
    for (const auto& f : forwards) {
      if (f["status"] == "offered") return false;
    }
    return true;
  }));
  Balances after = balances();
  EXPECT_EQ(after.a_on_ab, before.a_on_ab - delivered - fees);
  EXPECT_EQ(after.b_on_ab, before.b_on_ab + delivered + fees);
  EXPECT_EQ(after.b_on_bc, before.b_on_bc - delivered);
  EXPECT_EQ(after.c_on_bc, before.c_on_bc + delivered);
  EXPECT_EQ(b->ok({"listforwards"})["fees_earned_msat"], fees);
  // C received what A says succeeded, as keysend receipts.
  uint64_t received = 0;
  json c_list = c->ok({"listinvoices"})["invoices"];
  for (const auto& i : c_list) {
    if (i["status"] == "paid") received += i["received_msat"].get<uint64_t>();
  }
  EXPECT_EQ(received, delivered) << c_list.dump() << "\n" << payments.dump();

  // And B routes again.
  auto later = pay(invoice(*c, 123'456), route_to_c());
  EXPECT_EQ(later.exit_code, 0) << later.out;
  EXPECT_EQ(balances().c_on_bc, after.c_on_bc + 123'456);
}

}  // namespace
