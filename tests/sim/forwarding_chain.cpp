// The three-node forwarding simulator's chain (see forwarding.h): l1sim's chain in process
// (every transaction goes through its mempool acceptance: lib/bitcoin's interpreter, locks,
// fees), force closes and breaches, each node's channel resolvers fed block by block with
// their claims broadcast, their events handed to the payment layer, and the end checks of
// channels that closed on chain.
#include <set>

#include "channel/commitment.h"
#include "channel/onchain_channel.h"
#include "crypto/hash.h"
#include "onion/failure.h"
#include "sim/forwarding_sim.h"

namespace fulgur::sim::fwd {

using namespace channel;
namespace pay = payment;
namespace oc = channel::onchain;

namespace {
// Quick depths keep runs short; the logic is the same at 6 / 100.
oc::Config resolver_config() { return oc::Config{3, 20}; }
}  // namespace

void Simulation::submit(int ci, int i, const bitcoin::Transaction& tx, const char* what) {
  auto r = m_chain.accept(tx, false);
  if (r) return;
  switch (r.error().kind) {
    case l1sim::RejectKind::AlreadyInChain:
    case l1sim::RejectKind::AlreadyInMempool:
    case l1sim::RejectKind::MissingInputs:  // spent by another claim, or its parent reorged
      return;
    case l1sim::RejectKind::MaxFeeExceeded:
    case l1sim::RejectKind::Invalid:
      break;
  }
  const std::string& reason = r.error().reason;
  // A race with the peer's claim on the same output is normal on chain.
  if (reason == "txn-mempool-conflict" || reason == "bad-txns-inputs-missingorspent") return;
  violated(std::string("node ") + std::to_string(m_chans[ci].side[i].node) + "'s " + what +
           " transaction refused by the chain: " + r.error().to_string());
}

void Simulation::start_resolver(int ci, int i) {
  Side& side = m_chans[ci].side[i];
  Node& n = node_of(ci, i);
  auto info = oc::channel_info(side.m->state(), side.sweep);
  if (!info) violated("channel_info: " + info.error().message);
  auto r = oc::Resolver::create(resolver_config(), n.seed, std::move(*info),
                                oc::snapshot(side.m->state()));
  if (!r) violated("resolver: " + r.error().message);
  side.resolver.emplace(std::move(*r));
  handle_resolver(ci, i, side.resolver->on_block(BlockHeight(m_fed), {}));
}

void Simulation::update_resolver(int ci, int i) {
  Side& side = m_chans[ci].side[i];
  if (!side.resolver || side.resolver->phase() != oc::Phase::Watching) return;
  auto r = side.resolver->update(oc::snapshot(side.m->state()));
  if (!r) violated("resolver update: " + r.error().message);
  handle_resolver(ci, i, std::move(*r));
}

void Simulation::handle_resolver(int ci, int i, oc::Outputs out) {
  Side& side = m_chans[ci].side[i];
  std::vector<oc::FundHtlcTx> to_fund;
  for (auto& a : out.actions) {
    if (auto* p = std::get_if<oc::PersistRecord>(&a)) {
      side.resolver_record = p->record;
    } else if (auto* b = std::get_if<oc::Broadcast>(&a)) {
      submit(ci, i, b->tx, oc::to_string(b->kind));
    } else if (auto* f = std::get_if<oc::FundHtlcTx>(&a)) {
      to_fund.push_back(*f);
    } else if (auto* e = std::get_if<oc::Event>(&a)) {
      on_resolver_event(ci, i, *e);
    }
    // CpfpNeeded: the commitment's own fee is enough for l1sim's relay policy.
  }
  // option_anchors: the wallet adds inputs to a zero-fee HTLC transaction (as channeld's
  // wallet would), after the batch.
  for (const auto& f : to_fund) {
    bitcoin::Transaction tx = f.tx;
    tx.inputs[0].witness = {Bytes(f.weight - f.tx.weight() - 2, 0)};
    auto funded = m_wallet->fund(m_chain, tx, f.feerate.value() * 4, std::nullopt);
    if (!funded) violated("the wallet cannot fund an HTLC transaction");
    tx = funded->tx;
    tx.inputs[0].witness.clear();
    for (const auto& e : m_wallet->sign(m_chain, tx)) {
      if (e.input != 0) violated("the wallet cannot sign its inputs");
    }
    auto r = side.resolver->complete_htlc_tx(f.htlc_outpoint, tx);
    if (!r) violated("complete_htlc_tx: " + r.error().message);
    handle_resolver(ci, i, std::move(*r));
  }
}

void Simulation::on_resolver_event(int ci, int i, const oc::Event& e) {
  Node& n = node_of(ci, i);
  bool is_a = &n == &m_nodes[A], is_b = &n == &m_nodes[B];
  if (auto* ful = std::get_if<oc::event::HtlcFulfilled>(&e)) {
    trace("node " + std::to_string(m_chans[ci].side[i].node) + " on channel " +
          std::to_string(ci) + ": HTLC " + std::to_string(ful->htlc.id) +
          (ful->htlc.offered_by_us ? " (ours)" : " (theirs)") + " fulfilled on chain");
    if (!ful->htlc.offered_by_us) return;
    pay::HtlcKey k = key(ci, ful->htlc.id);
    if (is_a) {
      const auto* rec = n.payments.find(k);
      if (!rec) return;
      auto before = rec->state;
      auto r = n.payments.on_fulfilled(k, ful->preimage, now());
      if (!r) violated("payment tracker (on chain): " + r.error().message);
      persist(n, r->persist);
      payment_update(k, before);
    } else if (is_b) {
      const auto* f = n.forwards.find_outgoing(k);
      if (!f) return;
      if (f->state == pay::ForwardState::offered) ++m_result.onchain_settled;
      auto r = n.forwards.on_fulfilled(k, ful->preimage, now());
      if (!r) violated("forward tracker (on chain): " + r.error().message);
      persist(n, r->persist);
    }
  } else if (auto* to = std::get_if<oc::event::HtlcTimedOut>(&e)) {
    trace("node " + std::to_string(m_chans[ci].side[i].node) + " on channel " +
          std::to_string(ci) + ": HTLC " + std::to_string(to->htlc.id) +
          (to->htlc.offered_by_us ? " (ours)" : " (theirs)") + " timed out on chain");
    pay::HtlcKey k = key(ci, to->htlc.id);
    if (!to->htlc.offered_by_us) {
      // The peer took back an HTLC it offered us: B must not have paid it forward.
      if (is_b && !(m_chans[ci].breach && m_chans[ci].closer == i)) {
        const auto* f = n.forwards.find_incoming(k);
        if (f && f->state == pay::ForwardState::settled) {
          violated("B paid a forward downstream and lost the upstream HTLC on chain");
        }
      }
      return;
    }
    if (is_a) {
      const auto* rec = n.payments.find(k);
      if (!rec) return;
      auto before = rec->state;
      auto r = n.payments.on_timed_out(k, now());
      if (!r) violated("payment tracker (timeout on chain): " + r.error().message);
      persist(n, r->persist);
      payment_update(k, before);
    } else if (is_b) {
      if (!n.forwards.find_outgoing(k)) return;
      // Failed upstream with B's permanent_channel_failure.
      auto r = n.forwards.on_timed_out(k, now());
      if (!r) violated("forward tracker (timeout on chain): " + r.error().message);
      persist(n, r->persist);
    }
  } else if (auto* spent = std::get_if<oc::event::FundingSpent>(&e)) {
    Chan& c = m_chans[ci];
    if (!c.onchain) {
      // The peer closed: this side stops operating the channel.
      c.closer = 1 - i;
      went_onchain(ci);
    }
    c.closing_txid = spent->txid;
    if (c.breach && i != c.closer && spent->kind != oc::SpendKind::RevokedCommitment) {
      violated(std::string("the victim of a breach saw ") + oc::to_string(spent->kind));
    }
  } else if (std::holds_alternative<oc::event::PenaltyConfirmed>(e)) {
    ++m_result.penalties;
  } else if (std::holds_alternative<oc::event::ClaimConfirmed>(e)) {
    ++m_result.onchain_claims;
  }
}

// A node hands every preimage it may use to the resolver of a channel now on chain: for HTLCs
// offered to it, those it fulfils (C from its registry, B from its settled forwards); for
// HTLCs it offered, those it learnt off chain (then the HTLC is not timed out: it was paid).
void Simulation::give_preimages(int ci, int i) {
  Chan& c = m_chans[ci];
  Side& side = c.side[i];
  if (!c.onchain || !side.resolver) return;
  Node& n = node_of(ci, i);
  std::set<std::pair<bool, uint64_t>> pending;
  const oc::Snapshot& s = side.resolver->snapshot();
  for (const auto* cm : {&s.local, &s.remote}) {
    for (const auto& h : cm->htlcs) pending.emplace(h.offered_by_us, h.id);
  }
  if (s.remote_next) {
    for (const auto& h : s.remote_next->htlcs) pending.emplace(h.offered_by_us, h.id);
  }
  for (auto [ours, id] : pending) {
    std::optional<Preimage> preimage;
    pay::HtlcKey k = key(ci, id);
    if (ours && &n == &m_nodes[A]) {
      const auto* p = n.payments.find(k);
      if (p && p->state == pay::PaymentState::succeeded) preimage = p->payment_preimage;
    } else if (ours && &n == &m_nodes[B]) {
      const auto* f = n.forwards.find_outgoing(k);
      if (f && f->state == pay::ForwardState::settled) preimage = f->payment_preimage;
    } else if (!ours && &n == &m_nodes[B]) {
      const auto* f = n.forwards.find_incoming(k);
      if (f && f->state == pay::ForwardState::settled) preimage = f->payment_preimage;
    } else if (!ours && &n == &m_nodes[C] && n.incoming.count({ci, id})) {
      auto r = decide(ci, i, id);
      if (r) {
        if (auto* ful = std::get_if<pay::Fulfill>(&*r)) preimage = ful->payment_preimage;
      }
    }
    if (!preimage) continue;
    PaymentHash h(crypto::sha256(preimage->span()).array());
    if (!side.preimages_given.insert(h).second) continue;
    trace("node " + std::to_string(side.node) + " gives the preimage of HTLC " +
          std::to_string(id) + " to its resolver of channel " + std::to_string(ci));
    handle_resolver(ci, i, side.resolver->on_preimage(*preimage));
  }
}

void Simulation::mine() {
  m_chain.mine(m_miner);
  notify_blocks(m_fed + 1);
}

void Simulation::notify_blocks(uint32_t from) {
  for (uint32_t h = from; h <= m_chain.height(); ++h) {
    const auto& txs = m_chain.find_block(*m_chain.hash_at(h))->block.transactions;
    m_fed = h;
    for (int ci = 0; ci < 2; ++ci) {
      for (int i = 0; i < 2; ++i) {
        Side& side = m_chans[ci].side[i];
        if (side.resolver) handle_resolver(ci, i, side.resolver->on_block(BlockHeight(h), txs));
      }
    }
  }
  for (int ci = 0; ci < 2; ++ci) {
    Chan& c = m_chans[ci];
    if (c.onchain) continue;
    auto where = m_chain.find_tx(c.funding_outpoint.txid);
    uint32_t depth = where ? m_chain.height() - where->height + 1 : 0;
    for (int i = 0; i < 2 && !c.onchain; ++i) {
      execute(ci, i, c.side[i].m->on_block(height(), depth));
    }
  }
  // BOLT 2 "cltv_expiry_delta Selection": B resolves an outgoing HTLC on chain before the
  // incoming one it paid for can time out.
  Chan& bc = m_chans[BC];
  if (!bc.onchain && !m_nodes[B].forwards.at_risk(height(), CltvDelta(10)).empty()) {
    for (const auto* f : m_nodes[B].forwards.at_risk(height(), CltvDelta(10))) {
      if (f->outgoing.channel_id == bc.id && !bc.onchain) force_close(BC, 0);
    }
  }
  for (int n = 0; n < 3; ++n) {
    for (int ci = 0; ci < 2; ++ci) {
      for (int i = 0; i < 2; ++i) {
        if (m_chans[ci].side[i].node == n) give_preimages(ci, i);
      }
    }
  }
}

void Simulation::force_close(int ci, int i) {
  Chan& c = m_chans[ci];
  if (c.onchain) return;
  trace("node " + std::to_string(c.side[i].node) + " force-closes channel " + std::to_string(ci));
  ++m_result.force_closes;
  bool faults = m_faults;
  m_faults = false;
  m_forcing = true;
  execute(ci, i, c.side[i].m->force_close("sim: force close"));
  m_forcing = false;
  m_faults = faults;
  if (!c.onchain) violated("force close handed out no commitment");
}

// A node broadcasts one of its revoked commitments: restored from an old record, as a node
// restored from a stale backup would.
void Simulation::breach(int ci, int i) {
  Chan& c = m_chans[ci];
  if (c.onchain) return;
  Side& side = c.side[i];
  // Revoked as far as the victim knows: it holds the secrets of every commitment of ours
  // below our current one in its record.
  uint64_t current = c.side[1 - i].resolver->snapshot().remote.number;
  std::vector<uint64_t> revoked;
  for (const auto& [number, record] : side.history) {
    if (number < current) revoked.push_back(number);
  }
  if (revoked.empty()) return;
  uint64_t number = revoked[m_rng.below(revoked.size())];
  Node& n = node_of(ci, i);
  auto old = ChannelMachine::restore(n.config, n.seed, side.history.at(number));
  if (!old) violated("restore of an old record failed: " + old.error().message);
  Outputs out = old->force_close("sim: breach");
  for (const auto& a : out.actions) {
    auto* b = std::get_if<BroadcastTx>(&a);
    if (!b || b->kind != TxKind::Commitment) continue;
    auto tx = bitcoin::parse_transaction(b->tx);
    if (!tx) violated("an old commitment does not parse");
    trace("node " + std::to_string(side.node) + " breaches channel " + std::to_string(ci) +
          " with commitment " + std::to_string(b->commitment_number));
    ++m_result.breaches;
    c.breach = true;
    c.closer = i;
    c.breach_number = b->commitment_number;
    went_onchain(ci);
    submit(ci, i, *tx, "revoked commitment");
    return;
  }
  violated("an old record handed out no commitment");
}

// A channel went to the chain: the HTLCs its offering side added but never signed are in no
// commitment, so no resolver will ever report them: they failed at this channel.
void Simulation::went_onchain(int ci) {
  Chan& c = m_chans[ci];
  c.onchain = true;
  c.queue[0].clear();
  c.queue[1].clear();
  Side& side = c.side[0];
  Node& n = node_of(ci, 0);
  std::set<uint64_t> committed;
  const oc::Snapshot& s = side.resolver->snapshot();
  for (const auto* cm : {&s.local, &s.remote}) {
    for (const auto& h : cm->htlcs) committed.insert(h.id);
  }
  if (s.remote_next) {
    for (const auto& h : s.remote_next->htlcs) committed.insert(h.id);
  }
  for (const auto& [k, rec] : n.offered) {
    if (k.first != ci || committed.count(k.second)) continue;
    const auto* p = n.payments.find(key(ci, k.second));
    const auto* f = n.forwards.find_outgoing(key(ci, k.second));
    bool pending = (p && p->state == pay::PaymentState::pending) ||
                   (f && f->state == pay::ForwardState::offered);
    if (!pending) continue;
    oc::event::HtlcTimedOut never{oc::Htlc{true, k.second, rec.amount, rec.payment_hash,
                                           rec.cltv_expiry.value()}};
    on_resolver_event(ci, 0, never);
  }
}

bool Simulation::resolutions_finished() const {
  for (const auto& c : m_chans) {
    if (!c.onchain) continue;
    for (const auto& side : c.side) {
      if (side.resolver && side.resolver->phase() != oc::Phase::Finished) return false;
    }
  }
  return true;
}

void Simulation::check_onchain_end() {
  Node& b = m_nodes[B];
  // B never loses forwarding: a forward it paid downstream was paid upstream, off chain or
  // by its own claim on chain.
  // (A cheating B on A-B: B gets the HTLC by the penalty; B cheating: B is not honest.)
  // The breach checks below cover both.
  bool breached = m_chans[AB].breach;
  for (const auto* f : b.forwards.list()) {
    if (f->state != pay::ForwardState::settled || breached) continue;
    const auto* at_a = m_nodes[A].payments.find(f->incoming);
    if (!at_a || at_a->state != pay::PaymentState::succeeded) {
      violated("B paid a forward that A never paid");
    }
    const Chan& ab = m_chans[AB];
    if (!ab.onchain) continue;
    const auto& resolver = ab.side[1].resolver;
    for (const auto& o : resolver->outputs()) {
      if (!o.htlc || o.htlc->offered_by_us || o.htlc->id != f->incoming.htlc_id) continue;
      if (o.spent_by_us) continue;
      // Claimed through our HTLC-success transaction: its output is ours too.
      bool second_stage = false;
      for (const auto& p : resolver->outputs()) {
        second_stage = second_stage || (p.role == oc::OutputRole::LocalHtlcTxOutput &&
                                        o.spent_by && p.outpoint.txid == *o.spent_by);
      }
      if (!second_stage) violated("B's upstream HTLC of a paid forward went to A on chain");
    }
  }
  // After a breach and its penalty, the cheater has nothing of that channel: every
  // transaction descending from the revoked commitment pays the victim only.
  for (int ci = 0; ci < 2; ++ci) {
    const Chan& c = m_chans[ci];
    if (!c.breach || !c.closing_txid) continue;
    const Side& victim = c.side[1 - c.closer];
    const Side& cheater = c.side[c.closer];
    std::set<Txid> family{*c.closing_txid};
    auto where = m_chain.find_tx(*c.closing_txid);
    if (!where) violated("the revoked commitment is not in the chain");
    uint64_t to_victim = 0;
    for (uint32_t h = where->height + 1; h <= m_chain.height(); ++h) {
      for (const auto& tx : m_chain.find_block(*m_chain.hash_at(h))->block.transactions) {
        bool child = false;
        for (const auto& in : tx.inputs) child = child || family.count(in.prevout.txid);
        if (!child) continue;
        family.insert(tx.txid());
        for (const auto& o : tx.outputs) {
          if (o.script_pubkey == cheater.sweep) violated("the cheater kept funds of a breach");
          if (o.script_pubkey == victim.sweep) to_victim += o.amount.value();
        }
      }
    }
    if (to_victim == 0) violated("the victim of a breach got nothing back");
    // Every output of the revoked commitment but the anchors was spent (by the penalty).
    const auto& tx = *m_chain.find_block(*m_chain.hash_at(where->height))->block.transactions.data();
    (void)tx;
    for (const auto& blocktx : m_chain.find_block(*m_chain.hash_at(where->height))->block.transactions) {
      if (blocktx.txid() != *c.closing_txid) continue;
      for (uint32_t v = 0; v < blocktx.outputs.size(); ++v) {
        if (blocktx.outputs[v].amount == ANCHOR_OUTPUT_VALUE) continue;
        if (m_chain.utxo(bitcoin::OutPoint{*c.closing_txid, v})) {
          violated("an output of a revoked commitment was left unspent");
        }
      }
    }
  }
}

}  // namespace fulgur::sim::fwd
