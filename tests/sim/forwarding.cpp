// The three-node forwarding simulator (see forwarding.h): set-up, the schedule, the channel
// daemons' part (persist before send, events to the payment layer) and the payment layer's
// part (A pays, B forwards, C settles), each node restartable from its records alone.
#include "sim/forwarding.h"

#include <cstdio>
#include <cstdlib>

#include "bitcoin/bech32.h"
#include "channel/scripts.h"
#include "core/script_verify.h"
#include "crypto/hash.h"
#include "invoice/invoice.h"
#include "onion/failure.h"
#include "sim/forwarding_sim.h"

namespace fulgur::sim {
namespace fwd {

using namespace channel;
namespace pay = payment;
using onion::FailureCode;
using onion::to_u16;

namespace {

ChannelConfig sim_config() {
  ChannelConfig c;
  c.chain_hash = BlockHash(std::array<uint8_t, 32>{0x06});
  c.minimum_depth = 1;
  c.max_accepted_htlcs = 30;
  c.to_self_delay = 12;
  c.auto_commit = true;
  return c;
}

crypto::SecretKey key_from(const Hash256& h) {
  auto k = crypto::SecretKey::from_bytes(h.array());
  if (!k) violated("a derived key is not a valid secret key");
  return std::move(*k);
}

template <typename Fixed>
Fixed random_fixed(Rng& rng) {
  std::array<uint8_t, Fixed::SIZE> bytes{};
  for (auto& b : bytes) b = static_cast<uint8_t>(rng.next());
  return Fixed(bytes);
}

// B's channel_update for its B -> C channel (0x0102 type included), as failures carry it.
Bytes channel_update_for(const crypto::SecretKey& key, ShortChannelId scid,
                         const pay::ForwardingPolicy& policy) {
  wire::msg::ChannelUpdate update;
  update.chain_hash = wire::regtest_chain_hash();
  update.short_channel_id = scid;
  update.timestamp = 1700000000;
  update.message_flags = 1;
  update.cltv_expiry_delta = policy.cltv_expiry_delta;
  update.htlc_minimum_msat = policy.htlc_minimum_msat;
  update.fee_base_msat = policy.fee_base_msat;
  update.fee_proportional_millionths = policy.fee_proportional_millionths;
  update.htlc_maximum_msat = Msat(1'000'000'000);
  Bytes unsigned_part = wire::encode_message(update);
  ByteSpan signed_part = ByteSpan(unsigned_part).subspan(2 + 64);
  update.signature = wire::to_wire_signature(crypto::sign(key, crypto::sha256d(signed_part)));
  return wire::encode_message(update);
}

bool in_flight(const ChannelState& s, uint64_t id) {
  if (s.local_commit.spec.find(true, id) || s.remote_commit.spec.find(true, id)) return true;
  if (s.waiting && s.waiting->next.spec.find(true, id)) return true;
  for (const auto* log : {&s.ours.proposed, &s.ours.signed_, &s.ours.acked}) {
    for (const auto& u : *log) {
      if (auto* add = std::get_if<msg::UpdateAddHtlc>(&u); add && add->id == id) return true;
    }
  }
  return false;
}

}  // namespace

Simulation::Simulation(uint64_t seed, const ForwardingOptions& o)
    : m_rng(seed), m_opt(o), m_chain(l1sim::make_input_verifier()) {
  m_wallet.emplace([this] {
    Bytes s{0x77, static_cast<uint8_t>(++m_keys), static_cast<uint8_t>(m_keys >> 8)};
    return key_from(crypto::sha256(s));
  });
  m_miner = *bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, m_wallet->new_address());
  m_policy = pay::ForwardingPolicy{Msat(1000), 100, CltvDelta(34), Msat(1), Msat::max()};
  m_switch.policy = m_policy;
}

void Simulation::trace(const std::string& what) const {
  if (std::getenv("FULGUR_SIM_TRACE")) std::fprintf(stderr, "step %d: %s\n", m_step, what.c_str());
}

int Simulation::chan_of(const ChannelId& id) const {
  for (int ci = 0; ci < 2; ++ci) {
    if (m_chans[ci].id == id) return ci;
  }
  violated("an HTLC key names no channel");
}

// ---- set-up ----

void Simulation::make_nodes() {
  for (int n = 0; n < 3; ++n) {
    Bytes s{static_cast<uint8_t>(n), static_cast<uint8_t>(m_rng.next()),
            static_cast<uint8_t>(m_rng.next())};
    Hash256 h = crypto::sha256(s);
    m_nodes[n].seed = crypto::Secret32(h.span());
    m_nodes[n].key.emplace(key_from(crypto::sha256(h.span())));
    m_nodes[n].id = m_nodes[n].key->public_key().node_id();
    m_nodes[n].config = sim_config();
    m_nodes[n].registry.emplace(pay::RegistryConfig{"bcrt"});
  }
  // Mature coins for the wallet that funds the channels (and anchor HTLC transactions).
  for (int k = 0; k < 110; ++k) m_chain.mine(m_miner);
  m_fed = m_chain.height();
}

void Simulation::open_channel(int ci, int opener, int accepter) {
  Chan& c = m_chans[ci];
  c.side[0].node = opener;
  c.side[1].node = accepter;
  for (auto& side : c.side) {
    side.sweep = *bitcoin::segwit_address_to_script(bitcoin::Network::Regtest,
                                                    m_wallet->new_address());
  }
  c.funding = Sat(600'000 + m_rng.below(600'000));
  Outputs out;
  OpenRequest req;
  req.key_index = static_cast<uint64_t>(ci);
  req.temporary_channel_id = ChannelId(std::array<uint8_t, 32>{static_cast<uint8_t>(ci + 1)});
  req.funding_satoshis = c.funding;
  req.push_msat = Msat(m_rng.below(c.funding.value() * 100));
  req.feerate_per_kw = FeeratePerKw(static_cast<uint32_t>(253 + m_rng.below(1000)));
  req.type = m_rng.chance(0.5) ? ChannelType::Anchors : ChannelType::StaticRemoteKey;
  auto o = ChannelMachine::open(m_nodes[opener].config, m_nodes[opener].seed, req, out);
  if (!o) violated("open: " + o.error().message);
  c.side[0].m.emplace(std::move(*o));
  auto& open = std::get<msg::OpenChannel>(std::get<SendMessage>(out.actions[0]).message);
  Outputs acc_out;
  auto acc = ChannelMachine::accept(m_nodes[accepter].config, m_nodes[accepter].seed,
                                    static_cast<uint64_t>(ci), open, acc_out);
  if (!acc) violated("accept: " + acc.error().message);
  c.side[1].m.emplace(std::move(*acc));
  c.initial[0] = Msat(c.funding.value() * 1000 - req.push_msat.value());
  c.initial[1] = req.push_msat;
  execute(ci, 1, std::move(acc_out));
  while (deliver_one()) {
  }
}

void Simulation::on_funding_needed(int ci, int i, const event::FundingNeeded& f) {
  Chan& c = m_chans[ci];
  auto local = crypto::PublicKey::parse(f.local_funding_pubkey);
  auto remote = crypto::PublicKey::parse(f.remote_funding_pubkey);
  if (!local || !remote) violated("funding keys are not points");
  bitcoin::Script spk = bitcoin::p2wsh_for_script(funding_script(*local, *remote));
  bitcoin::Transaction tx;
  tx.outputs.push_back({f.funding_satoshis, spk});
  auto funded = m_wallet->fund(m_chain, tx, 2000, std::nullopt);
  if (!funded) violated("the wallet cannot fund a channel");
  tx = funded->tx;
  if (!m_wallet->sign(m_chain, tx).empty()) violated("the wallet cannot sign a funding tx");
  uint16_t vout = 0;
  while (tx.outputs[vout].script_pubkey != spk) ++vout;
  c.funding_tx = tx;
  c.funding_outpoint = bitcoin::OutPoint{tx.txid(), vout};
  auto r = c.side[i].m->funding_tx_ready(tx.txid(), vout, tx.serialize());
  if (!r) violated("funding_tx_ready: " + r.error().message);
  execute(ci, i, std::move(*r));
}

void Simulation::open_channels() {
  m_faults = false;
  open_channel(AB, A, B);
  open_channel(BC, B, C);
  for (int k = 0; k < 10; ++k) {
    bool normal = true;
    for (const auto& c : m_chans) {
      for (const auto& side : c.side) normal = normal && side.m->state().phase == Phase::Normal;
    }
    if (normal) break;
    mine();
    while (deliver_one()) {
    }
  }
  for (int ci = 0; ci < 2; ++ci) {
    Chan& c = m_chans[ci];
    for (int i = 0; i < 2; ++i) {
      if (c.side[i].m->state().phase != Phase::Normal) violated("channel did not open");
    }
    c.id = c.side[0].m->state().channel_id;
    auto where = m_chain.find_tx(c.funding_outpoint.txid);
    if (!where) violated("funding tx not confirmed");
    c.scid = *ShortChannelId::from_parts(where->height, 1 + static_cast<uint32_t>(ci),
                                         static_cast<uint16_t>(c.funding_outpoint.vout));
    for (int i = 0; i < 2; ++i) start_resolver(ci, i);
  }
  update_table();
  m_faults = true;
}

// ---- executing a machine's outputs: persist before send ----

void Simulation::execute(int ci, int i, Outputs out) {
  Chan& c = m_chans[ci];
  if (out.rejected && !m_forcing && !c.onchain) {
    violated("honest peer's message rejected: " + out.rejected->message + " (" +
             to_string(out.rejected->action) + ")");
  }
  size_t crash_at = SIZE_MAX;
  if (m_faults && m_rng.chance(m_opt.mid_batch_crash) && !out.actions.empty() && !c.onchain) {
    crash_at = m_rng.below(out.actions.size() + 1);
  }
  if (++m_depth > 64) violated("recursion");
  for (size_t k = 0; k < out.actions.size(); ++k) {
    if (k == crash_at) {
      --m_depth;
      crash(c.side[i].node);
      throw Crashed{};
    }
    std::visit(
        [&](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, PersistState>) {
            c.side[i].durable = a.record;
            c.side[i].history[c.side[i].m->state().local_commit.number] = a.record;
            update_resolver(ci, i);
          } else if constexpr (std::is_same_v<T, SendMessage>) {
            on_send(ci, i, std::move(a.message));
          } else if constexpr (std::is_same_v<T, BroadcastTx>) {
            on_broadcast(ci, i, a);
          } else if constexpr (std::is_same_v<T, Event>) {
            on_event(ci, i, a);
          } else {
            if (!m_forcing && !c.onchain) violated("an honest peer got disconnected");
          }
        },
        out.actions[k]);
  }
  --m_depth;
}

void Simulation::on_send(int ci, int i, wire::Message m) {
  Chan& c = m_chans[ci];
  const ChannelState& s = c.side[i].m->state();
  if (std::holds_alternative<msg::RevokeAndAck>(m)) {
    c.revoked_by[i] =
        std::max<int64_t>(c.revoked_by[i], static_cast<int64_t>(s.local_commit.number) - 1);
  }
  // Never sign a commitment the peer has already revoked.
  if (std::holds_alternative<msg::CommitmentSigned>(m) && s.waiting &&
      static_cast<int64_t>(s.waiting->next.number) <= c.revoked_by[1 - i]) {
    violated("signed revoked commitment " + std::to_string(s.waiting->next.number));
  }
  if (std::holds_alternative<msg::Error>(m) && !m_forcing && !c.onchain) {
    violated("honest node sent error");
  }
  ++m_result.messages;
  std::string detail;
  if (auto* add = std::get_if<msg::UpdateAddHtlc>(&m)) detail = " id " + std::to_string(add->id);
  if (auto* re = std::get_if<msg::ChannelReestablish>(&m)) {
    detail = " next_commitment_number " + std::to_string(re->next_commitment_number) +
             " next_revocation_number " + std::to_string(re->next_revocation_number);
  }
  trace(std::to_string(c.side[i].node) + "->" + std::to_string(c.side[1 - i].node) + " " +
        std::string(wire::message_name(wire::message_type(m))) +
        detail + (c.connected ? "" : " (dropped: disconnected)"));
  if (c.connected && !c.onchain) c.queue[i].push_back(wire::encode_message(m));
}

void Simulation::on_broadcast(int ci, int i, const BroadcastTx& tx) {
  Chan& c = m_chans[ci];
  auto parsed = bitcoin::parse_transaction(tx.tx);
  if (!parsed) violated("handed out a transaction that does not parse");
  switch (tx.kind) {
    case TxKind::Funding:
      submit(ci, i, *parsed, "funding");
      break;
    case TxKind::Commitment: {
      // Never broadcast a revoked commitment.
      if (static_cast<int64_t>(tx.commitment_number) <= c.revoked_by[i]) {
        violated("broadcast revoked commitment " + std::to_string(tx.commitment_number));
      }
      if (tx.spec.total().value() != c.funding.value() * 1000) violated("force close leaks funds");
      if (!c.onchain) {
        c.closer = i;
        went_onchain(ci);
      }
      submit(ci, i, *parsed, "commitment");
      if (c.side[i].resolver) {
        handle_resolver(ci, i, [&] {
          auto r = c.side[i].resolver->local_commitment_broadcast(*parsed);
          if (!r) violated("resolver refused our latest commitment: " + r.error().message);
          return std::move(*r);
        }());
      }
      break;
    }
    case TxKind::MutualClose:
      violated("no mutual close is asked for in this simulation");
  }
}

void Simulation::on_event(int ci, int i, const Event& e) {
  Chan& c = m_chans[ci];
  Node& n = node_of(ci, i);
  if (auto* f = std::get_if<event::FundingNeeded>(&e)) {
    on_funding_needed(ci, i, *f);
  } else if (auto* in = std::get_if<event::IncomingHtlc>(&e)) {
    // Kept durable before the channel record that commits it (the event comes first).
    n.incoming[{ci, in->id}] = IncomingRecord{
        in->amount, in->payment_hash, in->cltv_expiry,
        Bytes(in->onion_routing_packet.span().begin(), in->onion_routing_packet.span().end())};
  } else if (auto* ful = std::get_if<event::OutgoingFulfilled>(&e)) {
    outgoing_fulfilled(ci, i, ful->id, ful->payment_preimage);
  } else if (auto* failed = std::get_if<event::OutgoingFailed>(&e)) {
    outgoing_failed(ci, i, failed->id);
  } else if (auto* cf = std::get_if<event::ChannelFailed>(&e)) {
    if (!m_forcing && !c.onchain) violated("channel failed: " + cf->reason);
  } else if (std::holds_alternative<event::WeAreBehind>(e)) {
    violated("a node that persisted everything claims to be behind");
  }
}

// ---- faults ----

void Simulation::restore_side(int ci, int i) {
  Chan& c = m_chans[ci];
  Node& n = node_of(ci, i);
  Side& side = c.side[i];
  if (!c.onchain) {
    auto m = ChannelMachine::restore(n.config, n.seed, side.durable);
    if (!m) violated("restore failed: " + m.error().message);
    side.m.emplace(std::move(*m));
    // The failure reasons of HTLCs we offered, from the update logs the record keeps.
    side.fail_reasons.clear();
    side.malformed.clear();
    const ChannelState& s = side.m->state();
    for (const auto* log : {&s.theirs.proposed, &s.theirs.acked, &s.theirs.signed_}) {
      for (const auto& u : *log) {
        if (auto* f = std::get_if<msg::UpdateFailHtlc>(&u)) side.fail_reasons[f->id] = f->reason;
        if (auto* mf = std::get_if<msg::UpdateFailMalformedHtlc>(&u)) {
          side.malformed[mf->id] = {mf->failure_code, mf->sha256_of_onion};
        }
      }
    }
    auto depth = m_chain.find_tx(c.funding_outpoint.txid);
    uint32_t d = depth ? m_chain.height() - depth->height + 1 : 0;
    execute(ci, i, side.m->on_block(height(), d));
  }
  if (side.resolver) {
    auto r = onchain::Resolver::restore(onchain::Config{3, 20}, n.seed, side.resolver_record);
    if (!r) violated("resolver restore failed: " + r.error().message);
    side.resolver.emplace(std::move(*r));
    // Blocks above the recorded tip are fed again (the contract of the resolver's record).
    for (uint32_t h = side.resolver->tip() + 1; h <= m_fed; ++h) {
      const auto& txs = m_chain.find_block(*m_chain.hash_at(h))->block.transactions;
      handle_resolver(ci, i, side.resolver->on_block(BlockHeight(h), txs));
    }
  }
}

void Simulation::reload(Node& n) {
  n.payments = pay::PaymentTracker();
  n.forwards = pay::ForwardTracker();
  n.registry.emplace(pay::RegistryConfig{"bcrt"});
  for (const auto& [k, record] : n.store) {
    Status st;
    switch (k[0]) {
      case 'p': st = n.payments.load(record); break;
      case 'f': st = n.forwards.load(record); break;
      case 'i': st = n.registry->load(record); break;
      default: violated("unknown record");
    }
    if (!st) violated("a persisted payment record does not load: " + st.error().message);
  }
}

void Simulation::crash(int node) {
  ++m_result.crashes;
  trace("crash of node " + std::to_string(node));
  bool faults = m_faults;
  m_faults = false;
  for (int ci = 0; ci < 2; ++ci) {
    Chan& c = m_chans[ci];
    for (int i = 0; i < 2; ++i) {
      if (c.side[i].node != node) continue;
      if (!c.onchain && c.connected) {
        c.connected = false;
        c.queue[0].clear();
        c.queue[1].clear();
        execute(ci, 1 - i, c.side[1 - i].m->disconnected());
      }
    }
  }
  reload(m_nodes[node]);
  for (int ci = 0; ci < 2; ++ci) {
    for (int i = 0; i < 2; ++i) {
      if (m_chans[ci].side[i].node == node) restore_side(ci, i);
    }
  }
  m_faults = faults;
}

void Simulation::disconnect(int ci) {
  Chan& c = m_chans[ci];
  if (!c.connected || c.onchain) return;
  ++m_result.disconnects;
  trace("disconnect " + std::to_string(ci));
  c.connected = false;
  c.queue[0].clear();
  c.queue[1].clear();
  // Both ends learn of it before either acts (a crash while acting must not hide it).
  Outputs out[2] = {c.side[0].m->disconnected(), c.side[1].m->disconnected()};
  for (int i = 0; i < 2; ++i) execute(ci, i, std::move(out[i]));
}

void Simulation::reconnect(int ci) {
  Chan& c = m_chans[ci];
  if (c.connected || c.onchain) return;
  c.connected = true;
  Outputs out[2] = {c.side[0].m->reconnected(), c.side[1].m->reconnected()};
  for (int i = 0; i < 2; ++i) execute(ci, i, std::move(out[i]));
}

bool Simulation::deliver_one() {
  std::vector<std::pair<int, int>> ready;
  for (int ci = 0; ci < 2; ++ci) {
    for (int i = 0; i < 2; ++i) {
      if (!m_chans[ci].queue[i].empty()) ready.emplace_back(ci, i);
    }
  }
  if (ready.empty()) return false;
  auto [ci, i] = ready[m_rng.below(ready.size())];
  Chan& c = m_chans[ci];
  Bytes bytes = std::move(c.queue[i].front());
  c.queue[i].pop_front();
  auto m = wire::decode_message(bytes);
  if (!m) violated("a sent message does not decode: " + m.error().message);
  Side& to = c.side[1 - i];
  if (auto* f = std::get_if<msg::UpdateFailHtlc>(&*m)) to.fail_reasons[f->id] = f->reason;
  if (auto* mf = std::get_if<msg::UpdateFailMalformedHtlc>(&*m)) {
    to.malformed[mf->id] = {mf->failure_code, mf->sha256_of_onion};
  }
  if (auto* add = std::get_if<msg::UpdateAddHtlc>(&*m)) {
    trace("deliver add " + std::to_string(add->id) + " on " + std::to_string(ci) +
          " expecting " + std::to_string(to.m->state().next_htlc_id_theirs) + " proposed " +
          std::to_string(to.m->state().theirs.proposed.size()));
  }
  execute(ci, 1 - i, to.m->handle(*m));
  return true;
}

// ---- the payment layer ----

void Simulation::persist(Node& n, const pay::Persist& record) {
  // One table per component, told apart by the node's role.
  char table = &n == &m_nodes[A] ? 'p' : &n == &m_nodes[B] ? 'f' : 'i';
  Bytes k{static_cast<uint8_t>(table)};
  k.insert(k.end(), record.key.begin(), record.key.end());
  n.store[k] = record.record;
}

void Simulation::persist(Node& n, const std::vector<pay::Persist>& records) {
  for (const auto& r : records) persist(n, r);
}

void Simulation::update_table() {
  const Chan& bc = m_chans[BC];
  pay::OutgoingChannel oc;
  oc.channel_id = bc.id;
  oc.short_channel_id = bc.scid;
  oc.peer = m_nodes[C].id;
  oc.peer_connected = !bc.onchain && bc.side[0].m->reestablished();
  oc.usable = !bc.onchain && bc.side[0].m->state().phase == Phase::Normal;
  oc.htlc_minimum_msat = Msat(1);
  oc.available_msat = Msat(bc.funding.value() * 1000);
  oc.channel_update = channel_update_for(*m_nodes[B].key, bc.scid, m_policy);
  m_table.upsert(oc);
}

void Simulation::add_payment() {
  Chan& ab = m_chans[AB];
  if (ab.onchain || !ab.side[0].m->reestablished()) return;
  reoffer_dropped(AB, 0);
  if (ab.onchain || !ab.side[0].m->reestablished()) return;
  Node& a = m_nodes[A];
  Node& c = m_nodes[C];
  pay::InvoiceRequest req;
  req.amount_msat = Msat(3'000'000 + m_rng.below(m_chans[BC].funding.value() * 1000 / 25));
  req.description = "sim";
  req.min_final_cltv_expiry_delta = CltvDelta(18);
  pay::InvoiceEntropy entropy{random_fixed<Preimage>(m_rng), random_fixed<PaymentSecret>(m_rng)};
  auto created = c.registry->create(req, entropy, *c.key, now());
  if (!created) violated("invoice: " + created.error().message);
  persist(c, created->persist);
  auto inv = invoice::decode_invoice(created->bolt11);
  if (!inv) violated("our own invoice does not decode");
  PaymentInfo info;
  uint64_t roll = m_rng.below(100);
  info.kind = roll < 70   ? PayKind::Normal
              : roll < 80 ? PayKind::FeeTooLow
              : roll < 90 ? PayKind::UnknownScid
                          : PayKind::WrongSecret;
  pay::ForwardingPolicy believed = m_policy;
  ShortChannelId second = m_chans[BC].scid;
  if (info.kind == PayKind::FeeTooLow) believed.fee_base_msat = Msat(m_policy.fee_base_msat.value() - 1);
  if (info.kind == PayKind::UnknownScid) second = *ShortChannelId::from_parts(7, 7, 7);
  if (info.kind == PayKind::WrongSecret) inv->payment_secret = random_fixed<PaymentSecret>(m_rng);
  std::vector<pay::RouteHop> route{
      pay::RouteHop{m_nodes[B].id, ab.scid},
      pay::RouteHop{c.id, second, believed.fee_base_msat, believed.fee_proportional_millionths,
                    believed.cltv_expiry_delta, believed.htlc_minimum_msat,
                    believed.htlc_maximum_msat}};
  pay::PayOptions options;
  // BOLT 7's shadow route offset: slack for the blocks a slow hop lets pass.
  options.final_cltv_offset = CltvDelta(6);
  Bytes ks{0x5e, static_cast<uint8_t>(m_rng.next()), static_cast<uint8_t>(m_rng.next()),
           static_cast<uint8_t>(m_rng.next())};
  auto prepared = a.payments.prepare_invoice(*inv, route, options, key_from(crypto::sha256(ks)),
                                             height(), now());
  if (!prepared) violated("prepare_invoice: " + prepared.error().message);
  const pay::OutgoingHtlc htlc = prepared->htlc;
  uint64_t id = 0;
  auto r = ab.side[0].m->add_htlc(htlc.amount_msat, htlc.payment_hash, htlc.cltv_expiry,
                                  *wire::OnionPacket::from_span(htlc.onion_routing_packet), &id);
  if (!r) return;  // cannot afford it, limits: the payment is not attempted
  auto sent = a.payments.sent(std::move(*prepared), key(AB, id));
  if (!sent) violated("payment tracker: " + sent.error().message);
  persist(a, sent->persist);
  a.offered[{AB, id}] = OfferedRecord{htlc.amount_msat, htlc.payment_hash, htlc.cltv_expiry,
                                      htlc.onion_routing_packet};
  info.preimage = entropy.preimage;
  info.amount = *req.amount_msat;
  info.htlc = key(AB, id);
  m_payments[htlc.payment_hash] = info;
  ++m_result.payments;
  trace("payment " + std::to_string(m_result.payments) + " offered as AB HTLC " +
        std::to_string(id));
  execute(AB, 0, std::move(*r));
}

// An uncommitted HTLC we offered is dropped on disconnect or restart and the channel rewinds
// its ids: offer it again, with the same id, before anything new.
void Simulation::reoffer_dropped(int ci, int i) {
  Chan& c = m_chans[ci];
  Node& n = node_of(ci, i);
  for (const auto& [k, rec] : n.offered) {
    if (k.first != ci || c.onchain || !c.side[i].m->reestablished()) continue;
    pay::HtlcKey hk = key(ci, k.second);
    bool pending = false;
    if (&n == &m_nodes[A]) {
      const auto* p = n.payments.find(hk);
      pending = p && p->state == pay::PaymentState::pending;
    } else {
      const auto* f = n.forwards.find_outgoing(hk);
      pending = f && f->state == pay::ForwardState::offered;
    }
    const ChannelState& s = c.side[i].m->state();
    if (!pending || in_flight(s, k.second)) continue;
    if (k.second != s.next_htlc_id_ours) {
      violated("offered HTLC " + std::to_string(k.second) + " left the channel unresolved");
    }
    uint64_t id = 0;
    auto r = c.side[i].m->add_htlc(rec.amount, rec.payment_hash, rec.cltv_expiry,
                                   *wire::OnionPacket::from_span(rec.onion), &id);
    if (!r) violated("a dropped HTLC cannot be offered again: " + r.error().message);
    if (id != k.second) violated("a dropped HTLC came back with another id");
    ++m_result.reoffered;
    execute(ci, i, std::move(*r));
  }
}

void Simulation::forward(int ci, int i, uint64_t id, const pay::Forward& f) {
  (void)id;
  Chan& bc = m_chans[BC];
  auto refuse = [&] {
    apply(ci, i, pay::fail_forward(f, channel_update_for(*m_nodes[B].key, bc.scid, m_policy)));
  };
  if (bc.onchain || !bc.side[0].m->reestablished()) return refuse();
  reoffer_dropped(BC, 0);
  if (bc.onchain || !bc.side[0].m->reestablished()) return refuse();
  uint64_t out_id = 0;
  auto r = bc.side[0].m->add_htlc(f.amount_msat, f.payment_hash, f.cltv_expiry,
                                  *wire::OnionPacket::from_span(f.onion_routing_packet), &out_id);
  if (!r) return refuse();
  Node& b = m_nodes[B];
  auto added = b.forwards.add(f, out_id, now());
  if (!added) violated("forward tracker: " + added.error().message);
  persist(b, added->persist);
  b.offered[{BC, out_id}] = OfferedRecord{f.amount_msat, f.payment_hash, f.cltv_expiry,
                                          f.onion_routing_packet};
  trace("B forwards AB HTLC " + std::to_string(f.incoming.htlc_id) + " as BC HTLC " +
        std::to_string(out_id));
  execute(BC, 0, std::move(*r));
}

// What the node does with an irrevocably committed incoming HTLC: B forwards it (once) or
// relays its outcome, C's registry settles it. Nothing while it waits.
std::optional<pay::Resolution> Simulation::decide(int ci, int i, uint64_t id) {
  Node& n = node_of(ci, i);
  auto it = n.incoming.find({ci, id});
  if (it == n.incoming.end()) violated("incoming HTLC without its update_add_htlc");
  const IncomingRecord& rec = it->second;
  pay::HtlcKey k = key(ci, id);
  pay::IncomingHtlc in{k, rec.amount, rec.payment_hash, rec.cltv_expiry, rec.onion};
  if (&n == &m_nodes[B]) {
    if (const auto* f = n.forwards.find_incoming(k)) {
      switch (f->state) {
        case pay::ForwardState::offered: return std::nullopt;
        case pay::ForwardState::settled: return pay::Fulfill{k, *f->payment_preimage};
        case pay::ForwardState::failed:
          return pay::Fail{k, *f->failure_reason, f->failure_code};
      }
    }
    update_table();
    pay::Decision d = pay::decide_incoming(in, *n.key, m_table, m_switch, height());
    if (auto* fw = std::get_if<pay::Forward>(&d)) {
      forward(ci, i, id, *fw);
      return std::nullopt;
    }
    if (auto* fail = std::get_if<pay::Fail>(&d)) return *fail;
    if (auto* mal = std::get_if<pay::FailMalformed>(&d)) return *mal;
    violated("B took itself for the final hop");
  }
  pay::Decision d = pay::decide_incoming(in, *n.key, pay::ChannelTable{}, pay::SwitchConfig{},
                                         height());
  if (auto* fin = std::get_if<pay::FinalHtlc>(&d)) {
    pay::RegistryOutput out = n.registry->on_htlc(std::move(*fin), height(), now());
    persist(n, out.persist);
    for (const auto& r : out.resolutions) {
      if (pay::htlc_of(r) == k) return r;
    }
    return std::nullopt;
  }
  if (auto* fail = std::get_if<pay::Fail>(&d)) return *fail;
  if (auto* mal = std::get_if<pay::FailMalformed>(&d)) return *mal;
  violated("C was asked to forward");
}

void Simulation::apply(int ci, int i, const pay::Resolution& res) {
  Chan& c = m_chans[ci];
  if (c.onchain) return;  // the resolver claims it (its preimage is given to it)
  ChannelMachine& m = *c.side[i].m;
  uint64_t id = pay::htlc_of(res).htlc_id;
  Result<Outputs> r = std::visit(
      [&](const auto& x) -> Result<Outputs> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, pay::Fulfill>) {
          return m.fulfill_htlc(id, x.payment_preimage);
        } else if constexpr (std::is_same_v<T, pay::Fail>) {
          return m.fail_htlc(id, x.reason);
        } else {
          return m.fail_malformed_htlc(id, x.sha256_of_onion, x.failure_code);
        }
      },
      res);
  if (!r) violated("resolving an irrevocably committed HTLC failed: " + r.error().message);
  execute(ci, i, std::move(*r));
}

void Simulation::settle_incoming(int ci, int i) {
  Chan& c = m_chans[ci];
  if (c.onchain || !c.side[i].m->reestablished()) return;
  for (const auto& h : c.side[i].m->pending_incoming()) {
    if (c.onchain || !c.side[i].m->reestablished()) return;
    if (c.side[i].m->pending_incoming().empty()) return;
    bool still = false;
    for (const auto& p : c.side[i].m->pending_incoming()) still = still || p.id == h.id;
    if (!still) continue;
    if (auto r = decide(ci, i, h.id)) apply(ci, i, *r);
  }
}

void Simulation::settle(int node) {
  for (int ci = 0; ci < 2; ++ci) {
    Chan& c = m_chans[ci];
    if (c.side[0].node == node) reoffer_dropped(ci, 0);
    if (c.side[1].node == node) settle_incoming(ci, 1);
    for (int i = 0; i < 2; ++i) {
      if (c.side[i].node == node) give_preimages(ci, i);
    }
  }
}

void Simulation::payment_update(const pay::HtlcKey& htlc, pay::PaymentState before) {
  const pay::PaymentRecord* rec = m_nodes[A].payments.find(htlc);
  PaymentInfo& info = m_payments.at(rec->payment_hash);
  info.state = rec->state;
  if (before != pay::PaymentState::pending || rec->state == pay::PaymentState::pending) return;
  if (++info.endings > 1) violated("a payment ended twice at A");
  if (rec->state == pay::PaymentState::succeeded) {
    ++m_result.succeeded;
    if (!rec->payment_preimage || *rec->payment_preimage != info.preimage) {
      violated("a payment succeeded without the payee's preimage");
    }
    if (info.kind != PayKind::Normal) violated("a payment bound to fail succeeded");
    return;
  }
  ++m_result.failed;
  const auto& f = rec->failure;
  if (!f) violated("a failed payment without its failure");
  // A failure that never left our channel (timed out on chain) has no erring hop.
  if (!f->hop_index) {
    if (m_chans[AB].onchain) return;
    violated("a failure attributed to no hop");
  }
  uint32_t hop = *f->hop_index;
  trace("payment failed at hop " + std::to_string(hop) + " code " +
        std::to_string(f->failure_code.value_or(0)) + " kind " +
        std::to_string(static_cast<int>(info.kind)));
  if (hop == 0) ++m_result.failed_at_b;
  if (hop == 1) ++m_result.failed_at_c;
  uint16_t code = f->failure_code.value_or(0);
  bool at_b = hop == 0 && f->erring_node == m_nodes[B].id;
  bool at_c = hop == 1 && f->erring_node == m_nodes[C].id;
  // B's outgoing channel busy (disconnected, no room) or closed comes before the fee check.
  bool busy = at_b && (code == to_u16(FailureCode::temporary_channel_failure) ||
                       code == to_u16(FailureCode::permanent_channel_failure));
  bool ok = false;
  switch (info.kind) {
    case PayKind::Normal: ok = at_b || at_c; break;
    case PayKind::FeeTooLow: ok = busy || (at_b && code == to_u16(FailureCode::fee_insufficient)); break;
    case PayKind::UnknownScid: ok = at_b && code == to_u16(FailureCode::unknown_next_peer); break;
    case PayKind::WrongSecret:
      ok = busy || (at_c && code == to_u16(FailureCode::incorrect_or_unknown_payment_details));
      break;
  }
  if (!ok) {
    violated("payment failure attributed to hop " + std::to_string(hop) + " with code " +
             std::to_string(code) + " for kind " + std::to_string(static_cast<int>(info.kind)));
  }
}

void Simulation::outgoing_fulfilled(int ci, int i, uint64_t id, const Preimage& preimage) {
  Node& n = node_of(ci, i);
  pay::HtlcKey k = key(ci, id);
  if (&n == &m_nodes[A]) {
    const auto* rec = n.payments.find(k);
    if (!rec) violated("A's HTLC fulfilled without a payment");
    auto before = rec->state;
    auto r = n.payments.on_fulfilled(k, preimage, now());
    if (!r) violated("payment tracker: " + r.error().message);
    persist(n, r->persist);
    payment_update(k, before);
  } else {
    auto r = n.forwards.on_fulfilled(k, preimage, now());
    if (!r) violated("forward tracker: " + r.error().message);
    persist(n, r->persist);
  }
}

void Simulation::outgoing_failed(int ci, int i, uint64_t id) {
  Side& side = m_chans[ci].side[i];
  Node& n = node_of(ci, i);
  pay::HtlcKey k = key(ci, id);
  auto reason = side.fail_reasons.find(id);
  auto mal = side.malformed.find(id);
  bool is_a = &n == &m_nodes[A];
  auto before = is_a ? n.payments.find(k)->state : pay::PaymentState::pending;
  if (reason != side.fail_reasons.end()) {
    if (is_a) {
      auto r = n.payments.on_failed(k, reason->second, now());
      if (!r) violated("payment tracker: " + r.error().message);
      persist(n, r->persist);
    } else {
      auto r = n.forwards.on_failed(k, reason->second, now());
      if (!r) violated("forward tracker: " + r.error().message);
      persist(n, r->persist);
    }
    side.fail_reasons.erase(reason);
  } else if (mal != side.malformed.end()) {
    if (is_a) {
      auto r = n.payments.on_malformed(k, mal->second.first, mal->second.second, now());
      if (!r) violated("payment tracker: " + r.error().message);
      persist(n, r->persist);
    } else {
      auto r = n.forwards.on_malformed(k, mal->second.first, mal->second.second, now());
      if (!r) violated("forward tracker: " + r.error().message);
      persist(n, r->persist);
    }
    side.malformed.erase(mal);
  } else {
    violated("an HTLC failed with no failure reason seen");
  }
  if (is_a) payment_update(k, before);
}

// ---- the schedule ----

void Simulation::random_step() {
  int ci = static_cast<int>(m_rng.below(2));
  int i = static_cast<int>(m_rng.below(2));
  Chan& c = m_chans[ci];
  uint64_t roll = m_rng.below(100);
  if (roll < 36) {
    deliver_one();
  } else if (roll < 46) {
    add_payment();
  } else if (roll < 64) {
    settle(static_cast<int>(m_rng.below(3)));
  } else if (roll < 72) {
    if (!c.onchain) execute(ci, i, c.side[i].m->on_tick(static_cast<uint64_t>(m_step)));
  } else if (roll < 75) {
    mine();
  } else if (roll < 84) {
    reconnect(ci);
  } else if (roll < 90) {
    if (m_rng.chance(m_opt.disconnect_rate * 16)) disconnect(ci);
  } else if (roll < 95) {
    if (m_rng.chance(m_opt.crash_rate * 20)) crash(static_cast<int>(m_rng.below(3)));
  } else if (m_step > 40) {
    // At any time, but rather where HTLCs are in flight (what the resolvers must handle).
    if (m_chans[ci].onchain || m_chans[ci].side[0].m->state().local_commit.spec.htlcs.empty()) {
      ci = 1 - ci;
    }
    if (m_rng.chance(m_opt.force_close_rate * 20)) {
      force_close(ci, i);
    } else if (m_rng.chance(m_opt.breach_rate * 20)) {
      breach(ci, i);
    }
  }
}

// ---- invariants ----

bool Simulation::quiescent(int ci) const {
  const Chan& c = m_chans[ci];
  if (!c.connected || c.onchain || !c.queue[0].empty() || !c.queue[1].empty()) return false;
  for (const auto& side : c.side) {
    const ChannelState& s = side.m->state();
    if (!side.m->reestablished() || s.waiting || !s.ours.empty() || !s.theirs.empty()) {
      return false;
    }
  }
  return true;
}

void Simulation::check_invariants() {
  for (int ci = 0; ci < 2; ++ci) {
    Chan& c = m_chans[ci];
    if (c.onchain) continue;
    uint64_t funding = c.funding.value() * 1000;
    for (const auto& side : c.side) {
      const ChannelState& s = side.m->state();
      if (s.phase != Phase::Normal) violated(std::string("unexpected phase ") + to_string(s.phase));
      if (s.local_commit.spec.total().value() != funding ||
          s.remote_commit.spec.total().value() != funding ||
          (s.waiting && s.waiting->next.spec.total().value() != funding)) {
        violated("a commitment does not add up to the funding amount");
      }
    }
  }
  // B never forwards more than it was offered: every forward pays B at least its policy fee.
  for (const auto* f : m_nodes[B].forwards.list()) {
    auto fee = pay::forwarding_fee(m_policy, f->outgoing_amount_msat);
    if (!fee || f->incoming_amount_msat.value() < f->outgoing_amount_msat.value() + fee->value()) {
      violated("B forwarded an HTLC that does not pay its fee");
    }
    if (f->outgoing_cltv_expiry.value() + m_policy.cltv_expiry_delta.value() >
        f->incoming_cltv_expiry.value()) {
      violated("B forwarded an HTLC without its cltv_expiry_delta");
    }
  }
}

void Simulation::drain() {
  m_faults = false;
  for (int round = 0; round < 600; ++round) {
    for (int ci = 0; ci < 2; ++ci) reconnect(ci);
    while (deliver_one()) {
    }
    for (int n = 0; n < 3; ++n) settle(n);
    for (int ci = 0; ci < 2; ++ci) {
      for (int i = 0; i < 2; ++i) {
        if (!m_chans[ci].onchain) execute(ci, i, m_chans[ci].side[i].m->on_tick(0));
      }
    }
    while (deliver_one()) {
    }
    check_invariants();
    bool still = true, quiet = true;
    for (int ci = 0; ci < 2; ++ci) {
      const Chan& c = m_chans[ci];
      if (c.onchain) continue;
      still = still && quiescent(ci);
      quiet = quiet && quiescent(ci) && c.side[0].m->state().local_commit.spec.htlcs.empty() &&
              c.side[1].m->state().local_commit.spec.htlcs.empty();
    }
    bool pending = false;
    for (const auto& [h, info] : m_payments) pending = pending || info.endings == 0;
    if (quiet && !pending && resolutions_finished()) return;
    // Off-chain HTLCs wait for the chain where a channel closed.
    if (still || round % 16 == 15) mine();
  }
  std::string why;
  for (int ci = 0; ci < 2; ++ci) {
    const Chan& c = m_chans[ci];
    why += " channel " + std::to_string(ci) + (c.onchain ? " on chain" : " off chain");
    if (!c.onchain) {
      why += std::string(" quiescent=") + (quiescent(ci) ? "1" : "0") + " htlcs=" +
             std::to_string(c.side[0].m->state().local_commit.spec.htlcs.size());
    }
    for (const auto& side : c.side) {
      if (side.resolver) {
        why += std::string(" resolver=") + std::to_string(static_cast<int>(side.resolver->phase()));
      }
    }
  }
  size_t pending = 0;
  for (const auto& [h, info] : m_payments) pending += info.endings == 0;
  violated("the network did not settle:" + why + " pending payments " + std::to_string(pending) +
           " height " + std::to_string(m_chain.height()));
}

void Simulation::check_end() {
  Node& a = m_nodes[A];
  Msat sent{0}, delivered{0};
  for (const auto& [h, info] : m_payments) {
    if (info.endings != 1) violated("a payment did not end exactly once at A");
    const auto* rec = a.payments.find(info.htlc);
    const auto* inv = m_nodes[C].registry->find(h);
    bool paid = inv && inv->state == pay::InvoiceState::paid;
    if ((rec->state == pay::PaymentState::succeeded) != paid && !m_chans[BC].onchain &&
        !m_chans[AB].onchain) {
      violated("A's outcome and C's invoice disagree");
    }
    if (rec->state == pay::PaymentState::succeeded) {
      sent = *sent.checked_add(rec->sent_msat);
      delivered = *delivered.checked_add(info.amount);
    }
  }
  Node& b = m_nodes[B];
  m_result.fees_earned_msat = b.forwards.total_fees_earned().value();
  if (m_chans[AB].onchain || m_chans[BC].onchain) return check_onchain_end();
  // Off-chain only: every balance is its start plus what it was paid, B earned exactly the
  // fees its forward tracker credits, and nothing was created or lost.
  auto to_us = [&](int ci, int i) {
    return static_cast<int64_t>(m_chans[ci].side[i].m->state().local_commit.spec.to_us.value());
  };
  auto init = [&](int ci, int i) { return static_cast<int64_t>(m_chans[ci].initial[i].value()); };
  auto s = static_cast<int64_t>(sent.value());
  auto d = static_cast<int64_t>(delivered.value());
  if (to_us(AB, 0) != init(AB, 0) - s) violated("A's balance differs from its payments");
  if (to_us(AB, 1) != init(AB, 1) + s) violated("B's A-side balance differs");
  if (to_us(BC, 0) != init(BC, 0) - d) violated("B's C-side balance differs");
  if (to_us(BC, 1) != init(BC, 1) + d) violated("C's balance differs from its invoices");
  if (s - d != static_cast<int64_t>(m_result.fees_earned_msat)) {
    violated("B's fees differ from what its forward tracker credits");
  }
}

ForwardingResult Simulation::run() {
  try {
    make_nodes();
    open_channels();
    for (m_step = 0; m_step < m_opt.steps; ++m_step) {
      try {
        random_step();
      } catch (const Crashed&) {
        m_depth = 0;
      }
      check_invariants();
    }
    drain();
    check_end();
  } catch (const SimFailure& f) {
    m_result.ok = false;
    m_result.failure = "step " + std::to_string(m_step) + ": " + f.what;
  } catch (const Crashed&) {
    m_result.ok = false;
    m_result.failure = "step " + std::to_string(m_step) + ": a crash outside the schedule";
  }
  m_result.steps = static_cast<uint64_t>(m_step);
  return m_result;
}

}  // namespace fwd

ForwardingResult run_forwarding_simulation(uint64_t seed, const ForwardingOptions& options) {
  fwd::Simulation sim(seed, options);
  return sim.run();
}

}  // namespace fulgur::sim
