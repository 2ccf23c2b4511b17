// Executing what the channel machines hand out, with persist-before-send as a group commit:
// records go into the loop turn's batch; every action behind a record waits in one FIFO
// queue until its batch is durable; the batch is committed at the end of the loop turn
// (a uv_check handle) on the store's writer thread, one batch in flight at a time.
#include <algorithm>
#include <cstdlib>

#include "bitcoin/tx.h"
#include "channeld/node_internal.h"
#include "common/overloaded.h"
#include "channeld/onchain_watch.h"

namespace fulgur::channeld {

namespace {
// The events of HTLCs, which the switch and the trackers take at once (see apply).
bool is_htlc_event(const channel::Event& e) {
  return std::holds_alternative<channel::event::IncomingHtlc>(e) ||
         std::holds_alternative<channel::event::OutgoingFulfilled>(e) ||
         std::holds_alternative<channel::event::OutgoingFailed>(e) ||
         std::holds_alternative<channel::event::OutgoingDropped>(e);
}
}  // namespace

void Node::apply(Channel& c, channel::Outputs out, bool after_batch) {
  const uint64_t key = c.key_index;
  const NodeId peer = c.peer;
  // HTLC events are handled after this channel's actions are queued, but in this same loop
  // turn: what lib/payment records about them goes into the batch that holds the channel
  // state they come from, so a restart never finds an HTLC resolved in the channel and
  // unknown to the trackers. What the switch then does on other channels (or this one) is
  // queued behind, and waits for that batch too.
  std::vector<channel::Event> htlc_events;
  // Failing a channel hands out an `error` and our commitment. The error waits until the
  // L1 has answered our broadcast: sent first, it makes the peer broadcast its own
  // commitment, which could reach the L1 before ours.
  std::vector<wire::Message> after_commitment = hold_errors_behind_commitment(out);
  for (auto& action : out.actions) {
    std::visit(
        Overloaded{
            [&](channel::PersistState& p) {
              ChannelStore::put_channel(m_batch, ChannelRecord{key, peer, c.scid, std::move(p.record)});
              c.persisted = true;
              ++m_records_written;
              if (m_watch) m_watch->channel_changed(key);
              after_batch = true;
            },
            [&](channel::SendMessage& s) {
              uint64_t gen = m_peer_generation[peer];
              enqueue(after_batch, [this, peer, gen, m = std::move(s.message)] {
                send_to_peer(peer, gen, m);
              });
            },
            [&](channel::BroadcastTx& tx) {
              std::function<void()> then;
              if (tx.kind == channel::TxKind::Commitment && !after_commitment.empty()) {
                uint64_t gen = m_peer_generation[peer];
                then = [this, peer, gen, msgs = std::move(after_commitment)] {
                  for (const auto& m : msgs) send_to_peer(peer, gen, m);
                };
                after_commitment.clear();
              }
              enqueue(after_batch, [this, key, tx = std::move(tx), then = std::move(then)] {
                broadcast(key, tx, then);
              });
            },
            [&](channel::Event& e) {
              if (is_htlc_event(e)) {
                htlc_events.push_back(std::move(e));
                return;
              }
              enqueue(after_batch, [this, key, e = std::move(e)] { handle_event(key, e); });
            },
            [&](channel::Disconnect&) {
              uint64_t gen = m_peer_generation[peer];
              enqueue(after_batch, [this, peer, gen] {
                if (m_peer_generation[peer] == gen) m_peers->disconnect(peer, "protocol error");
              });
            },
        },
        action);
  }
  if (out.rejected) {
    m_log.warn("channel {}: peer message rejected ({}): {}", key,
               to_string(out.rejected->action), out.rejected->message);
  }
  if (c.phase() == channel::Phase::Aborted) {
    // Nothing was funded: forget the channel (its record too, if it had one).
    if (c.persisted) {
      ChannelStore::erase_channel(m_batch, key);
      c.persisted = false;
    }
    auto waiters = std::move(c.open_waiters);
    c.open_waiters.clear();
    for (auto& w : waiters) w(fail("the channel was aborted before it was funded"));
  }
  reindex(c);
  refresh_switch_entry(c);
  for (const auto& e : htlc_events) on_htlc_event(key, e);
  drain();
}

std::vector<wire::Message> Node::hold_errors_behind_commitment(channel::Outputs& out) {
  bool commitment = std::any_of(out.actions.begin(), out.actions.end(), [](const auto& a) {
    const auto* tx = std::get_if<channel::BroadcastTx>(&a);
    return tx != nullptr && tx->kind == channel::TxKind::Commitment;
  });
  std::vector<wire::Message> held;
  if (!commitment) return held;
  std::erase_if(out.actions, [&](channel::Action& a) {
    auto* send = std::get_if<channel::SendMessage>(&a);
    if (send == nullptr || !std::holds_alternative<wire::msg::Error>(send->message)) return false;
    held.push_back(std::move(send->message));
    return true;
  });
  return held;
}

void Node::enqueue(bool after_batch, std::function<void()> run) {
  auto held = std::make_unique<Held>();
  held->batch = after_batch ? m_batch_id : 0;
  held->run = std::move(run);
  m_queue.push_back(std::move(held));
}

bool Node::turn_end_work() const {
  // A batch waiting behind one in flight is started by on_committed, not by the turn's end.
  return !m_to_sign.empty() || (!m_batch.empty() && m_store && !m_store->in_flight());
}

void Node::request_turn_end() {
  if (!turn_end_work()) return;
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(m_turn_end))) {
    uv_idle_start(m_turn_end, [](uv_idle_t*) {});
  }
}

void Node::drain() {
  request_turn_end();
  if (m_draining) return;  // the outer drain carries on with what this call appended
  m_draining = true;
  while (!m_queue.empty() && m_queue.front()->batch <= m_durable) {
    auto held = std::move(m_queue.front());
    m_queue.pop_front();
    if (!m_stopping) held->run();
  }
  m_draining = false;
}

void Node::when_idle(std::function<void()> fn) {
  enqueue(!m_batch.empty(), std::move(fn));
  drain();
}

void Node::maybe_commit() {
  if (!m_store || m_store->in_flight()) return;
  // The channel resolvers get the states of this batch, and their records join it.
  if (m_watch) m_watch->flush();
  if (m_batch.empty()) return;
  uint64_t id = m_batch_id++;
  Batch batch = std::move(m_batch);
  m_batch = Batch{};
  m_store->commit(std::move(batch), [this, id](Status s) { on_committed(id, std::move(s)); });
}

void Node::on_check(uv_check_t* check) {
  auto* self = static_cast<Node*>(check->data);
  if (self == nullptr) return;
  // The batching window ends with the loop turn: every update we proposed during it goes
  // into one commitment_signed per channel (the machine signs at most one at a time and
  // signs the rest when the peer's revocation comes).
  auto to_sign = std::move(self->m_to_sign);
  self->m_to_sign.clear();
  for (uint64_t key : to_sign) {
    auto it = self->m_channels.find(key);
    if (it == self->m_channels.end()) continue;
    auto out = it->second->machine->commit();
    if (out) self->apply(*it->second, std::move(*out));
  }
  self->maybe_commit();
  if (!self->turn_end_work()) uv_idle_stop(self->m_turn_end);
  // Channels aborted before funding are forgotten here, where no caller holds them.
  for (auto it = self->m_channels.begin(); it != self->m_channels.end();) {
    Channel& c = *it->second;
    if (c.phase() == channel::Phase::Aborted && !c.persisted && c.open_waiters.empty()) {
      if (c.indexed) self->m_by_id.erase({c.peer, *c.indexed});
      it = self->m_channels.erase(it);
    } else {
      ++it;
    }
  }
}

void Node::on_committed(uint64_t batch, Status status) {
  if (!status) {
    // The state the peer may already act on cannot be made durable: stop here and let the
    // supervisor restart us from the last durable state (DESIGN §5: never lose state).
    m_log.error("{}; stopping the process", status.error().message);
    std::abort();
  }
  m_durable = batch;
  drain();
  maybe_commit();
}

void Node::send_to_peer(const NodeId& peer, uint64_t generation, const wire::Message& m) {
  // A message of an older connection must not reach a newer one: the machine retransmits
  // what matters after channel_reestablish.
  if (m_peer_generation[peer] != generation) return;
  auto sent = m_peers->send(peer, m);
  if (!sent) {
    m_log.warn("cannot send {} to {}: {}; disconnecting",
               wire::message_name(wire::message_type(m)), peer.to_hex(), sent.error().message);
    m_peers->disconnect(peer, "send failed");
  }
}

namespace {
// The L1 refuses a transaction because an input is already spent: by a transaction in its
// mempool (bitcoind: txn-mempool-conflict, or a replacement it will not take) or in a block
// (bad-txns-inputs-missingorspent).
bool input_already_spent(const chain::ChainError& e) {
  for (const char* reason : {"txn-mempool-conflict", "missingorspent", "missing-inputs",
                             "rejecting replacement"}) {
    if (e.message.find(reason) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

void Node::broadcast(uint64_t key, const channel::BroadcastTx& tx, std::function<void()> then) {
  auto it = m_channels.find(key);
  if (it == m_channels.end()) {
    if (then) then();
    return;
  }
  Channel& c = *it->second;
  auto parsed = bitcoin::parse_transaction(tx.tx);
  if (!parsed) {
    m_log.error("channel {}: no transaction to broadcast ({})", key, parsed.error().message);
    auto waiters = std::move(c.close_waiters);
    c.close_waiters.clear();
    for (auto& w : waiters) w(fail("no transaction to broadcast"));
    if (then) then();
    return;
  }
  Txid txid = parsed->txid();
  const char* what = "funding";
  switch (tx.kind) {
    case channel::TxKind::Funding:
      break;
    case channel::TxKind::Commitment:
      what = "commitment";
      c.closing_txid = txid;
      // The channel resolver rebroadcasts it on every block until the funding output is
      // spent (and offers our anchor for CPFP).
      if (m_watch) m_watch->local_commitment(key, *parsed);
      break;
    case channel::TxKind::MutualClose:
      what = "mutual close";
      c.closing_txid = txid;
      c.closing_fee = tx.fee;
      break;
  }
  m_log.info("channel {}: broadcasting {} transaction {}", key, what, txid.to_hex());
  auto finish = [this, key, kind = tx.kind, txid](std::string error, std::optional<Txid> spend,
                                                  std::string note) {
    auto ch = m_channels.find(key);
    if (ch == m_channels.end()) return;
    Channel& chan = *ch->second;
    if (kind == channel::TxKind::Funding) {
      auto waiters = std::move(chan.open_waiters);
      chan.open_waiters.clear();
      for (auto& w : waiters) {
        if (error.empty()) {
          w(OpenResult{key});
        } else {
          w(fail("funding transaction refused by the L1: " + error));
        }
      }
      return;
    }
    auto waiters = std::move(chan.close_waiters);
    chan.close_waiters.clear();
    for (auto& w : waiters) w(CloseResult{key, spend.value_or(txid), error, note});
  };
  if (!m_async_l1) {
    m_log.warn("channel {}: no L1 configured; {} transaction not broadcast", key, what);
    finish("no L1 configured", std::nullopt, "");
    if (then) then();
    return;
  }
  m_async_l1->run(
      [raw = tx.tx](chain::L1& l1) { return l1.send_raw_transaction(raw); },
      [this, key, what, kind = tx.kind, txid, finish, then](chain::ChainResult<Txid> r) {
        std::string error;
        // Already known (mempool or chain) is what a rebroadcast expects.
        if (!r && !r.error().is_rpc(chain::RpcCode::VerifyAlreadyInChain) &&
            r.error().message.find("already") == std::string::npos) {
          if (kind == channel::TxKind::Commitment && input_already_spent(r.error())) {
            // Another transaction spent the funding output first (the peer's commitment,
            // most likely): the channel closes by it, which is no failure of the close.
            m_log.info("channel {}: our commitment {} conflicts with a spend of the funding "
                       "output already on the L1 ({})", key, txid.to_hex(),
                       r.error().describe());
            find_funding_spend(key, [finish, then](std::optional<Txid> spend, std::string note) {
              finish("", spend, std::move(note));
              if (then) then();
            });
            return;
          }
          error = r.error().describe();
          m_log.warn("channel {}: {} transaction refused: {}", key, what, error);
        }
        finish(error, std::nullopt, "");
        if (then) then();
      });
}

void Node::find_funding_spend(uint64_t key,
                              std::function<void(std::optional<Txid>, std::string)> done) {
  auto it = m_channels.find(key);
  if (it == m_channels.end() || !m_async_l1) return done(std::nullopt, "");
  const auto& s = it->second->state();
  bitcoin::OutPoint funding{s.funding_txid, s.funding_output_index};
  m_async_l1->run(
      [funding](chain::L1& l1) -> chain::ChainResult<std::optional<Bytes>> {
        auto pool = l1.get_raw_mempool();
        if (!pool) return Unexpected{pool.error()};
        size_t looked = 0;
        for (const Txid& t : *pool) {
          if (++looked > MAX_MEMPOOL_SCAN) break;
          auto raw = l1.get_raw_transaction(t);
          if (!raw) continue;  // left the mempool meanwhile
          auto tx = bitcoin::parse_transaction(raw->raw);
          if (!tx) continue;
          for (const auto& in : tx->inputs) {
            if (in.prevout == funding) return std::optional<Bytes>(raw->raw);
          }
        }
        return std::optional<Bytes>();
      },
      [this, key, done](chain::ChainResult<std::optional<Bytes>> found) {
        auto ch = m_channels.find(key);
        std::optional<bitcoin::Transaction> tx;
        if (found && *found) {
          if (auto parsed = bitcoin::parse_transaction(**found)) tx = std::move(*parsed);
        }
        if (!tx || ch == m_channels.end()) {
          return done(std::nullopt,
                      "the funding output is already spent on chain: the channel closes by "
                      "that transaction (listchannels shows its resolution)");
        }
        std::string kind = m_watch ? m_watch->spend_kind(key, *tx) : "unknown";
        Txid spend = tx->txid();
        ch->second->closing_txid = spend;
        std::string by = kind == "remote_commitment" || kind == "remote_next_commitment"
                             ? "the peer's commitment"
                             : kind;
        m_log.info("channel {}: closing by {} {}", key, by, spend.to_hex());
        done(spend, "closing by " + by + " " + spend.to_hex() +
                        ", which reached the L1 before our commitment");
      });
}

void Node::handle_event(uint64_t key, const channel::Event& e) {
  auto it = m_channels.find(key);
  if (it == m_channels.end()) return;
  Channel& c = *it->second;
  std::visit(
      Overloaded{
          [&](const channel::event::FundingNeeded& need) { fund(key, need); },
          [&](const channel::event::ChannelOpened&) {
            m_log.info("channel {} with {} is open", key, c.peer.to_hex());
          },
          [&](const channel::event::IncomingHtlc&) {},  // taken by apply()
          [&](const channel::event::OutgoingFulfilled&) {},
          [&](const channel::event::OutgoingFailed&) {},
          [&](const channel::event::OutgoingDropped&) {},
          [&](const channel::event::MutualClosed&) {
            m_log.info("channel {} mutually closed", key);
          },
          [&](const channel::event::ChannelFailed& f) {
            m_log.warn("channel {} failed: {}", key, f.reason);
            auto waiters = std::move(c.open_waiters);
            c.open_waiters.clear();
            for (auto& w : waiters) w(fail("channel failed: " + f.reason));
          },
          [&](const channel::event::WeAreBehind&) {
            m_log.error("channel {}: the peer proves we lost state; waiting for its commitment",
                        key);
          },
      },
      e);
}

}  // namespace fulgur::channeld
