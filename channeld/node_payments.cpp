// Payments out and invoices in the node: paying a BOLT 11 invoice or a keysend along a
// route the caller gives (lib/payment builds the HTLC amounts, CLTVs and the onion, and
// tracks each attempt), creating invoices (lib/payment's registry signs them), and the
// views the daemon answers with. Callers hear a payment's outcome once it is durable.
#include <algorithm>
#include <cstdio>

#include "channeld/node_internal.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "invoice/invoice.h"
#include "onion/failure.h"

namespace fulgur::channeld {

namespace {
Preimage random_preimage() {
  Preimage p;
  crypto::random_bytes(p.mutable_span());
  return p;
}

AttemptView attempt_view(const payment::PaymentRecord& r) {
  AttemptView a;
  a.channel_id = r.htlc.channel_id;
  a.htlc_id = r.htlc.htlc_id;
  a.route = r.route;
  a.amount_msat = r.amount_msat;
  a.sent_msat = r.sent_msat;
  a.state = r.state;
  a.failure = r.failure;
  a.dropped = r.dropped;
  return a;
}
}  // namespace

// ---- sending ----

Node::Channel* Node::first_hop(const payment::RouteHop& hop) {
  for (auto& [key, c] : m_channels) {
    if (c->peer == hop.node_id && c->scid == hop.short_channel_id) return c.get();
  }
  return nullptr;
}

Status Node::send_attempt(Channel& c, payment::PreparedPayment&& prepared) {
  if (c.phase() != channel::Phase::Normal || !c.machine->reestablished()) {
    return fail("channel " + std::to_string(c.key_index) + " is not usable now");
  }
  auto packet = wire::OnionPacket::from_span(prepared.htlc.onion_routing_packet);
  FULGUR_ASSERT(packet.has_value());  // lib/payment builds full-size onions
  uint64_t id = 0;
  FULGUR_TRY(channel::Outputs out,
             c.machine->add_htlc(prepared.htlc.amount_msat, prepared.htlc.payment_hash,
                                 prepared.htlc.cltv_expiry, *packet, &id));
  auto update = m_switch->payments.sent(std::move(prepared), payment::HtlcKey{c.state().channel_id, id});
  // The machine gave a fresh id: a live attempt on it would be our bug.
  FULGUR_ASSERT(update.ok());
  // The attempt is durable before update_add_htlc leaves.
  ChannelStore::put_payment(m_batch, update->persist);
  m_to_sign.insert(c.key_index);
  apply(c, std::move(out), true);
  return {};
}

void Node::wait_for_payment(const PaymentHash& hash, PaymentDone done) {
  m_switch->waiters[hash].push_back(std::move(done));
  ++m_switch->waiting;
  // A payment that cannot change any more (every part refused at once) answers now.
  payment_changed(hash);
}

void Node::payment_changed(const PaymentHash& hash) {
  auto it = m_switch->waiters.find(hash);
  if (it == m_switch->waiters.end()) return;
  payment::PaymentStatus status = m_switch->payments.status(hash);
  if (status.attempts > 0 && status.state == payment::PaymentState::pending) return;
  auto waiters = std::move(it->second);
  m_switch->waiters.erase(it);
  m_switch->waiting -= waiters.size();
  // The caller hears the outcome once it is durable (the batch holding the record).
  enqueue(true, [hash, waiters = std::move(waiters)]() {
    for (const auto& w : waiters) w(PaymentResult{hash});
  });
  drain();
}

void Node::keysend(const NodeId& peer, Msat amount, PaymentDone done) {
  if (m_stopping) return done(fail("shutting down"));
  if (m_switch->waiting >= m_config.max_pending_payments) {
    return done(fail("too many pending payments"));
  }
  if (!crypto::PublicKey::from_node_id(peer)) return done(fail("invalid node id"));
  payment::PayOptions options;
  options.amount_msat = amount;
  options.keysend_final_cltv_expiry_delta = CltvDelta(m_config.final_cltv_delta);
  // One hop: the onion does not name our own channel, so any channel with the peer will do.
  std::vector<payment::RouteHop> route{payment::RouteHop{peer, ShortChannelId(0)}};
  auto prepared = m_switch->payments.prepare_keysend(route, random_preimage(), options,
                                                     crypto::SecretKey::random(), m_height,
                                                     unix_now());
  if (!prepared) return done(Unexpected{prepared.error()});
  const PaymentHash hash = prepared->htlc.payment_hash;
  std::string last_error = "no channel with " + peer.to_hex();
  for (auto& [key, c] : m_channels) {
    if (c->peer != peer || c->phase() != channel::Phase::Normal || !c->machine->reestablished()) {
      continue;
    }
    prepared->htlc.short_channel_id = c->scid.value_or(ShortChannelId(0));
    prepared->record.route[0].short_channel_id = prepared->htlc.short_channel_id;
    auto sent = send_attempt(*c, std::move(*prepared));
    if (sent) return wait_for_payment(hash, std::move(done));
    // Refused before anything changed (the attempt is still ours): the next channel.
    last_error = sent.error().message;
  }
  done(fail(last_error));
}

void Node::keysend_route(std::vector<payment::RouteHop> route, Msat amount, PaymentDone done) {
  if (m_stopping) return done(fail("shutting down"));
  if (m_switch->waiting >= m_config.max_pending_payments) {
    return done(fail("too many pending payments"));
  }
  if (route.empty()) return done(fail("empty route"));
  Channel* c = first_hop(route.front());
  if (c == nullptr) {
    return done(fail("no channel " + route.front().short_channel_id.to_string() + " with " +
                     route.front().node_id.to_hex()));
  }
  payment::PayOptions options;
  options.amount_msat = amount;
  options.keysend_final_cltv_expiry_delta = CltvDelta(m_config.final_cltv_delta);
  auto prepared = m_switch->payments.prepare_keysend(route, random_preimage(), options,
                                                     crypto::SecretKey::random(), m_height,
                                                     unix_now());
  if (!prepared) return done(Unexpected{prepared.error()});
  const PaymentHash hash = prepared->htlc.payment_hash;
  if (auto sent = send_attempt(*c, std::move(*prepared)); !sent) {
    return done(Unexpected{sent.error()});
  }
  wait_for_payment(hash, std::move(done));
}

void Node::pay(const std::string& bolt11, std::vector<PayPart> parts, std::optional<Msat> amount,
               PaymentDone done) {
  if (m_stopping) return done(fail("shutting down"));
  if (m_switch->waiting >= m_config.max_pending_payments) {
    return done(fail("too many pending payments"));
  }
  auto invoice = invoice::decode_invoice(bolt11);
  if (!invoice) return done(fail("invalid invoice: " + invoice.error().message));
  if (invoice->currency != m_switch->currency) {
    return done(fail("the invoice is for network '" + invoice->currency + "', we are on '" +
                     m_switch->currency + "'"));
  }
  if (parts.empty()) return done(fail("no route given"));
  // Every part is checked and built before the first HTLC goes out.
  std::vector<std::pair<Channel*, payment::PreparedPayment>> attempts;
  for (auto& part : parts) {
    if (part.route.empty()) return done(fail("empty route"));
    Channel* c = first_hop(part.route.front());
    if (c == nullptr) {
      return done(fail("no channel " + part.route.front().short_channel_id.to_string() +
                       " with " + part.route.front().node_id.to_hex()));
    }
    payment::PayOptions options;
    options.amount_msat = amount;
    if (parts.size() > 1 || part.amount) options.part_msat = part.amount;
    auto prepared = m_switch->payments.prepare_invoice(*invoice, part.route, options,
                                                       crypto::SecretKey::random(), m_height,
                                                       unix_now());
    if (!prepared) return done(Unexpected{prepared.error()});
    attempts.emplace_back(c, std::move(*prepared));
  }
  const PaymentHash hash = invoice->payment_hash;
  size_t sent = 0;
  std::string refused;
  for (auto& [c, prepared] : attempts) {
    auto st = send_attempt(*c, std::move(prepared));  // NOLINT(bugprone-use-after-move)
    if (st) {
      ++sent;
    } else {
      refused = st.error().message;
      m_log.warn("payment {}: a part was refused by its channel: {}", hash.to_hex(), refused);
    }
  }
  if (sent == 0) return done(fail(refused));
  // Parts that went out are tracked to the end (a part refused here makes the payee time
  // the set out).
  wait_for_payment(hash, std::move(done));
}

// ---- invoices ----

std::vector<std::vector<invoice::RouteHintHop>> Node::route_hints(
    std::optional<Msat> amount) const {
  // BOLT 11 (writer): "if there is NOT a public channel associated with its public key:
  // MUST include at least one `r` field. `r` field MUST contain one or more ordered
  // entries, indicating the forward route from a public node to the final destination."
  // Our channels are all private (no gossip yet), so each usable one is a hint of one hop:
  // the peer, the channel, and what the peer charges to forward over it. The peer's channel_update does not reach us yet, so the fee and CLTV delta are
  // our own policy's (a peer that asks more fails the payment with its channel_update).
  struct Candidate {
    Msat inbound;
    invoice::RouteHintHop hop;
  };
  std::vector<Candidate> candidates;
  for (const auto& [key, c] : m_channels) {
    if (!c->scid || c->phase() != channel::Phase::Normal) continue;
    const channel::CommitSpec& spec = c->state().local_commit.spec;
    if (amount && spec.to_them < *amount) continue;  // cannot bring the payment in
    invoice::RouteHintHop hop;
    hop.pubkey = c->peer;
    hop.short_channel_id = *c->scid;
    hop.fee_base_msat = static_cast<uint32_t>(m_config.policy.fee_base_msat.value());
    hop.fee_proportional_millionths = m_config.policy.fee_proportional_millionths;
    hop.cltv_expiry_delta = static_cast<uint16_t>(m_config.policy.cltv_expiry_delta.value());
    candidates.push_back({spec.to_them, hop});
  }
  // The channels that can bring in the most first; a few are enough (the invoice stays short).
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.inbound > b.inbound; });
  std::vector<std::vector<invoice::RouteHintHop>> hints;
  for (const auto& c : candidates) {
    if (hints.size() == MAX_ROUTE_HINTS) break;
    hints.push_back(invoice::RouteHint{c.hop});
  }
  return hints;
}

void Node::create_invoice(const InvoiceRequest& request,
                          std::function<void(Result<CreatedInvoice>)> done) {
  if (m_stopping) return done(fail("shutting down"));
  payment::InvoiceRequest r;
  r.amount_msat = request.amount;
  r.description = request.description;
  r.expiry_seconds = request.expiry_seconds;
  r.min_final_cltv_expiry_delta = CltvDelta(request.min_final_cltv_expiry_delta);
  r.route_hints = route_hints(request.amount);
  payment::InvoiceEntropy entropy{random_preimage(), PaymentSecret{}};
  crypto::random_bytes(entropy.payment_secret.mutable_span());
  auto created = m_switch->registry.create(r, entropy, *m_node_key, unix_now());
  if (!created) return done(Unexpected{created.error()});
  ChannelStore::put_invoice(m_batch, created->persist);
  CreatedInvoice answer{created->bolt11, created->payment_hash};
  enqueue(true, [done = std::move(done), answer] { done(answer); });
  drain();
}

// ---- views ----

const AttemptView* PaymentView::last_failure() const {
  const AttemptView* last = nullptr;
  for (const auto& a : attempts) {
    if (a.state == payment::PaymentState::failed) last = &a;
  }
  return last;
}

std::string describe_failure(const AttemptView& a) {
  if (a.state != payment::PaymentState::failed || !a.failure) return "";
  if (a.dropped) return "dropped before it was committed (never left this node)";
  const payment::PaymentFailure& f = *a.failure;
  std::string code = "a failure that does not decode";
  if (f.failure_code) {
    auto known = onion::failure_code_from_u16(*f.failure_code);
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%04x", *f.failure_code);
    code = std::string(known ? onion::to_string(*known) : "unknown_failure") + " (" + hex + ")";
  }
  if (!f.hop_index) {
    // Our own channel timed the HTLC out on chain, or nobody's HMAC matched.
    return f.failure_code ? code + " at our channel (timed out on chain)"
                          : "unreadable failure (no hop's HMAC matched)";
  }
  return code + " from hop " + std::to_string(*f.hop_index) + " (" + f.erring_node->to_hex() + ")";
}

std::optional<PaymentView> Node::payment_view(const PaymentHash& hash) const {
  auto records = m_switch->payments.attempts(hash);
  if (records.empty()) return std::nullopt;
  std::sort(records.begin(), records.end(),
            [](const payment::PaymentRecord* a, const payment::PaymentRecord* b) {
              return a->created_at < b->created_at;
            });
  payment::PaymentStatus status = m_switch->payments.status(hash);
  PaymentView v;
  v.payment_hash = hash;
  v.state = status.state;
  const payment::PaymentRecord& first = *records.front();
  v.destination = first.destination;
  v.keysend = first.is_keysend();
  v.amount_msat = first.total_msat;
  v.created_at = first.created_at;
  Msat delivered{0};
  for (const auto* r : records) {
    v.attempts.push_back(attempt_view(*r));
    if (r->state != payment::PaymentState::failed) {
      v.sent_msat = v.sent_msat.checked_add(r->sent_msat).value_or(Msat::max());
      delivered = delivered.checked_add(r->amount_msat).value_or(Msat::max());
    }
    if (r->payment_preimage && (r->is_keysend() || r->state == payment::PaymentState::succeeded)) {
      v.preimage = r->payment_preimage;
    }
  }
  v.fee_msat = v.sent_msat.saturating_sub(delivered);
  return v;
}

std::vector<PaymentView> Node::list_payments() const {
  std::vector<PaymentView> out;
  std::optional<PaymentHash> last;
  for (const payment::PaymentRecord* r : m_switch->payments.list()) {
    if (last == r->payment_hash) continue;
    last = r->payment_hash;
    out.push_back(*payment_view(r->payment_hash));
  }
  std::stable_sort(out.begin(), out.end(), [](const PaymentView& a, const PaymentView& b) {
    return a.created_at < b.created_at;
  });
  return out;
}

std::vector<const payment::InvoiceRecord*> Node::list_invoices() const {
  return m_switch->registry.list();
}

std::vector<const payment::ForwardRecord*> Node::list_forwards() const {
  auto out = m_switch->forwards.list();
  std::stable_sort(out.begin(), out.end(),
                   [](const payment::ForwardRecord* a, const payment::ForwardRecord* b) {
                     return a->received_at < b->received_at;
                   });
  return out;
}

Msat Node::fees_earned() const { return m_switch->forwards.total_fees_earned(); }

std::optional<ShortChannelId> Node::short_channel_id_of(const ChannelId& id) const {
  for (const auto& [key, c] : m_channels) {
    if (c->state().channel_id == id) return c->scid;
  }
  return std::nullopt;
}

}  // namespace fulgur::channeld
