// The HTLC switch in the node: every HTLC a peer irrevocably commits goes through
// lib/payment's decide_incoming (forward, final hop for the invoice registry, fail, fail
// malformed); outgoing HTLCs that resolve go to the forward tracker (settle or fail
// upstream) or the payment tracker; the registry hears of time (MPP timeout, expiry) and
// blocks. Every record lib/payment hands out goes into the open batch before any action it
// implies is queued behind that batch. Decisions are lib/payment's; this file only finds
// channels, carries resolutions out and keeps what a restart needs.
#include <ctime>

#include "channeld/node_internal.h"
#include "common/overloaded.h"
#include "onion/failure.h"
#include "payment/channel_update.h"

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

// The peer's latest view of what we offered: the commitment we signed last.
const channel::CommitSpec& latest_remote_spec(const channel::ChannelState& s) {
  return s.waiting ? s.waiting->next.spec : s.remote_commit.spec;
}

const char* resolution_name(const payment::Resolution& r) {
  return std::visit(Overloaded{[](const payment::Fulfill&) { return "fulfill"; },
                               [](const payment::Fail&) { return "fail"; },
                               [](const payment::FailMalformed&) { return "fail malformed"; }},
                    r);
}

using channel::SpecHtlc;
}  // namespace

uint64_t unix_now() { return static_cast<uint64_t>(std::time(nullptr)); }

// ---- start ----

void Node::load_payment_records(const StoreContents& contents) {
  payment::RegistryConfig registry;
  switch (m_config.network) {
    case bitcoin::Network::Main: registry.currency = "bc"; break;
    case bitcoin::Network::Testnet: registry.currency = "tb"; break;
    case bitcoin::Network::Signet: registry.currency = "tbs"; break;
    case bitcoin::Network::Regtest: registry.currency = "bcrt"; break;
  }
  registry.mpp_timeout_seconds = m_config.mpp_timeout_s;
  registry.accept_keysend = m_config.accept_keysend;
  registry.keysend_min_final_cltv_expiry_delta = CltvDelta(m_config.min_final_cltv_delta);
  const std::string currency = registry.currency;
  m_switch = std::make_unique<Switch>(std::move(registry));
  m_switch->currency = currency;
  m_switch->config.policy = m_config.policy;
  size_t bad = 0;
  for (const auto& r : contents.invoices) {
    if (auto st = m_switch->registry.load(r); !st) {
      m_log.error("invoice record skipped: {}", st.error().message);
      ++bad;
    }
  }
  for (const auto& r : contents.forwards) {
    if (auto st = m_switch->forwards.load(r); !st) {
      m_log.error("forward record skipped: {}", st.error().message);
      ++bad;
    }
  }
  for (const auto& r : contents.payments) {
    if (auto st = m_switch->payments.load(r); !st) {
      m_log.error("payment record skipped: {}", st.error().message);
      ++bad;
    }
  }
  m_log.info("restored {} invoices, {} forwards, {} payment attempts ({} unreadable)",
             m_switch->registry.size(), m_switch->forwards.list().size(),
             m_switch->payments.size(), bad);
}

void Node::reconcile_payments_after_restart() {
  const uint64_t now = unix_now();
  // An outgoing HTLC that is in no commitment and no log was dropped uncommitted (a restart
  // forgets unsigned updates): it never left. Every other one is resolved by the peer after
  // channel_reestablish (what the channel resolved before the restart, the trackers already
  // know: their records are in the same commit as the channel state).
  std::vector<payment::HtlcKey> dropped;
  for (const payment::ForwardRecord* f : m_switch->forwards.list()) {
    if (f->state != payment::ForwardState::offered) continue;
    Channel* c = channel_by_id(f->outgoing.channel_id);
    if (c == nullptr || !outgoing_alive(c->state(), f->outgoing.htlc_id)) dropped.push_back(f->outgoing);
  }
  for (const payment::PaymentRecord* p : m_switch->payments.list()) {
    if (p->state != payment::PaymentState::pending) continue;
    Channel* c = channel_by_id(p->htlc.channel_id);
    if (c == nullptr || !outgoing_alive(c->state(), p->htlc.htlc_id)) dropped.push_back(p->htlc);
  }
  for (const auto& key : dropped) {
    Channel* c = channel_by_id(key.channel_id);
    if (c != nullptr) {
      on_outgoing_dropped(*c, key.htlc_id);
      continue;
    }
    // The channel is gone altogether (never funded): fail without a channel_update.
    if (auto out = m_switch->forwards.on_dropped(key, {}, now)) {
      for (const auto& p : out->persist) ChannelStore::put_forward(m_batch, p);
      carry_out(std::move(out->resolutions));
    } else if (auto u = m_switch->payments.on_dropped(key, now)) {
      ChannelStore::put_payment(m_batch, u->persist);
    }
  }
  if (!dropped.empty()) m_log.info("{} outgoing HTLCs were dropped before a restart", dropped.size());
  // Failure reasons the peer sent that are still in the logs (the machine reports the
  // failure, not its reason).
  for (auto& [key, c] : m_channels) {
    for (const auto* log : {&c->state().theirs.acked, &c->state().theirs.signed_}) {
      for (const auto& u : *log) {
        if (auto* f = std::get_if<wire::msg::UpdateFailHtlc>(&u)) {
          m_fail_reasons[IncomingKey{key, f->id}] = FailInfo{f->reason, 0, {}};
        } else if (auto* mf = std::get_if<wire::msg::UpdateFailMalformedHtlc>(&u)) {
          m_fail_reasons[IncomingKey{key, mf->id}] =
              FailInfo{{}, mf->failure_code, mf->sha256_of_onion};
        }
      }
    }
  }
  // Held parts whose expiry came close while we were down, sets that timed out.
  on_height(m_height);
}

// ---- channels as the switch sees them ----

Node::Channel* Node::channel_by_id(const ChannelId& id) {
  for (auto& [key, c] : m_channels) {
    if (c->state().channel_id == id) return c.get();
  }
  return nullptr;
}

void Node::set_short_channel_id(Channel& c, ShortChannelId scid) {
  if (c.scid == scid) return;
  // Durable with the channel's next record; until then the L1 gives it again after a
  // restart (refresh_depths asks for channels without one).
  c.scid = scid;
  c.channel_update.clear();
  refresh_switch_entry(c);
}

const Bytes& Node::channel_update_of(Channel& c) {
  const bool disabled = c.phase() != channel::Phase::Normal;
  if (!c.scid) {
    c.channel_update.clear();
    return c.channel_update;
  }
  if (c.channel_update.empty() || c.channel_update_disabled != disabled) {
    payment::ChannelUpdateParams p;
    p.chain_hash = m_config.channel.chain_hash;
    p.short_channel_id = *c.scid;
    p.timestamp = static_cast<uint32_t>(unix_now());
    p.remote_node = c.peer;
    p.disabled = disabled;
    p.policy = m_config.policy;
    p.capacity = to_msat(c.state().funding_amount).value_or(Msat::max());
    c.channel_update = payment::sign_channel_update(*m_node_key, p);
    c.channel_update_disabled = disabled;
  }
  return c.channel_update;
}

void Node::refresh_switch_entry(Channel& c) {
  if (!m_switch || !c.scid) return;
  const auto& s = c.state();
  const channel::CommitSpec& spec = latest_remote_spec(s);
  payment::OutgoingChannel out;
  out.channel_id = s.channel_id;
  out.short_channel_id = *c.scid;
  out.peer = c.peer;
  out.peer_connected = c.machine->reestablished();
  out.usable = s.phase == channel::Phase::Normal;
  out.htlc_minimum_msat = s.remote_params.htlc_minimum;
  // What is left of the peer's max_htlc_value_in_flight_msat, of our balance above the
  // reserve, and of its max_accepted_htlcs. Estimates: the machine's add_htlc has the last
  // word (a refusal there fails the forward with temporary_channel_failure).
  out.htlc_maximum_msat = s.remote_params.max_htlc_value_in_flight.saturating_sub(spec.in_flight(true));
  out.available_msat = spec.to_us.saturating_sub(
      to_msat(s.remote_params.channel_reserve).value_or(Msat::max()));
  size_t offered = spec.count(true);
  out.free_htlc_slots = static_cast<uint16_t>(
      offered < s.remote_params.max_accepted_htlcs ? s.remote_params.max_accepted_htlcs - offered : 0);
  out.channel_update = channel_update_of(c);
  m_switch->table.upsert(std::move(out));
}

// ---- HTLC events from the channels ----

void Node::on_htlc_event(uint64_t key, const channel::Event& e) {
  auto it = m_channels.find(key);
  if (it == m_channels.end()) return;
  Channel& c = *it->second;
  std::visit(Overloaded{
                 [&](const channel::event::IncomingHtlc& h) {
                   on_incoming_htlc(c, h.id, h.amount, h.payment_hash, h.cltv_expiry,
                                    h.onion_routing_packet.span(), h.blinded_path.has_value());
                 },
                 [&](const channel::event::OutgoingFulfilled& f) {
                   on_outgoing_fulfilled(c, f.id, f.payment_preimage);
                 },
                 [&](const channel::event::OutgoingFailed& f) { on_outgoing_failed(c, f.id); },
                 [&](const channel::event::OutgoingDropped& d) { on_outgoing_dropped(c, d.id); },
                 [&](const auto&) {},
             },
             e);
}

void Node::on_incoming_htlc(Channel& c, uint64_t htlc_id, Msat amount, const PaymentHash& hash,
                            BlockHeight cltv_expiry, ByteSpan onion, bool blinded) {
  const payment::HtlcKey key{c.state().channel_id, htlc_id};
  // lib/payment's contract: a known incoming HTLC is not decided twice (a forward is never
  // offered twice); a resolved one is resolved again the same way.
  if (auto decided = m_switch->decided.find(key); decided != m_switch->decided.end()) {
    carry_out({decided->second});
    return;
  }
  if (const payment::ForwardRecord* known = m_switch->forwards.find_incoming(key)) {
    if (auto r = payment::incoming_resolution(*known)) carry_out({std::move(*r)});
    return;
  }
  payment::IncomingHtlc in{key, amount, hash, cltv_expiry, onion, blinded};
  payment::Decision d =
      payment::decide_incoming(in, *m_node_key, m_switch->table, m_switch->config, m_height);
  std::visit(Overloaded{
                 [&](payment::Forward& f) { forward(std::move(f)); },
                 [&](payment::FinalHtlc& h) {
                   if (m_config.dev_hold_htlcs) {
                     // Development only: the HTLC stays in flight; on chain it is claimed
                     // (node_onchain.cpp).
                     m_log.info("channel {}: holding HTLC {} (dev-hold-htlcs)", c.key_index,
                                htlc_id);
                     return;
                   }
                   auto out = m_switch->registry.on_htlc(std::move(h), m_height, unix_now());
                   for (const auto& p : out.persist) ChannelStore::put_invoice(m_batch, p);
                   for (const auto& paid : out.paid) {
                     m_log.info("payment {} received", paid.to_hex());
                   }
                   carry_out(std::move(out.resolutions));
                 },
                 [&](payment::Fail& f) {
                   m_log.info("channel {}: failing HTLC {} (code {:#06x})", c.key_index, htlc_id,
                              f.failure_code.value_or(0));
                   carry_out({std::move(f)});
                 },
                 [&](payment::FailMalformed& f) {
                   m_log.info("channel {}: HTLC {} has a bad onion ({:#06x})", c.key_index,
                              htlc_id, f.failure_code);
                   carry_out({std::move(f)});
                 },
             },
             d);
}

void Node::forward(payment::Forward f) {
  Channel* out_channel = channel_by_id(f.outgoing_channel_id);
  auto packet = wire::OnionPacket::from_span(f.onion_routing_packet);
  FULGUR_ASSERT(packet.has_value());  // lib/onion hands out full-size packets
  uint64_t id = 0;
  Result<channel::Outputs> out = fail("the outgoing channel is gone");
  if (out_channel != nullptr) {
    out = out_channel->machine->add_htlc(f.amount_msat, f.payment_hash, f.cltv_expiry, *packet, &id);
  }
  if (!out) {
    // BOLT 4: a transient error of the outgoing channel is temporary_channel_failure.
    m_log.info("forward of {} refused by the outgoing channel: {}", f.payment_hash.to_hex(),
               out.error().message);
    Bytes update = out_channel != nullptr ? channel_update_of(*out_channel) : Bytes{};
    carry_out({payment::fail_forward(f, update)});
    return;
  }
  auto added = m_switch->forwards.add(f, id, unix_now());
  // The machine gave a fresh id, so a link for it cannot exist: anything else is our bug.
  FULGUR_ASSERT(added.ok());
  for (const auto& p : added->persist) ChannelStore::put_forward(m_batch, p);
  m_log.info("forwarding {} msat on {} (fee {} msat)", f.amount_msat.value(),
             f.outgoing_short_channel_id.to_string(), f.fee().value());
  m_to_sign.insert(out_channel->key_index);
  // The forward record is durable before update_add_htlc leaves (never forwarded twice).
  apply(*out_channel, std::move(*out), true);
}

void Node::carry_out(std::vector<payment::Resolution> resolutions) {
  for (auto& r : resolutions) {
    const payment::HtlcKey key = payment::htlc_of(r);
    Channel* c = channel_by_id(key.channel_id);
    if (c == nullptr) {
      m_log.error("no channel {} to {} HTLC {}", key.channel_id.to_hex(), resolution_name(r),
                  key.htlc_id);
      continue;
    }
    Result<channel::Outputs> out = std::visit(
        Overloaded{
            [&](const payment::Fulfill& f) {
              return c->machine->fulfill_htlc(key.htlc_id, f.payment_preimage);
            },
            [&](const payment::Fail& f) { return c->machine->fail_htlc(key.htlc_id, f.reason); },
            [&](const payment::FailMalformed& f) {
              return c->machine->fail_malformed_htlc(key.htlc_id, f.sha256_of_onion, f.failure_code);
            },
        },
        r);
    // Kept until the HTLC is gone from the channel: a disconnection drops our unsigned
    // removal, and the same resolution goes out again after channel_reestablish.
    m_switch->decided.insert_or_assign(key, std::move(r));
    if (!out) {
      // Not now (e.g. the peer is away): again after channel_reestablish.
      m_log.debug("channel {}: cannot resolve HTLC {} yet: {}", c->key_index, key.htlc_id,
                  out.error().message);
      m_switch->refused.insert(key);
      continue;
    }
    m_switch->refused.erase(key);
    m_to_sign.insert(c->key_index);
    // Behind the records that decided it (in this batch).
    apply(*c, std::move(*out), true);
  }
}

void Node::on_outgoing_fulfilled(Channel& c, uint64_t htlc_id, const Preimage& preimage) {
  const payment::HtlcKey key{c.state().channel_id, htlc_id};
  const uint64_t now = unix_now();
  if (m_switch->forwards.find_outgoing(key) != nullptr) {
    // BOLT 2: "upon receiving an update_fulfill_htlc for an outgoing HTLC ... MUST fulfill
    // the incoming HTLC that corresponds to that outgoing HTLC" (lib/payment decides).
    auto out = m_switch->forwards.on_fulfilled(key, preimage, now);
    if (!out) return m_log.error("channel {}: {}", c.key_index, out.error().message);
    for (const auto& p : out->persist) ChannelStore::put_forward(m_batch, p);
    carry_out(std::move(out->resolutions));
    return;
  }
  if (m_switch->payments.find(key) != nullptr) {
    auto u = m_switch->payments.on_fulfilled(key, preimage, now);
    if (!u) return m_log.error("channel {}: {}", c.key_index, u.error().message);
    ChannelStore::put_payment(m_batch, u->persist);
    payment_changed(m_switch->payments.find(key)->payment_hash);
    return;
  }
  m_log.warn("channel {}: fulfilled HTLC {} is neither a forward nor a payment", c.key_index,
             htlc_id);
}

void Node::on_outgoing_failed(Channel& c, uint64_t htlc_id) {
  const payment::HtlcKey key{c.state().channel_id, htlc_id};
  const uint64_t now = unix_now();
  FailInfo info;
  if (auto it = m_fail_reasons.find(IncomingKey{c.key_index, htlc_id}); it != m_fail_reasons.end()) {
    info = std::move(it->second);
    m_fail_reasons.erase(it);
  } else {
    m_log.warn("channel {}: HTLC {} failed without a reason we kept", c.key_index, htlc_id);
  }
  const bool malformed = info.malformed_code != 0;
  if (m_switch->forwards.find_outgoing(key) != nullptr) {
    auto out = malformed ? m_switch->forwards.on_malformed(key, info.malformed_code,
                                                           info.sha256_of_onion, now)
                         : m_switch->forwards.on_failed(key, info.reason, now);
    if (!out) return m_log.error("channel {}: {}", c.key_index, out.error().message);
    for (const auto& p : out->persist) ChannelStore::put_forward(m_batch, p);
    carry_out(std::move(out->resolutions));
    return;
  }
  if (m_switch->payments.find(key) != nullptr) {
    auto u = malformed ? m_switch->payments.on_malformed(key, info.malformed_code,
                                                         info.sha256_of_onion, now)
                       : m_switch->payments.on_failed(key, info.reason, now);
    if (!u) return m_log.error("channel {}: {}", c.key_index, u.error().message);
    ChannelStore::put_payment(m_batch, u->persist);
    payment_changed(m_switch->payments.find(key)->payment_hash);
    return;
  }
  m_log.warn("channel {}: failed HTLC {} is neither a forward nor a payment", c.key_index, htlc_id);
}

void Node::on_outgoing_dropped(Channel& c, uint64_t htlc_id) {
  const payment::HtlcKey key{c.state().channel_id, htlc_id};
  const uint64_t now = unix_now();
  if (m_switch->forwards.find_outgoing(key) != nullptr) {
    auto out = m_switch->forwards.on_dropped(key, channel_update_of(c), now);
    if (!out) return m_log.error("channel {}: {}", c.key_index, out.error().message);
    for (const auto& p : out->persist) ChannelStore::put_forward(m_batch, p);
    m_log.info("channel {}: forwarded HTLC {} dropped before it was committed", c.key_index,
               htlc_id);
    carry_out(std::move(out->resolutions));
    return;
  }
  if (const payment::PaymentRecord* p = m_switch->payments.find(key)) {
    const PaymentHash hash = p->payment_hash;
    auto u = m_switch->payments.on_dropped(key, now);
    if (!u) return m_log.error("channel {}: {}", c.key_index, u.error().message);
    ChannelStore::put_payment(m_batch, u->persist);
    payment_changed(hash);
  }
}

Status Node::resolve_outgoing_onchain(const ChannelId& channel_id, uint64_t htlc_id,
                                      const std::optional<Preimage>& preimage) {
  const payment::HtlcKey key{channel_id, htlc_id};
  const uint64_t now = unix_now();
  if (m_switch->forwards.find_outgoing(key) != nullptr) {
    auto out = preimage ? m_switch->forwards.on_fulfilled(key, *preimage, now)
                        : m_switch->forwards.on_timed_out(key, now);
    if (!out) return Unexpected{out.error()};
    for (const auto& p : out->persist) ChannelStore::put_forward(m_batch, p);
    m_log.info("forwarded HTLC {} on {} {} on chain", htlc_id, channel_id.to_hex(),
               preimage ? "fulfilled" : "timed out");
    carry_out(std::move(out->resolutions));
  } else if (const payment::PaymentRecord* p = m_switch->payments.find(key)) {
    const PaymentHash hash = p->payment_hash;
    auto u = preimage ? m_switch->payments.on_fulfilled(key, *preimage, now)
                      : m_switch->payments.on_timed_out(key, now);
    if (!u) return Unexpected{u.error()};
    ChannelStore::put_payment(m_batch, u->persist);
    payment_changed(hash);
  } else {
    return fail("no forward or payment on HTLC " + std::to_string(htlc_id) + " of channel " +
                channel_id.to_hex());
  }
  request_turn_end();
  drain();
  return {};
}

void Node::resolve_pending_incoming(Channel& c, bool reestablished) {
  if (!c.machine->reestablished()) return;
  const uint64_t key = c.key_index;
  const ChannelId id = c.state().channel_id;
  std::vector<payment::Resolution> again;
  std::vector<SpecHtlc> undecided;
  for (const auto& h : c.machine->pending_incoming()) {
    const payment::HtlcKey hk{id, h.id};
    auto decided = m_switch->decided.find(hk);
    if (decided != m_switch->decided.end()) {
      // Refused before, or (after a reconnection) dropped with the unsigned updates.
      if (reestablished || m_switch->refused.contains(hk)) again.push_back(decided->second);
    } else if (reestablished) {
      undecided.push_back(h);
    }
  }
  carry_out(std::move(again));
  // After a reconnection or a restart, every HTLC still waiting for a decision goes through
  // the switch again: the forward tracker and the registry recognise what they have.
  for (const auto& h : undecided) {
    auto it = m_channels.find(key);
    if (it == m_channels.end() || !c.machine->reestablished()) return;
    const payment::HtlcKey hk{id, h.id};
    auto onion = m_incoming_onions.find(IncomingKey{key, h.id});
    if (onion != m_incoming_onions.end()) {
      Bytes bytes = onion->second;
      on_incoming_htlc(c, h.id, h.amount, h.payment_hash, BlockHeight(h.cltv_expiry), bytes, false);
    } else if (const payment::ForwardRecord* f = m_switch->forwards.find_incoming(hk)) {
      if (auto r = payment::incoming_resolution(*f)) carry_out({std::move(*r)});
    } else {
      m_log.error("channel {}: no onion for incoming HTLC {}; failing it", key, h.id);
      std::vector<payment::Resolution> fail;
      fail.emplace_back(payment::FailMalformed{
          hk, Hash256{}, onion::to_u16(onion::FailureCode::invalid_onion_hmac)});
      carry_out(std::move(fail));
    }
  }
  // What concerned HTLCs that are gone from every commitment and log is no longer needed.
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
  for (auto it = m_switch->decided.lower_bound(payment::HtlcKey{id, 0});
       it != m_switch->decided.end() && it->first.channel_id == id;) {
    if (!incoming_alive(s, it->first.htlc_id)) {
      m_switch->refused.erase(it->first);
      it = m_switch->decided.erase(it);
    } else {
      ++it;
    }
  }
}

// ---- time and blocks ----

void Node::on_height(BlockHeight height) {
  if (!m_switch) return;
  // Held parts whose expiry is now too close fail (BOLT 4, final node).
  auto out = m_switch->registry.on_block(height);
  for (const auto& p : out.persist) ChannelStore::put_invoice(m_batch, p);
  carry_out(std::move(out.resolutions));
  for (const payment::ForwardRecord* f :
       m_switch->forwards.at_risk(height, m_config.policy.cltv_expiry_delta)) {
    m_log.warn("forward {}: the incoming HTLC expires at {} and the outgoing is unresolved",
               f->payment_hash.to_hex(), f->incoming_cltv_expiry.value());
  }
  request_turn_end();
}

void Node::on_tick() {
  if (!m_switch || m_stopping) return;
  // MPP sets that waited too long fail with mpp_timeout; unpaid invoices expire.
  auto out = m_switch->registry.on_tick(unix_now());
  if (out.persist.empty() && out.resolutions.empty()) return;
  for (const auto& p : out.persist) ChannelStore::put_invoice(m_batch, p);
  carry_out(std::move(out.resolutions));
  request_turn_end();
  drain();
}

}  // namespace fulgur::channeld
