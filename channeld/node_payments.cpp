// Payments over direct channels: keysend out (a random preimage in a one-hop onion built by
// lib/payment, the HTLC added on a channel with the peer, the caller answered once the
// outcome is durable), and HTLCs offered to us, judged by lib/payment (the HTLC switch peels
// and checks; the invoice registry takes keysends as a final node) and carried out here.
// Outgoing payments are records in the store; the onion of every incoming HTLC stays in the
// store until the HTLC is resolved, so a restart judges it again (the registry recognises a
// replay and gives the same answer).
#include <cstdio>
#include <ctime>

#include "channeld/node_internal.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "onion/failure.h"
#include "payment/htlc_switch.h"
#include "payment/payments.h"
#include "payment/registry.h"

namespace fulgur::channeld {

namespace {
// An HTLC the peer offered that is still anywhere in the channel's state.
bool incoming_alive(const channel::ChannelState& s, uint64_t id) {
  if (id >= s.next_htlc_id_theirs) return true;  // may be re-offered after a reconnection
  if (s.local_commit.spec.find(false, id) || s.remote_commit.spec.find(false, id)) return true;
  if (s.waiting && s.waiting->next.spec.find(false, id)) return true;
  for (const auto* log : {&s.theirs.proposed, &s.theirs.acked, &s.theirs.signed_}) {
    for (const auto& u : *log) {
      if (channel::is_add(u) && channel::htlc_id_of(u) == id) return true;
    }
  }
  return false;
}

// An HTLC we offered that is still anywhere in the channel's state.
bool outgoing_alive(const channel::ChannelState& s, uint64_t id) {
  if (s.local_commit.spec.find(true, id) || s.remote_commit.spec.find(true, id)) return true;
  if (s.waiting && s.waiting->next.spec.find(true, id)) return true;
  for (const auto* log : {&s.ours.proposed, &s.ours.acked, &s.ours.signed_}) {
    for (const auto& u : *log) {
      if (channel::is_add(u) && channel::htlc_id_of(u) == id) return true;
    }
  }
  return false;
}

uint64_t now_seconds() { return static_cast<uint64_t>(std::time(nullptr)); }

std::string code_text(uint16_t code) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%04x", code);
  auto known = onion::failure_code_from_u16(code);
  return std::string(known ? onion::to_string(*known) : "unknown_failure") + " (" + hex + ")";
}

// The failure our peer returned: update_fail_htlc's packet, read with our onion's secrets.
std::pair<uint16_t, std::string> read_failure(const std::vector<crypto::Secret32>& secrets,
                                              ByteSpan reason) {
  if (secrets.empty()) return {0, "failed (the reason is unreadable after a restart)"};
  auto decrypted = onion::decrypt_failure_packet(secrets, reason);
  if (!decrypted) return {0, "unreadable failure: " + decrypted.error().message};
  if (!decrypted->message) return {0, "the peer returned a failure that does not decode"};
  return {decrypted->message->code, code_text(decrypted->message->code)};
}
}  // namespace

void Node::keysend(const NodeId& peer, Msat amount,
                   std::function<void(Result<PaymentResult>)> done) {
  if (m_stopping) return done(fail("shutting down"));
  if (amount.value() == 0) return done(fail("amount must be positive"));
  size_t pending = 0;
  for (const auto& [hash, p] : m_payments) pending += p->record.status == PaymentStatus::Pending;
  if (pending >= m_config.max_pending_payments) return done(fail("too many pending payments"));
  auto destination = crypto::PublicKey::from_node_id(peer);
  if (!destination) return done(fail("invalid node id"));
  std::string last_error = "no channel with " + peer.to_hex();
  for (auto& [key, c] : m_channels) {
    if (c->peer != peer || c->phase() != channel::Phase::Normal || !c->machine->reestablished()) {
      continue;
    }
    Preimage preimage;
    crypto::random_bytes(preimage.mutable_span());
    PaymentHash hash(crypto::sha256(preimage.span()).array());
    // The final payload: amount and expiry, payment_data (a random secret, total = amount)
    // and the keysend preimage record (5482373484).
    payment::FinalHopData final_data;
    final_data.payment_secret.emplace();
    crypto::random_bytes(final_data.payment_secret->mutable_span());
    final_data.total_msat = amount;
    final_data.keysend_preimage = preimage;
    payment::RouteHop hop;
    hop.node_id = peer;
    hop.short_channel_id = c->scid.value_or(ShortChannelId{});
    BlockHeight cltv(m_height.value() + m_config.final_cltv_delta);
    auto onion = payment::build_payment_onion(std::span(&hop, 1), amount, cltv, final_data, hash,
                                              crypto::SecretKey::random());
    if (!onion) return done(Unexpected{onion.error()});
    auto packet = wire::OnionPacket::from_span(onion->onion_routing_packet);
    if (!packet) return done(fail("onion of the wrong size"));
    uint64_t htlc_id = 0;
    auto out = c->machine->add_htlc(amount, hash, cltv, *packet, &htlc_id);
    if (!out) {
      last_error = out.error().message;
      continue;
    }
    auto p = std::make_unique<Payment>();
    p->record.payment_hash = hash;
    p->record.destination = peer;
    p->record.amount = amount;
    p->record.key_index = key;
    p->record.htlc_id = htlc_id;
    p->record.preimage = preimage;
    p->record.created_at = static_cast<uint64_t>(std::time(nullptr));
    p->shared_secrets = std::move(onion->shared_secrets);
    p->waiters.push_back(std::move(done));
    ChannelStore::put_payment(m_batch, p->record);
    c->outgoing[htlc_id] = hash;
    m_payments[hash] = std::move(p);
    m_to_sign.insert(key);
    apply(*c, std::move(*out));
    return;
  }
  done(fail(last_error));
}

void Node::on_incoming_htlc(Channel& c, uint64_t htlc_id, Msat amount, const PaymentHash& hash,
                            BlockHeight cltv_expiry, ByteSpan onion, bool blinded) {
  payment::IncomingHtlc in{payment::HtlcKey{c.state().channel_id, htlc_id}, amount, hash,
                           cltv_expiry, onion, blinded};
  auto decision = payment::decide_incoming(in, *m_node_key, *m_forward_channels,
                                           *m_switch_config, m_height);
  std::visit(
      [&](auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, payment::FinalHtlc>) {
          auto out = m_registry->on_htlc(std::move(d), m_height, now_seconds());
          // The registry's records are durable before its resolutions are carried out.
          for (const auto& p : out.persist) ChannelStore::put_invoice(m_batch, p.key, p.record);
          for (const auto& r : out.resolutions) carry_out(r, !out.persist.empty());
          for (const auto& h : out.paid) m_log.info("paid to us: {}", h.to_hex());
        } else if constexpr (std::is_same_v<T, payment::Forward>) {
          // The switch only forwards over channels in its table, and the table is empty.
          carry_out(payment::fail_forward(d, {}), false);
        } else {
          carry_out(d, false);
        }
      },
      decision);
}

void Node::carry_out(const payment::Resolution& resolution, bool after_batch) {
  const payment::HtlcKey& key = payment::htlc_of(resolution);
  auto k = find_channel(key.channel_id);
  if (!k) return;
  Channel& c = *m_channels.at(*k);
  Result<channel::Outputs> out = std::visit(
      [&](const auto& r) -> Result<channel::Outputs> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, payment::Fulfill>) {
          m_log.info("channel {}: fulfilling HTLC {}", c.key_index, key.htlc_id);
          return c.machine->fulfill_htlc(key.htlc_id, r.payment_preimage);
        } else if constexpr (std::is_same_v<T, payment::Fail>) {
          m_log.info("channel {}: failing HTLC {} ({})", c.key_index, key.htlc_id,
                     r.failure_code ? code_text(*r.failure_code) : "relayed");
          return c.machine->fail_htlc(key.htlc_id, r.reason);
        } else {
          m_log.info("channel {}: HTLC {} has a malformed onion ({})", c.key_index, key.htlc_id,
                     code_text(r.failure_code));
          return c.machine->fail_malformed_htlc(key.htlc_id, r.sha256_of_onion, r.failure_code);
        }
      },
      resolution);
  if (!out) {
    // Not now (e.g. disconnected, or already resolved): it is judged again after
    // channel_reestablish.
    m_log.debug("channel {}: HTLC {} not resolved now: {}", c.key_index, key.htlc_id,
                out.error().message);
    return;
  }
  m_to_sign.insert(c.key_index);
  apply(c, std::move(*out), after_batch);
}

void Node::resolve_pending_incoming(Channel& c) {
  if (!c.machine->reestablished()) return;
  const uint64_t key = c.key_index;
  for (const auto& h : c.machine->pending_incoming()) {
    auto it = m_channels.find(key);
    if (it == m_channels.end()) return;
    auto onion = m_incoming_onions.find(IncomingKey{key, h.id});
    if (onion == m_incoming_onions.end()) {
      m_log.error("channel {}: no onion for incoming HTLC {}; failing it", key, h.id);
      Hash256 none;
      auto out = c.machine->fail_malformed_htlc(
          h.id, none, onion::to_u16(onion::FailureCode::invalid_onion_hmac));
      if (out) {
        m_to_sign.insert(key);
        apply(c, std::move(*out));
      }
      continue;
    }
    Bytes bytes = onion->second;
    // (Blinded HTLCs are refused by the switch; a replay does not know the path key.)
    on_incoming_htlc(c, h.id, h.amount, h.payment_hash, BlockHeight(h.cltv_expiry), bytes, false);
  }
  // Onions of HTLCs that are gone from every commitment and log are no longer needed.
  const auto& s = c.state();
  for (auto it = m_incoming_onions.lower_bound(IncomingKey{key, 0});
       it != m_incoming_onions.end() && it->first.key_index == key;) {
    if (!incoming_alive(s, it->first.htlc_id)) {
      ChannelStore::erase_incoming(m_batch, it->first);
      it = m_incoming_onions.erase(it);
    } else {
      ++it;
    }
  }
}

void Node::on_outgoing_resolved(Channel& c, uint64_t htlc_id, const Preimage* preimage,
                                const FailInfo* failure, const std::string& why) {
  auto it = c.outgoing.find(htlc_id);
  if (it == c.outgoing.end()) return;
  auto pit = m_payments.find(it->second);
  c.outgoing.erase(it);
  if (pit == m_payments.end()) return;
  Payment& p = *pit->second;
  if (preimage != nullptr) {
    p.record.status = PaymentStatus::Succeeded;
    p.record.preimage = *preimage;
    m_log.info("payment {} succeeded", p.record.payment_hash.to_hex());
  } else {
    p.record.status = PaymentStatus::Failed;
    std::pair<uint16_t, std::string> read{0, why};
    if (failure != nullptr && failure->malformed_code != 0) {
      read = {failure->malformed_code, "malformed onion: " + code_text(failure->malformed_code)};
    } else if (failure != nullptr) {
      read = read_failure(p.shared_secrets, failure->reason);
    }
    p.failure_code = read.first;
    p.record.failure = read.second;
    m_log.info("payment {} failed: {}", p.record.payment_hash.to_hex(), read.second);
  }
  ChannelStore::put_payment(m_batch, p.record);
  finish_payment(p);
}

void Node::finish_payment(Payment& p) {
  // The caller hears the outcome once it is durable.
  PaymentHash hash = p.record.payment_hash;
  auto waiters = std::move(p.waiters);
  p.waiters.clear();
  if (waiters.empty()) return;
  enqueue(true, [hash, waiters = std::move(waiters)]() {
    for (const auto& w : waiters) w(PaymentResult{hash});
  });
}

void Node::reconcile_payments_after_restart() {
  // A pending payment whose HTLC is in no commitment and no log was dropped uncommitted
  // (a restart forgets unsigned updates): it failed. One still in the state stays pending
  // until the peer resolves it.
  for (auto& [hash, p] : m_payments) {
    if (p->record.status != PaymentStatus::Pending) continue;
    auto it = m_channels.find(p->record.key_index);
    if (it != m_channels.end() && outgoing_alive(it->second->state(), p->record.htlc_id)) {
      continue;
    }
    if (it != m_channels.end()) it->second->outgoing.erase(p->record.htlc_id);
    p->record.status = PaymentStatus::Failed;
    p->record.failure = "the HTLC was dropped before it was committed (restart)";
    ChannelStore::put_payment(m_batch, p->record);
  }
  // Failure reasons the peer sent that are still in the logs.
  for (auto& [key, c] : m_channels) {
    for (const auto* log : {&c->state().theirs.acked, &c->state().theirs.signed_}) {
      for (const auto& u : *log) {
        if (auto* f = std::get_if<wire::msg::UpdateFailHtlc>(&u)) {
          m_fail_reasons[IncomingKey{key, f->id}] = FailInfo{f->reason, 0};
        } else if (auto* mf = std::get_if<wire::msg::UpdateFailMalformedHtlc>(&u)) {
          m_fail_reasons[IncomingKey{key, mf->id}] = FailInfo{{}, mf->failure_code};
        }
      }
    }
  }
}

}  // namespace fulgur::channeld
