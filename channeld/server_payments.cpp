// channeld's payment methods (see server.h): keysend, pay, invoice, and the lists of
// payments, invoices and forwards. Parse the arguments, call the Node, copy the answer out.
#include <algorithm>

#include "channeld/server.h"
#include "channeld/server_util.h"
#include "invoice/invoice.h"
#include "payment/forwards.h"
#include "payment/registry.h"

namespace fulgur::channeld {

namespace schema = ::fulgur::ipc::schema;

namespace {

void fill_attempt(schema::AttemptEntry::Builder out, const AttemptView& a) {
  out.setChannelId(a.channel_id.to_hex());
  out.setHtlcId(a.htlc_id);
  out.setShortChannelId(a.route.empty() || a.route[0].short_channel_id.to_u64() == 0
                            ? ""
                            : a.route[0].short_channel_id.to_string());
  out.setAmountMsat(a.amount_msat.value());
  out.setSentMsat(a.sent_msat.value());
  out.setStatus(payment::to_string(a.state));
  out.setFailure(describe_failure(a));
  out.setFailureCode(a.failure && a.failure->failure_code ? *a.failure->failure_code : 0);
  const bool attributed = a.failure && a.failure->hop_index;
  out.setErringHop(attributed ? static_cast<int32_t>(*a.failure->hop_index) : -1);
  out.setErringNode(attributed ? a.failure->erring_node->to_hex() : "");
  out.setHops(static_cast<uint32_t>(a.route.size()));
  out.setDropped(a.dropped);
}

void fill_payment(schema::PaymentEntry::Builder out, const PaymentView& v) {
  out.setPaymentHash(v.payment_hash.to_hex());
  out.setStatus(payment::to_string(v.state));
  out.setDestination(v.destination.to_hex());
  out.setAmountMsat(v.amount_msat.value());
  const bool proven = v.state == payment::PaymentState::succeeded && v.preimage;
  out.setPreimage(proven ? v.preimage->to_hex() : "");
  out.setChannelId(v.attempts.empty() ? "" : v.attempts.front().channel_id.to_hex());
  out.setCreatedAt(v.created_at);
  out.setSentMsat(v.sent_msat.value());
  out.setFeeMsat(v.fee_msat.value());
  out.setKeysend(v.keysend);
  out.setErringHop(-1);
  if (v.state == payment::PaymentState::failed) {
    if (const AttemptView* f = v.last_failure()) {
      out.setFailure(describe_failure(*f));
      out.setFailureCode(f->failure && f->failure->failure_code ? *f->failure->failure_code : 0);
      if (f->failure && f->failure->hop_index) {
        out.setErringHop(static_cast<int32_t>(*f->failure->hop_index));
        out.setErringNode(f->failure->erring_node->to_hex());
      }
    }
  }
  auto attempts = out.initAttempts(static_cast<unsigned>(v.attempts.size()));
  for (unsigned i = 0; i < attempts.size(); ++i) fill_attempt(attempts[i], v.attempts[i]);
}

Result<std::vector<payment::RouteHop>> parse_route(capnp::List<schema::RouteHop>::Reader hops) {
  std::vector<payment::RouteHop> route;
  for (auto h : hops) {
    payment::RouteHop hop;
    FULGUR_TRY(hop.node_id, parse_node_id(h.getNodeId().cStr()));
    auto scid = ShortChannelId::parse(h.getShortChannelId().cStr());
    if (!scid) {
      return fail("short_channel_id must be BLOCKxTXxOUTPUT, not '" +
                  std::string(h.getShortChannelId().cStr()) + "'");
    }
    hop.short_channel_id = *scid;
    hop.fee_base_msat = Msat(h.getFeeBaseMsat());
    hop.fee_proportional_millionths = h.getFeeProportionalMillionths();
    hop.cltv_expiry_delta = CltvDelta(h.getCltvExpiryDelta());
    hop.htlc_minimum_msat = Msat(h.getHtlcMinimumMsat());
    hop.htlc_maximum_msat = h.getHtlcMaximumMsat() == 0 ? Msat::max() : Msat(h.getHtlcMaximumMsat());
    route.push_back(hop);
  }
  return route;
}

// The payment's entry after the Node answered; `refused_code` names an error where nothing
// was sent.
template <typename Results>
void answer_payment(Node& node, Results results, const Result<Node::PaymentResult>& r,
                    const std::string& refused_code) {
  if (!r) return set_error(results.initError(), refused_code, r.error().message);
  auto v = node.payment_view(r->payment_hash);
  if (!v) return set_error(results.initError(), "payment_failed", "payment record missing");
  fill_payment(results.initPayment(), *v);
  if (v->state == payment::PaymentState::failed) {
    const AttemptView* f = v->last_failure();
    set_error(results.initError(), "payment_failed",
              f != nullptr ? describe_failure(*f) : std::string("failed"));
  }
}

}  // namespace

kj::Promise<void> ChanneldServer::keysend(KeysendContext context) {
  auto params = context.getParams();
  auto id = parse_node_id(params.getNodeId().cStr());
  auto results = context.getResults();
  if (!id) {
    set_error(results.initError(), "bad_argument", id.error().message);
    return kj::READY_NOW;
  }
  if (params.getAmountMsat() == 0) {
    set_error(results.initError(), "bad_argument", "amount must be positive");
    return kj::READY_NOW;
  }
  auto route = parse_route(params.getRoute());
  if (!route) {
    set_error(results.initError(), "bad_argument", route.error().message);
    return kj::READY_NOW;
  }
  if (!route->empty() && route->back().node_id != *id) {
    set_error(results.initError(), "bad_argument", "the route does not end at " + id->to_hex());
    return kj::READY_NOW;
  }
  auto p = pending<Result<Node::PaymentResult>>();
  if (route->empty()) {
    m_node.keysend(*id, Msat(params.getAmountMsat()), p.deliver);
  } else {
    m_node.keysend_route(std::move(*route), Msat(params.getAmountMsat()), p.deliver);
  }
  return p.promise.then([this, context](Result<Node::PaymentResult> r) mutable {
    answer_payment(m_node, context.getResults(), r, "no_channel");
  });
}

kj::Promise<void> ChanneldServer::pay(PayContext context) {
  auto params = context.getParams();
  auto results = context.getResults();
  std::string bolt11 = params.getBolt11().cStr();
  if (bolt11.rfind("lightning:", 0) == 0) bolt11 = bolt11.substr(10);
  if (auto decoded = invoice::decode_invoice(bolt11); !decoded) {
    set_error(results.initError(), "invalid_invoice", decoded.error().message);
    return kj::READY_NOW;
  }
  std::vector<Node::PayPart> parts;
  for (auto part : params.getParts()) {
    auto route = parse_route(part.getRoute());
    if (!route) {
      set_error(results.initError(), "bad_argument", route.error().message);
      return kj::READY_NOW;
    }
    Node::PayPart p{std::move(*route), std::nullopt};
    if (part.getAmountMsat() != 0) p.amount = Msat(part.getAmountMsat());
    parts.push_back(std::move(p));
  }
  if (parts.empty()) {
    set_error(results.initError(), "bad_argument", "no route given (routerd does not find one yet)");
    return kj::READY_NOW;
  }
  std::optional<Msat> amount;
  if (params.getAmountMsat() != 0) amount = Msat(params.getAmountMsat());
  auto p = pending<Result<Node::PaymentResult>>();
  m_node.pay(bolt11, std::move(parts), amount, p.deliver);
  return p.promise.then([this, context](Result<Node::PaymentResult> r) mutable {
    answer_payment(m_node, context.getResults(), r, "cannot_pay");
  });
}

kj::Promise<void> ChanneldServer::listPayments(ListPaymentsContext context) {
  auto payments = m_node.list_payments();
  auto out = context.getResults().initPayments(static_cast<unsigned>(payments.size()));
  for (unsigned i = 0; i < payments.size(); ++i) fill_payment(out[i], payments[i]);
  return kj::READY_NOW;
}

kj::Promise<void> ChanneldServer::invoice(InvoiceContext context) {
  auto params = context.getParams();
  Node::InvoiceRequest request;
  if (params.getAmountMsat() != 0) request.amount = Msat(params.getAmountMsat());
  request.description = params.getDescription().cStr();
  if (params.getExpirySeconds() != 0) request.expiry_seconds = params.getExpirySeconds();
  if (params.getMinFinalCltvExpiryDelta() != 0) {
    request.min_final_cltv_expiry_delta = params.getMinFinalCltvExpiryDelta();
  }
  const uint64_t expiry = request.expiry_seconds;
  auto p = pending<Result<Node::CreatedInvoice>>();
  m_node.create_invoice(request, p.deliver);
  return p.promise.then([context, expiry](Result<Node::CreatedInvoice> r) mutable {
    auto results = context.getResults();
    if (!r) return set_error(results.initError(), "bad_argument", r.error().message);
    results.setBolt11(r->bolt11);
    results.setPaymentHash(r->payment_hash.to_hex());
    auto decoded = invoice::decode_invoice(r->bolt11);
    if (decoded) results.setExpiresAt(decoded->timestamp + expiry);
  });
}

kj::Promise<void> ChanneldServer::listInvoices(ListInvoicesContext context) {
  auto invoices = m_node.list_invoices();
  auto out = context.getResults().initInvoices(static_cast<unsigned>(invoices.size()));
  for (unsigned i = 0; i < out.size(); ++i) {
    const payment::InvoiceRecord& r = *invoices[i];
    auto e = out[i];
    e.setPaymentHash(r.payment_hash.to_hex());
    e.setBolt11(r.bolt11.value_or(""));
    e.setStatus(payment::to_string(r.state));
    e.setAmountMsat(r.amount_msat ? r.amount_msat->value() : 0);
    e.setReceivedMsat(r.received_msat.value());
    if (r.bolt11) {
      auto decoded = invoice::decode_invoice(*r.bolt11);
      if (decoded && decoded->description) e.setDescription(*decoded->description);
    }
    e.setCreatedAt(r.created_at);
    e.setExpiresAt(r.is_keysend() ? 0 : r.created_at + r.expiry_seconds);
    e.setPaidAt(r.paid_at);
    e.setPreimage(r.state == payment::InvoiceState::paid ? r.payment_preimage.to_hex() : "");
    e.setKeysend(r.is_keysend());
    e.setParts(static_cast<uint32_t>(r.parts.size()));
  }
  return kj::READY_NOW;
}

kj::Promise<void> ChanneldServer::listForwards(ListForwardsContext context) {
  auto forwards = m_node.list_forwards();
  auto results = context.getResults();
  auto out = results.initForwards(static_cast<unsigned>(forwards.size()));
  auto scid_text = [&](const ChannelId& id) {
    auto scid = m_node.short_channel_id_of(id);
    return scid ? scid->to_string() : std::string();
  };
  for (unsigned i = 0; i < out.size(); ++i) {
    const payment::ForwardRecord& f = *forwards[i];
    auto e = out[i];
    e.setPaymentHash(f.payment_hash.to_hex());
    e.setInChannelId(f.incoming.channel_id.to_hex());
    e.setInHtlcId(f.incoming.htlc_id);
    e.setInShortChannelId(scid_text(f.incoming.channel_id));
    e.setOutChannelId(f.outgoing.channel_id.to_hex());
    e.setOutHtlcId(f.outgoing.htlc_id);
    e.setOutShortChannelId(f.outgoing_short_channel_id.to_string());
    e.setInMsat(f.incoming_amount_msat.value());
    e.setOutMsat(f.outgoing_amount_msat.value());
    e.setFeeMsat(f.fee_earned().value());
    e.setStatus(payment::to_string(f.state));
    e.setFailureCode(f.failure_code.value_or(0));
    e.setReceivedAt(f.received_at);
    e.setResolvedAt(f.resolved_at.value_or(0));
  }
  results.setFeesEarnedMsat(m_node.fees_earned().value());
  return kj::READY_NOW;
}

}  // namespace fulgur::channeld
