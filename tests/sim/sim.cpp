// The deterministic channel simulator; see sim.h. Test code: an invariant failure throws
// SimFailure, caught by run_simulation and reported with the step.
#include "sim/sim.h"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "bitcoin/interpreter.h"
#include "channel/machine.h"
#include "crypto/hash.h"

namespace fulgur::sim {

using namespace channel;

namespace {

struct SimFailure {
  std::string what;
};
[[noreturn]] void violated(const std::string& what) { throw SimFailure{what}; }

// splitmix64: portable and deterministic everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : m_s(seed) {}
  uint64_t next() {
    uint64_t z = (m_s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(double p) { return static_cast<double>(next() >> 11) / 9007199254740992.0 < p; }

 private:
  uint64_t m_s;
};

struct Side {
  int node = 0;
  std::optional<ChannelMachine> m;
  Bytes durable;  // the last persisted record: all that survives a crash
};

struct Channel {
  Side side[2];
  std::deque<Bytes> queue[2];  // queue[i]: from side i to side 1 - i, FIFO, lib/wire bytes
  bool connected = true;
  Sat funding;
  bool funding_broadcast = false;
  uint32_t funding_height = 0;  // the block that holds the funding tx (0: unconfirmed)
  uint32_t max_depth = 0;       // the deepest the funding tx has been
  bool ready_decided[2] = {false, false};  // side i committed to channel_ready
  int64_t revoked_by[2] = {-1, -1};  // highest commitment number side i revoked to the peer
  std::set<std::pair<uint64_t, PaymentHash>> fulfilled[2];  // HTLCs side i offered, fulfilled
  std::map<std::pair<uint64_t, PaymentHash>, Msat> fulfilled_amount[2];
  Msat initial[2];
  bool closed = false;
  bool mutual_close_broadcast = false;
};

struct Node {
  crypto::Secret32 seed;
  ChannelConfig config;
};

ChannelConfig sim_config() {
  ChannelConfig c;
  c.chain_hash = BlockHash(std::array<uint8_t, 32>{0x06});
  c.minimum_depth = 2;
  c.max_accepted_htlcs = 30;
  c.auto_commit = true;
  return c;
}

class Simulation {
 public:
  Simulation(uint64_t seed, const SimOptions& o) : m_rng(seed), m_opt(o) {}
  SimResult run();

 private:
  void open_channels();
  void open_channel(int a, int b, uint64_t index);
  void execute(Channel& c, int i, Outputs out);
  void on_send(Channel& c, int i, wire::Message m);
  void on_broadcast(Channel& c, int i, const BroadcastTx& tx);
  void on_event(Channel& c, int i, const Event& e);
  void crash(int node);
  void disconnect(Channel& c);
  void reconnect(Channel& c);
  bool deliver_one();
  void random_step();
  void add_payment(Channel& c, int i);
  void resolve_incoming(Channel& c, int i, bool all);
  void mine_block();
  void reorg();
  void notify_blocks();
  uint32_t depth_of(const Channel& c) const;
  void check_channel_ready_depth(Channel& c, int i);
  void check_invariants(Channel& c);
  bool quiescent(const Channel& c) const;
  void drain();
  void finish(Channel& c, int k);
  Preimage preimage_for(uint64_t n) const;

  Rng m_rng;
  SimOptions m_opt;
  SimResult m_result;
  std::vector<Node> m_nodes;
  std::vector<std::unique_ptr<Channel>> m_channels;
  std::map<PaymentHash, Preimage> m_preimages;  // every payee knows its preimages
  uint32_t m_height = 100;
  uint64_t m_payment_counter = 0;
  int m_step = 0;
  size_t m_depth = 0;
  bool m_forcing = false;  // a deliberate force close: its error and failure are expected
};

Preimage Simulation::preimage_for(uint64_t n) const {
  Bytes data(8);
  for (int i = 0; i < 8; ++i) data[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  return Preimage(crypto::sha256(data).array());
}

// ---- executing a machine's outputs: the daemon's job, persist before send ----

void Simulation::execute(Channel& c, int i, Outputs out) {
  check_channel_ready_depth(c, i);
  if (out.rejected) {
    violated("honest peer's message rejected: " + out.rejected->message + " (" +
             to_string(out.rejected->action) + ")");
  }
  // A crash part-way through the batch: everything after action k is lost.
  size_t crash_at = SIZE_MAX;
  if (m_rng.chance(m_opt.mid_batch_crash) && !out.actions.empty() && !c.closed) {
    crash_at = m_rng.below(out.actions.size() + 1);
  }
  for (size_t k = 0; k < out.actions.size(); ++k) {
    if (k == crash_at) {
      crash(c.side[i].node);
      return;
    }
    std::visit(
        [&](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, PersistState>) {
            c.side[i].durable = a.record;
          } else if constexpr (std::is_same_v<T, SendMessage>) {
            on_send(c, i, std::move(a.message));
          } else if constexpr (std::is_same_v<T, BroadcastTx>) {
            on_broadcast(c, i, a);
          } else if constexpr (std::is_same_v<T, Event>) {
            on_event(c, i, a);
          } else {
            violated("an honest peer got disconnected");
          }
        },
        out.actions[k]);
  }
}

void Simulation::on_send(Channel& c, int i, wire::Message m) {
  const ChannelState& s = c.side[i].m->state();
  if (std::holds_alternative<msg::RevokeAndAck>(m)) {
    c.revoked_by[i] = std::max<int64_t>(c.revoked_by[i], static_cast<int64_t>(s.local_commit.number) - 1);
  }
  if (std::holds_alternative<msg::CommitmentSigned>(m) && s.waiting) {
    // Never sign a commitment the peer has already revoked.
    if (static_cast<int64_t>(s.waiting->next.number) <= c.revoked_by[1 - i]) {
      violated("signed revoked commitment " + std::to_string(s.waiting->next.number));
    }
  }
  if (std::holds_alternative<msg::Error>(m) && !m_forcing) violated("honest node sent error");
  ++m_result.messages;
  if (std::getenv("FULGUR_SIM_TRACE")) {
    std::fprintf(stderr, "step %d: %d->%d %s%s\n", m_step, c.side[i].node, c.side[1 - i].node,
                 std::string(wire::message_name(wire::message_type(m))).c_str(), c.connected ? "" : " (dropped: disconnected)");
  }
  if (c.connected) c.queue[i].push_back(wire::encode_message(m));
}

// A commitment or mutual close must spend the funding output under lib/bitcoin's
// interpreter with bitcoind's mempool flags: both signatures, in the right order.
void check_spends_funding(const Channel& c, const BroadcastTx& b) {
  auto tx = bitcoin::parse_transaction(b.tx);
  if (!tx) violated("handed out a transaction that does not parse");
  if (tx->txid() != b.txid) violated("handed out a transaction with the wrong txid");
  PublicKey keys[2] = {
      *PublicKey::parse(c.side[1].m->state().remote_keys.funding_pubkey.span()),
      *PublicKey::parse(c.side[0].m->state().remote_keys.funding_pubkey.span())};
  auto spent = funding_output(keys[0], keys[1], c.funding);
  if (tx->inputs.size() != 1 || tx->inputs[0].prevout.txid != c.side[0].m->state().funding_txid) {
    violated("handed out a transaction that does not spend the funding output");
  }
  auto r = bitcoin::verify_input(*tx, 0, spent, bitcoin::verify::STANDARD);
  if (!r.ok()) violated("handed out a transaction the interpreter rejects");
}

void Simulation::on_broadcast(Channel& c, int i, const BroadcastTx& tx) {
  switch (tx.kind) {
    case TxKind::Funding:
      // In the mempool; mined into the next block.
      c.funding_broadcast = true;
      break;
    case TxKind::Commitment:
      // Never broadcast a revoked commitment.
      if (static_cast<int64_t>(tx.commitment_number) <= c.revoked_by[i]) {
        violated("broadcast revoked commitment " + std::to_string(tx.commitment_number));
      }
      if (tx.spec.total().value() != c.funding.value() * 1000) violated("force close leaks funds");
      check_spends_funding(c, tx);
      c.closed = true;
      break;
    case TxKind::MutualClose:
      if (tx.spec.total().value() != c.funding.value() * 1000 || !tx.spec.htlcs.empty()) {
        violated("mutual close does not pay the whole channel");
      }
      check_spends_funding(c, tx);
      c.mutual_close_broadcast = true;
      break;
  }
}

void Simulation::on_event(Channel& c, int i, const Event& e) {
  if (auto* f = std::get_if<event::FundingNeeded>(&e)) {
    Bytes txid_seed{static_cast<uint8_t>(c.side[0].node), static_cast<uint8_t>(c.side[1].node)};
    Txid txid(crypto::sha256(txid_seed).array());
    auto r = c.side[i].m->funding_tx_ready(txid, 0, Bytes{0x02});
    if (!r) violated("funding_tx_ready: " + r.error().message);
    (void)f;
    if (++m_depth > 64) violated("recursion");
    execute(c, i, std::move(*r));
    --m_depth;
  } else if (auto* ful = std::get_if<event::OutgoingFulfilled>(&e)) {
    PaymentHash h(crypto::sha256(ful->payment_preimage.span()).array());
    const SpecHtlc* htlc = c.side[i].m->state().local_commit.spec.find(true, ful->id);
    if (!htlc) violated("fulfilled an unknown HTLC");
    auto key = std::make_pair(ful->id, h);
    if (c.fulfilled[i].insert(key).second) {
      c.fulfilled_amount[i][key] = htlc->amount;
      ++m_result.payments_fulfilled;
    }
  } else if (auto* failed = std::get_if<event::ChannelFailed>(&e); failed && !m_forcing) {
    violated("channel failed: " + failed->reason);
  } else if (std::holds_alternative<event::WeAreBehind>(e)) {
    violated("a node that persisted everything claims to be behind");
  }
}

// ---- faults ----

void Simulation::crash(int node) {
  ++m_result.crashes;
  for (auto& cp : m_channels) {
    Channel& c = *cp;
    for (int i = 0; i < 2; ++i) {
      if (c.side[i].node != node || c.closed) continue;
      auto m = ChannelMachine::restore(m_nodes[static_cast<size_t>(node)].config,
                                       m_nodes[static_cast<size_t>(node)].seed,
                                       c.side[i].durable);
      if (!m) violated("restore failed: " + m.error().message);
      c.side[i].m.emplace(std::move(*m));
      c.ready_decided[i] = c.side[i].m->state().channel_ready_sent;
      // The connection went down with the process.
      c.connected = false;
      c.queue[0].clear();
      c.queue[1].clear();
      execute(c, 1 - i, c.side[1 - i].m->disconnected());
    }
  }
}

void Simulation::disconnect(Channel& c) {
  if (!c.connected || c.closed) return;
  ++m_result.disconnects;
  c.connected = false;
  c.queue[0].clear();
  c.queue[1].clear();
  for (int i = 0; i < 2; ++i) execute(c, i, c.side[i].m->disconnected());
}

void Simulation::reconnect(Channel& c) {
  if (c.connected || c.closed) return;
  c.connected = true;
  for (int i = 0; i < 2 && c.connected; ++i) execute(c, i, c.side[i].m->reconnected());
}

// ---- the schedule ----

bool Simulation::deliver_one() {
  std::vector<std::pair<Channel*, int>> ready;
  for (auto& c : m_channels) {
    for (int i = 0; i < 2; ++i) {
      if (c->connected && !c->queue[i].empty()) ready.emplace_back(c.get(), i);
    }
  }
  if (ready.empty()) return false;
  auto [c, i] = ready[m_rng.below(ready.size())];
  Bytes bytes = std::move(c->queue[i].front());
  c->queue[i].pop_front();
  if (c->closed) return true;
  auto m = wire::decode_message(bytes);
  if (!m) violated("a sent message does not decode: " + m.error().message);
  execute(*c, 1 - i, c->side[1 - i].m->handle(*m));
  return true;
}

void Simulation::add_payment(Channel& c, int i) {
  ChannelMachine& m = *c.side[i].m;
  uint64_t n = ++m_payment_counter;
  Preimage p = preimage_for(n * 1000003 + static_cast<uint64_t>(m_step));
  PaymentHash h(crypto::sha256(p.span()).array());
  m_preimages[h] = p;
  uint64_t max = c.funding.value() * 1000 / 20;
  Msat amount(1000 + m_rng.below(max));
  auto r = m.add_htlc(amount, h, BlockHeight(m_height + 500), wire::OnionPacket());
  if (r) execute(c, i, std::move(*r));  // refusals (cannot afford, limits) are fine
}

void Simulation::resolve_incoming(Channel& c, int i, bool all) {
  ChannelMachine& m = *c.side[i].m;
  for (const auto& h : m.pending_incoming()) {
    if (!all && m_rng.chance(0.5)) continue;
    auto it = m_preimages.find(h.payment_hash);
    if (it == m_preimages.end()) violated("HTLC with an unknown payment hash");
    bool fulfill = h.payment_hash.data()[0] % 8 != 0;  // decided by the hash: stable
    auto r = fulfill ? m.fulfill_htlc(h.id, it->second) : m.fail_htlc(h.id, Bytes{0x01});
    if (!r) violated("resolving an irrevocably committed HTLC failed: " + r.error().message);
    execute(c, i, std::move(*r));
    if (c.closed || !m.reestablished()) return;
  }
}

uint32_t Simulation::depth_of(const Channel& c) const {
  return c.funding_height != 0 && m_height >= c.funding_height ? m_height - c.funding_height + 1
                                                               : 0;
}

// BOLT #2: "The sender MUST wait until the funding transaction has reached minimum_depth
// before sending [channel_ready]": checked against the chain when a side decides to.
void Simulation::check_channel_ready_depth(Channel& c, int i) {
  const ChannelState& s = c.side[i].m->state();
  if (c.ready_decided[i] || !s.channel_ready_sent) return;
  c.ready_decided[i] = true;
  if (depth_of(c) < std::max<uint32_t>(s.minimum_depth, 1)) {
    violated("channel_ready at funding depth " + std::to_string(depth_of(c)) + " below " +
             std::to_string(s.minimum_depth));
  }
}

void Simulation::notify_blocks() {
  for (auto& c : m_channels) {
    if (c->closed) continue;
    c->max_depth = std::max(c->max_depth, depth_of(*c));
    for (int i = 0; i < 2 && !c->closed; ++i) {
      execute(*c, i, c->side[i].m->on_block(BlockHeight(m_height), depth_of(*c)));
    }
  }
}

void Simulation::mine_block() {
  ++m_height;
  for (auto& c : m_channels) {
    if (c->funding_broadcast && c->funding_height == 0) c->funding_height = m_height;
  }
  notify_blocks();
}

// The last 1 to 3 blocks are replaced by a longer branch. A funding transaction they held
// goes back to the mempool: the new branch's last block holds it again, or not yet.
void Simulation::reorg() {
  if (m_height <= 100) return;  // the simulated chain starts at 100
  uint32_t blocks = 1 + static_cast<uint32_t>(m_rng.below(std::min<uint32_t>(3, m_height - 100)));
  uint32_t fork = m_height - blocks;
  ++m_result.reorgs;
  m_height = fork + blocks + 1;
  for (auto& c : m_channels) {
    if (c->funding_height <= fork) continue;
    bool was_ready = c->max_depth >= m_nodes[0].config.minimum_depth;
    c->funding_height = m_rng.chance(0.5) ? m_height : 0;
    bool ready_pending = !c->closed && (!c->side[0].m->state().channel_ready_sent ||
                                        !c->side[1].m->state().channel_ready_sent);
    if (was_ready && ready_pending && depth_of(*c) < m_nodes[0].config.minimum_depth) {
      ++m_result.reorgs_below_minimum_depth;
    }
    c->max_depth = 0;
  }
  notify_blocks();
}

void Simulation::random_step() {
  Channel& c = *m_channels[m_rng.below(m_channels.size())];
  int i = static_cast<int>(m_rng.below(2));
  uint64_t roll = m_rng.below(100);
  if (c.closed) return;
  if (roll < 45) {
    deliver_one();
  } else if (roll < 60) {
    if (c.side[i].m->reestablished()) add_payment(c, i);
  } else if (roll < 72) {
    if (c.side[i].m->reestablished()) resolve_incoming(c, i, false);
  } else if (roll < 82) {
    execute(c, i, c.side[i].m->on_tick(static_cast<uint64_t>(m_step)));
  } else if (roll < 85) {
    if (c.side[i].m->state().is_opener) {
      auto r = c.side[i].m->update_fee(FeeratePerKw(static_cast<uint32_t>(253 + m_rng.below(3000))));
      if (r) execute(c, i, std::move(*r));
    }
  } else if (roll < 88) {
    if (m_rng.chance(m_opt.reorg_rate)) {
      reorg();
    } else {
      mine_block();
    }
  } else if (roll < 94) {
    if (!c.connected) reconnect(c);
  } else if (m_rng.chance(m_opt.disconnect_rate * 16)) {
    disconnect(c);
  } else if (m_rng.chance(m_opt.crash_rate * 16)) {
    crash(c.side[i].node);
  }
}

// ---- invariants ----

CommitSpec mirrored(const CommitSpec& s) {
  CommitSpec out = s;
  std::swap(out.to_us, out.to_them);
  for (auto& h : out.htlcs) h.offered_by_us = !h.offered_by_us;
  return out;
}

bool same_htlcs(const CommitSpec& a, const CommitSpec& b) {
  auto key = [](const CommitSpec& s) {
    std::set<std::tuple<bool, uint64_t, uint64_t>> k;
    for (const auto& h : s.htlcs) k.emplace(h.offered_by_us, h.id, h.amount.value());
    return k;
  };
  return a.to_us == b.to_us && a.to_them == b.to_them && a.feerate == b.feerate &&
         key(a) == key(b);
}

bool Simulation::quiescent(const Channel& c) const {
  if (!c.connected || c.closed || !c.queue[0].empty() || !c.queue[1].empty()) return false;
  for (const auto& side : c.side) {
    const ChannelState& s = side.m->state();
    if (!side.m->reestablished() || s.waiting || !s.ours.empty() || !s.theirs.empty()) {
      return false;
    }
  }
  return true;
}

void Simulation::check_invariants(Channel& c) {
  if (c.closed) return;
  uint64_t funding = c.funding.value() * 1000;
  for (const auto& side : c.side) {
    const ChannelState& s = side.m->state();
    if (s.phase != Phase::Normal && s.phase != Phase::Shutdown && s.phase != Phase::Negotiating) {
      violated(std::string("unexpected phase ") + to_string(s.phase));
    }
    // Funds are conserved in every commitment either side holds or signed.
    if (s.local_commit.spec.total().value() != funding ||
        s.remote_commit.spec.total().value() != funding ||
        (s.waiting && s.waiting->next.spec.total().value() != funding)) {
      violated("a commitment does not add up to the funding amount");
    }
    // The persisted record round-trips.
    auto back = deserialize_channel_state(side.durable);
    if (!back || serialize(*back) != side.durable) violated("persisted record does not round-trip");
  }
  if (quiescent(c)) {
    // Both sides agree on both commitments.
    const ChannelState& a = c.side[0].m->state();
    const ChannelState& b = c.side[1].m->state();
    if (!same_htlcs(a.local_commit.spec, mirrored(b.remote_commit.spec)) ||
        !same_htlcs(b.local_commit.spec, mirrored(a.remote_commit.spec)) ||
        !same_htlcs(a.local_commit.spec, a.remote_commit.spec) ||
        a.local_commit.number != b.remote_commit.number ||
        b.local_commit.number != a.remote_commit.number) {
      violated("quiescent sides disagree on the commitments");
    }
  }
}

// ---- set-up and the end ----

void Simulation::open_channel(int a, int b, uint64_t index) {
  auto c = std::make_unique<Channel>();
  c->side[0].node = a;
  c->side[1].node = b;
  c->funding = Sat(200000 + m_rng.below(800000));
  Outputs out;
  OpenRequest req;
  req.key_index = index;
  req.temporary_channel_id = ChannelId(std::array<uint8_t, 32>{static_cast<uint8_t>(index + 1)});
  req.funding_satoshis = c->funding;
  req.push_msat = Msat(m_rng.below(c->funding.value() * 500));
  req.feerate_per_kw = FeeratePerKw(static_cast<uint32_t>(253 + m_rng.below(2000)));
  req.type = m_rng.chance(0.5) ? ChannelType::Anchors : ChannelType::StaticRemoteKey;
  auto opener = ChannelMachine::open(m_nodes[static_cast<size_t>(a)].config,
                                     m_nodes[static_cast<size_t>(a)].seed, req, out);
  if (!opener) violated("open: " + opener.error().message);
  c->side[0].m.emplace(std::move(*opener));
  auto& open = std::get<msg::OpenChannel>(std::get<SendMessage>(out.actions[0]).message);
  Outputs acc_out;
  auto acc = ChannelMachine::accept(m_nodes[static_cast<size_t>(b)].config,
                                    m_nodes[static_cast<size_t>(b)].seed, index, open, acc_out);
  if (!acc) violated("accept: " + acc.error().message);
  c->side[1].m.emplace(std::move(*acc));
  c->initial[0] = Msat(c->funding.value() * 1000 - req.push_msat.value());
  c->initial[1] = req.push_msat;
  Channel& ch = *c;
  m_channels.push_back(std::move(c));
  m_opt.mid_batch_crash = 0;  // no faults during establishment
  execute(ch, 1, std::move(acc_out));
  while (deliver_one()) {
  }
}

void Simulation::open_channels() {
  double mid_batch = m_opt.mid_batch_crash;
  uint64_t index = 0;
  for (int a = 0; a < m_opt.nodes; ++a) {
    for (int b = a + 1; b < m_opt.nodes; ++b) {
      if (m_opt.nodes > 2 && m_rng.chance(0.3)) continue;
      open_channel(a, b, index++);
    }
  }
  if (m_channels.empty()) open_channel(0, 1, index++);
  // Blocks until every funding transaction is deep enough, with reorgs that can take it
  // back below minimum_depth (or out of the chain) before channel_ready.
  auto all_normal = [&] {
    for (auto& c : m_channels) {
      for (const auto& side : c->side) {
        if (side.m->state().phase != Phase::Normal) return false;
      }
    }
    return true;
  };
  // Disconnects and crashes too: a side that cannot send channel_ready when the depth is
  // reached must not send it later once a reorg took the depth back.
  for (int k = 0; k < 300 && !all_normal(); ++k) {
    Channel& c = *m_channels[m_rng.below(m_channels.size())];
    uint64_t roll = m_rng.below(100);
    if (roll < 25) {
      if (m_rng.chance(m_opt.funding_reorg_rate)) reorg();
    } else if (roll < 35) {
      disconnect(c);
    } else if (roll < 40) {
      if (m_rng.chance(m_opt.crash_rate * 16)) crash(c.side[m_rng.below(2)].node);
    } else if (roll < 60) {
      reconnect(c);
    } else {
      mine_block();
    }
    while (deliver_one()) {
    }
  }
  for (int k = 0; k < 20 && !all_normal(); ++k) {
    for (auto& c : m_channels) reconnect(*c);
    mine_block();
    while (deliver_one()) {
    }
  }
  for (auto& c : m_channels) {
    for (const auto& side : c->side) {
      if (side.m->state().phase != Phase::Normal) violated("channel did not open");
    }
  }
  m_opt.mid_batch_crash = mid_batch;
}

void Simulation::drain() {
  double crash = m_opt.mid_batch_crash;
  m_opt.mid_batch_crash = 0;
  for (int round = 0; round < 2000; ++round) {
    for (auto& c : m_channels) reconnect(*c);
    while (deliver_one()) {
    }
    bool all_quiet = true;
    for (auto& c : m_channels) {
      if (c->closed) continue;
      for (int i = 0; i < 2; ++i) {
        resolve_incoming(*c, i, true);
        execute(*c, i, c->side[i].m->on_tick(0));
      }
      while (deliver_one()) {
      }
      check_invariants(*c);
      bool empty = quiescent(*c) && c->side[0].m->state().local_commit.spec.htlcs.empty() &&
                   c->side[1].m->state().local_commit.spec.htlcs.empty();
      all_quiet = all_quiet && empty;
    }
    if (all_quiet) {
      m_opt.mid_batch_crash = crash;
      return;
    }
  }
  violated("channels did not settle");
}

void Simulation::finish(Channel& c, int k) {
  // No honest node lost funds: each side holds its start plus what it was paid.
  for (int i = 0; i < 2; ++i) {
    int64_t expect = static_cast<int64_t>(c.initial[i].value());
    for (const auto& [key, amount] : c.fulfilled_amount[i]) expect -= static_cast<int64_t>(amount.value());
    for (const auto& [key, amount] : c.fulfilled_amount[1 - i]) expect += static_cast<int64_t>(amount.value());
    if (static_cast<int64_t>(c.side[i].m->state().local_commit.spec.to_us.value()) != expect) {
      violated("side " + std::to_string(i) + " balance differs from its payments");
    }
  }
  if (!m_opt.finish_with_close) return;
  int i = static_cast<int>(m_rng.below(2));
  if (k % 5 == 4) {
    m_forcing = true;
    m_opt.mid_batch_crash = 0;
    execute(c, i, c.side[i].m->force_close("sim: force close"));
    m_forcing = false;
    if (!c.closed) violated("force close handed out no commitment");
    return;
  }
  Bytes script{0x00, 20};
  script.resize(22, static_cast<uint8_t>(i + 1));
  // Crashes may still strike during the close (the node's other channels too): reconnect
  // and retry until both sides have signed the closing transaction.
  for (int round = 0; round < 100; ++round) {
    for (auto& other : m_channels) reconnect(*other);
    while (deliver_one()) {
    }
    if (std::getenv("FULGUR_SIM_TRACE")) {
      std::fprintf(stderr, "finish round %d: side %d connected=%d reestablished=%d/%d\n", round, i,
                   c.connected, c.side[0].m->reestablished(), c.side[1].m->reestablished());
    }
    // A crash before the shutdown was persisted loses it: ask again.
    const ChannelState& s = c.side[i].m->state();
    if (!s.shutdown_sent && !s.shutdown_received && s.phase == Phase::Normal &&
        c.side[i].m->reestablished()) {
      auto r = c.side[i].m->shutdown(script);
      if (!r) violated("shutdown refused: " + r.error().message);
      execute(c, i, std::move(*r));
      continue;
    }
    // Done once both signed, or once one side broadcast the closing transaction (the other
    // would see it on chain).
    if ((c.side[0].m->state().phase == Phase::Closed &&
         c.side[1].m->state().phase == Phase::Closed) ||
        (c.mutual_close_broadcast && round > 10)) {
      return;
    }
  }
  for (const auto& side : c.side) {
    if (side.m->state().phase != Phase::Closed) {
      violated(std::string("mutual close did not complete: ") + to_string(side.m->state().phase));
    }
  }
}

SimResult Simulation::run() {
  try {
    for (int n = 0; n < m_opt.nodes; ++n) {
      Bytes s{static_cast<uint8_t>(n), static_cast<uint8_t>(m_rng.next())};
      Hash256 h = crypto::sha256(s);
      m_nodes.push_back(Node{crypto::Secret32(h.span()), sim_config()});
    }
    open_channels();
    for (m_step = 0; m_step < m_opt.steps; ++m_step) {
      random_step();
      for (auto& c : m_channels) check_invariants(*c);
    }
    drain();
    for (size_t k = 0; k < m_channels.size(); ++k) {
      finish(*m_channels[k], static_cast<int>(k + m_rng.below(5)));
    }
  } catch (const SimFailure& f) {
    m_result.ok = false;
    m_result.failure = "step " + std::to_string(m_step) + ": " + f.what;
  }
  return m_result;
}

}  // namespace

SimResult run_simulation(uint64_t seed, const SimOptions& options) {
  Simulation sim(seed, options);
  return sim.run();
}

}  // namespace fulgur::sim
