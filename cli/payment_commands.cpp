// The payment command group, answered by channeld (lib/ipc/channeld.capnp): invoice,
// listinvoices, pay, keysend, listpayments, listforwards. Routes are given as JSON
// (route_json.h) until routerd finds them. Each command prints JSON; an error from channeld
// becomes {"error": {"code", "message"}} with the code channeld chose, and a failed payment
// keeps its details under "payment".
#include <charconv>
#include <memory>

#include "channeld_call.h"
#include "route_json.h"

namespace fulgur::cli {
namespace {

namespace schema = ::fulgur::ipc::schema;
using nlohmann::json;

json text_or_null(capnp::Text::Reader t) { return t.size() == 0 ? json(nullptr) : json(t.cStr()); }

json to_json(schema::AttemptEntry::Reader a) {
  json out = {{"channel_id", a.getChannelId().cStr()},
              {"htlc_id", a.getHtlcId()},
              {"short_channel_id", text_or_null(a.getShortChannelId())},
              {"hops", a.getHops()},
              {"amount_msat", a.getAmountMsat()},
              {"sent_msat", a.getSentMsat()},
              {"status", a.getStatus().cStr()}};
  if (a.getStatus() == "failed") {
    out["failure"] = a.getFailure().cStr();
    out["failure_code"] = a.getFailureCode();
    out["erring_hop"] = a.getErringHop() < 0 ? json(nullptr) : json(a.getErringHop());
    out["erring_node"] = text_or_null(a.getErringNode());
    out["dropped"] = a.getDropped();
  }
  return out;
}

json to_json(schema::PaymentEntry::Reader p) {
  json attempts = json::array();
  for (auto a : p.getAttempts()) attempts.push_back(to_json(a));
  json out = {{"payment_hash", p.getPaymentHash().cStr()},
              {"status", p.getStatus().cStr()},
              {"destination", p.getDestination().cStr()},
              {"keysend", p.getKeysend()},
              {"amount_msat", p.getAmountMsat()},
              {"sent_msat", p.getSentMsat()},
              {"fee_msat", p.getFeeMsat()},
              {"preimage", text_or_null(p.getPreimage())},
              {"channel_id", text_or_null(p.getChannelId())},
              {"created_at", p.getCreatedAt()},
              {"attempts", attempts}};
  if (p.getStatus() == "failed") {
    out["failure"] = p.getFailure().cStr();
    out["failure_code"] = p.getFailureCode();
    out["erring_hop"] = p.getErringHop() < 0 ? json(nullptr) : json(p.getErringHop());
    out["erring_node"] = text_or_null(p.getErringNode());
  }
  return out;
}

// A payment's answer: {"payment": ...}, or the error with the payment beside it.
template <typename Response>
CommandResult payment_answer(const Response& r) {
  if (auto e = error_of(r.getError())) {
    if (r.hasPayment()) {
      // The error object carries what failed and where; the entry has every detail.
      e->message += " (payment " + std::string(r.getPayment().getPaymentHash().cStr()) + ")";
    }
    return Unexpected{*e};
  }
  return json{{"payment", to_json(r.getPayment())}};
}

void fill_route(capnp::List<schema::RouteHop>::Builder out, const std::vector<RouteHopArg>& hops) {
  for (unsigned i = 0; i < out.size(); ++i) {
    const RouteHopArg& h = hops[i];
    out[i].setNodeId(h.node_id);
    out[i].setShortChannelId(h.short_channel_id);
    out[i].setFeeBaseMsat(h.fee_base_msat);
    out[i].setFeeProportionalMillionths(h.fee_proportional_millionths);
    out[i].setCltvExpiryDelta(h.cltv_expiry_delta);
    out[i].setHtlcMinimumMsat(h.htlc_minimum_msat);
    out[i].setHtlcMaximumMsat(h.htlc_maximum_msat);
  }
}

void register_invoice(CLI::App& app, Context& ctx) {
  struct Args {
    uint64_t amount_msat = 0;
    std::string description;
    uint64_t expiry = 3600;
    uint32_t min_final_cltv = 18;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = add_command(
      app, ctx, "invoice",
      "create a BOLT 11 invoice signed by this node (amount_msat 0 or \"any\": the payer chooses)",
      [a](const Context& c) {
        return with_channeld(c, QUICK_MS, [&](schema::Channeld::Client& client) {
          auto req = client.invoiceRequest();
          req.setAmountMsat(a->amount_msat);
          req.setDescription(a->description);
          req.setExpirySeconds(a->expiry);
          req.setMinFinalCltvExpiryDelta(a->min_final_cltv);
          return req.send().then([](auto r) -> CommandResult {
            if (auto e = error_of(r.getError())) return Unexpected{*e};
            return json{{"bolt11", r.getBolt11().cStr()},
                        {"payment_hash", r.getPaymentHash().cStr()},
                        {"expires_at", r.getExpiresAt()}};
          });
        });
      });
  cmd->add_option_function<std::string>(
         "amount_msat",
         [a](const std::string& v) {
           if (v == "any") {
             a->amount_msat = 0;
             return;
           }
           uint64_t value = 0;
           auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
           if (ec != std::errc() || end != v.data() + v.size() || value == 0) {
             throw CLI::ValidationError("amount_msat", "a positive number or any, not '" + v + "'");
           }
           a->amount_msat = value;
         },
         "the amount in millisatoshis, or any")
      ->required();
  cmd->add_option("description", a->description, "what the payment is for")->required();
  cmd->add_option("--expiry", a->expiry, "seconds until the invoice expires")->capture_default_str();
  cmd->add_option("--cltv,--min-final-cltv", a->min_final_cltv,
                  "min_final_cltv_expiry_delta: blocks the last HTLC must leave us before it "
                  "expires")
      ->capture_default_str();
}

void register_pay(CLI::App& app, Context& ctx) {
  struct Args {
    std::string bolt11;
    std::string route;
    uint64_t amount_msat = 0;
    uint64_t timeout_s = 120;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = add_command(
      app, ctx, "pay",
      "pay a BOLT 11 invoice along the route(s) given, and wait for the preimage or the failure "
      "(with the hop that sent it)",
      [a](const Context& c) -> CommandResult {
        FULGUR_TRY(auto parts, parse_route_json(a->route));
        return with_channeld(c, a->timeout_s * 1000, [&](schema::Channeld::Client& client) {
          auto req = client.payRequest();
          req.setBolt11(a->bolt11);
          req.setAmountMsat(a->amount_msat);
          auto out = req.initParts(static_cast<unsigned>(parts.size()));
          for (unsigned i = 0; i < out.size(); ++i) {
            out[i].setAmountMsat(parts[i].amount_msat);
            fill_route(out[i].initRoute(static_cast<unsigned>(parts[i].hops.size())), parts[i].hops);
          }
          return req.send().then([](auto r) { return payment_answer(r); });
        });
      });
  cmd->add_option("bolt11", a->bolt11, "the invoice")->required();
  cmd->add_option("--route", a->route,
                  "JSON: [hop, ...] or [{\"amount_msat\": N, \"route\": [hop, ...]}, ...] where a "
                  "hop is {\"node_id\", \"short_channel_id\", \"fee_base_msat\", "
                  "\"fee_proportional_millionths\", \"cltv_expiry_delta\"}")
      ->required();
  cmd->add_option("--amount-msat", a->amount_msat,
                  "the total, for an invoice without an amount (or to pay more)");
  cmd->add_option("--timeout-s", a->timeout_s, "how long to wait")->capture_default_str();
}

void register_keysend(CLI::App& app, Context& ctx) {
  struct Args {
    std::string node_id;
    uint64_t amount_msat = 0;
    std::string route;
    uint64_t timeout_s = 60;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = add_command(
      app, ctx, "keysend",
      "pay a node with keysend (the preimage rides in the onion): over a direct channel, or "
      "along --route; waits for the outcome",
      [a](const Context& c) -> CommandResult {
        std::vector<RoutePartArg> parts;
        if (!a->route.empty()) {
          FULGUR_TRY(parts, parse_route_json(a->route));
          if (parts.size() != 1 || parts[0].amount_msat != 0) {
            return cli_fail("bad_argument", "--route: keysend takes one route (a list of hops)");
          }
        }
        return with_channeld(c, a->timeout_s * 1000, [&](schema::Channeld::Client& client) {
          auto req = client.keysendRequest();
          req.setNodeId(a->node_id);
          req.setAmountMsat(a->amount_msat);
          if (!parts.empty()) {
            fill_route(req.initRoute(static_cast<unsigned>(parts[0].hops.size())), parts[0].hops);
          }
          return req.send().then([](auto r) { return payment_answer(r); });
        });
      });
  cmd->add_option("nodeid", a->node_id, "the node to pay")->required();
  cmd->add_option("amount_msat", a->amount_msat, "the amount in millisatoshis")->required();
  cmd->add_option("--route", a->route, "JSON list of hops ending at nodeid (see pay --help)");
  cmd->add_option("--timeout-s", a->timeout_s, "how long to wait")->capture_default_str();
}

void register_lists(CLI::App& app, Context& ctx) {
  add_command(app, ctx, "listpayments", "every outgoing payment with its attempts",
              [](const Context& c) {
                return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
                  return client.listPaymentsRequest().send().then([](auto r) -> CommandResult {
                    json payments = json::array();
                    for (auto p : r.getPayments()) payments.push_back(to_json(p));
                    return json{{"payments", payments}};
                  });
                });
              });

  add_command(app, ctx, "listinvoices", "every invoice (and keysend received)", [](const Context& c) {
    return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
      return client.listInvoicesRequest().send().then([](auto r) -> CommandResult {
        json invoices = json::array();
        for (auto i : r.getInvoices()) {
          invoices.push_back({{"payment_hash", i.getPaymentHash().cStr()},
                              {"bolt11", text_or_null(i.getBolt11())},
                              {"status", i.getStatus().cStr()},
                              {"keysend", i.getKeysend()},
                              {"amount_msat", i.getAmountMsat() == 0 ? json(nullptr)
                                                                     : json(i.getAmountMsat())},
                              {"received_msat", i.getReceivedMsat()},
                              {"description", text_or_null(i.getDescription())},
                              {"created_at", i.getCreatedAt()},
                              {"expires_at", i.getExpiresAt()},
                              {"paid_at", i.getPaidAt() == 0 ? json(nullptr) : json(i.getPaidAt())},
                              {"preimage", text_or_null(i.getPreimage())},
                              {"parts", i.getParts()}});
        }
        return json{{"invoices", invoices}};
      });
    });
  });

  add_command(app, ctx, "listforwards", "every HTLC forwarded through this node, and the fees earned",
              [](const Context& c) {
                return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
                  return client.listForwardsRequest().send().then([](auto r) -> CommandResult {
                    json forwards = json::array();
                    for (auto f : r.getForwards()) {
                      forwards.push_back(
                          {{"payment_hash", f.getPaymentHash().cStr()},
                           {"in_channel_id", f.getInChannelId().cStr()},
                           {"in_htlc_id", f.getInHtlcId()},
                           {"in_short_channel_id", text_or_null(f.getInShortChannelId())},
                           {"out_channel_id", f.getOutChannelId().cStr()},
                           {"out_htlc_id", f.getOutHtlcId()},
                           {"out_short_channel_id", f.getOutShortChannelId().cStr()},
                           {"in_msat", f.getInMsat()},
                           {"out_msat", f.getOutMsat()},
                           {"fee_msat", f.getFeeMsat()},
                           {"status", f.getStatus().cStr()},
                           {"failure_code", f.getFailureCode()},
                           {"received_at", f.getReceivedAt()},
                           {"resolved_at", f.getResolvedAt() == 0 ? json(nullptr)
                                                                  : json(f.getResolvedAt())}});
                    }
                    return json{{"forwards", forwards}, {"fees_earned_msat", r.getFeesEarnedMsat()}};
                  });
                });
              });
}

}  // namespace

void register_payment_commands(CLI::App& app, Context& ctx) {
  register_invoice(app, ctx);
  register_pay(app, ctx);
  register_keysend(app, ctx);
  register_lists(app, ctx);
}

}  // namespace fulgur::cli
