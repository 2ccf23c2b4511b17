// The channel resolvers (see onchain_watch.h): created once a channel is funded, given the
// channel's latest state before each batch leaves, their actions carried out (records into
// the batch, claims to the L1, events to the channel machine and the payments), and what
// listchannels shows of them. Blocks are in onchain_sync.cpp, the wallet in
// onchain_wallet.cpp.
#include <algorithm>
#include <ctime>

#include "bitcoin/tx.h"
#include "channel/onchain_channel.h"
#include "channeld/node_internal.h"
#include "channeld/onchain_watch.h"
#include "common/overloaded.h"
#include "payment/htlc_switch.h"
#include "payment/registry.h"

namespace fulgur::channeld {

namespace onchain = channel::onchain;

namespace {

// Phases in which both sides signed a commitment spending the funding output.
bool funded(channel::Phase p) {
  switch (p) {
    case channel::Phase::AwaitingLockin:
    case channel::Phase::Normal:
    case channel::Phase::Shutdown:
    case channel::Phase::Negotiating:
    case channel::Phase::Closed:
    case channel::Phase::ForceClosed:
      return true;
    case channel::Phase::AwaitingAccept:
    case channel::Phase::AwaitingFundingTx:
    case channel::Phase::AwaitingFundingCreated:
    case channel::Phase::AwaitingFundingSigned:
    case channel::Phase::Aborted:
      return false;
  }
  return false;
}

Sat paid_to(const bitcoin::Transaction& tx, const bitcoin::Script& script) {
  uint64_t total = 0;
  for (const auto& o : tx.outputs) {
    if (o.script_pubkey == script) total += o.amount.value();
  }
  return Sat(total);
}
}  // namespace

ChainWatch::ChainWatch(Node& node) : m_node(node) {}
ChainWatch::~ChainWatch() = default;

Node::Channel* ChainWatch::channel(uint64_t key) const {
  auto it = m_node.m_channels.find(key);
  return it == m_node.m_channels.end() ? nullptr : it->second.get();
}

onchain::Resolver* ChainWatch::resolver(uint64_t key) const {
  auto it = m_resolvers.find(key);
  return it == m_resolvers.end() ? nullptr : it->second.get();
}

void ChainWatch::restore(const std::map<uint64_t, Bytes>& records, ByteSpan blocks) {
  wire::Reader r(blocks);
  auto version = r.u8();
  auto count = r.u32();
  if (!blocks.empty() && (!version || *version != 1 || !count)) {
    m_node.m_log.error("unreadable record of the blocks the resolvers saw; starting at the tip");
  } else if (count) {
    for (uint32_t i = 0; i < *count; ++i) {
      auto height = r.u32();
      auto hash = r.bytes(32);
      if (!height || !hash) break;
      m_blocks[*height] = *BlockHash::from_span(*hash);
    }
  }
  for (const auto& [key, record] : records) {
    if (channel(key) == nullptr) {
      m_node.m_log.warn("resolver {} has no channel; ignored", key);
      continue;
    }
    auto restored = onchain::Resolver::restore(m_config, *m_node.m_channel_seed, record);
    if (!restored) {
      m_node.m_log.error("channel {}: resolver not restored: {}", key, restored.error().message);
      continue;
    }
    m_resolvers[key] = std::make_unique<onchain::Resolver>(std::move(*restored));
  }
  // Every funded channel's resolver gets its latest state (and one is made if missing).
  for (const auto& [key, c] : m_node.m_channels) {
    if (funded(c->phase())) m_dirty.insert(key);
  }
  m_node.m_log.info("restored {} channel resolvers; blocks seen up to {}", m_resolvers.size(),
                    m_blocks.empty() ? 0 : m_blocks.rbegin()->first);
}

void ChainWatch::start() {
  flush();
  for (auto& [key, r] : m_resolvers) {
    Node::Channel* c = channel(key);
    if (c == nullptr) continue;
    if (r->phase() != onchain::Phase::Watching) {
      // The funding output is spent: the machine must know (a crash may have come between).
      if (!c->finished()) {
        auto out = c->machine->force_close("the funding output is spent on chain");
        std::erase_if(out.actions, [](const channel::Action& a) {
          return std::holds_alternative<channel::BroadcastTx>(a);
        });
        m_node.apply(*c, std::move(out));
      }
      if (r->funding_spend()) c->closing_txid = r->funding_spend()->tx.txid();
      continue;
    }
    // Our commitment was handed out before the restart: rebroadcast it on every block.
    if (c->phase() == channel::Phase::ForceClosed && !c->state().local_data_loss) {
      auto holder = c->machine->holder_commitment();
      if (holder) local_commitment(key, holder->signed_tx);
    }
  }
  sync();
}

void ChainWatch::flush() {
  if (m_dirty.empty()) return;
  auto dirty = std::move(m_dirty);
  m_dirty.clear();
  for (uint64_t key : dirty) {
    if (!flush_one(key)) m_dirty.insert(key);
  }
}

// False when the resolver cannot be made yet (no wallet address to sweep to).
bool ChainWatch::flush_one(uint64_t key) {
  Node::Channel* c = channel(key);
  if (c == nullptr || !funded(c->phase()) || c->state().funding_txid.is_zero()) return true;
  if (m_node.m_config.dev_allow_cheat) m_node.dev_keep_commitments(*c);
  const auto& s = c->state();
  auto it = m_resolvers.find(key);
  if (it == m_resolvers.end()) {
    if (m_node.m_shutdown_script.empty()) return false;  // refresh_shutdown_script brings it
    auto info = onchain::channel_info(s, bitcoin::Script(m_node.m_shutdown_script));
    if (!info) {
      m_node.m_log.error("channel {}: no resolver: {}", key, info.error().message);
      return true;
    }
    auto made = onchain::Resolver::create(m_config, *m_node.m_channel_seed, std::move(*info),
                                          onchain::snapshot(s));
    if (!made) {
      m_node.m_log.error("channel {}: no resolver: {}", key, made.error().message);
      return true;
    }
    it = m_resolvers.emplace(key, std::make_unique<onchain::Resolver>(std::move(*made))).first;
    m_node.m_log.info("channel {}: watching funding output {}:{}", key, s.funding_txid.to_hex(),
                      s.funding_output_index);
    // It starts at the last block fed (nothing before can spend a funding output we just
    // signed for), with the current feerate.
    if (auto h = fed_height()) execute(key, it->second->on_block(BlockHeight(*h), {}));
    if (m_feerate) execute(key, it->second->on_feerate(*m_feerate));
    return true;
  }
  execute(key, it->second->update(onchain::snapshot(s)), "update");
  return true;
}

void ChainWatch::local_commitment(uint64_t key, const bitcoin::Transaction& tx) {
  flush_one(key);  // the resolver checks it is our latest commitment: give it the latest state
  onchain::Resolver* r = resolver(key);
  if (r == nullptr) return;
  execute(key, r->local_commitment_broadcast(tx), "our commitment");
}

void ChainWatch::preimage_known(const Preimage& preimage) {
  for (auto& [key, r] : m_resolvers) {
    if (r->phase() == onchain::Phase::Resolving) execute(key, r->on_preimage(preimage));
  }
}

void ChainWatch::execute(uint64_t key, Result<onchain::Outputs> out, const char* what) {
  if (!out) {
    m_node.m_log.warn("channel {}: resolver refused {}: {}", key, what, out.error().message);
    return;
  }
  execute(key, std::move(*out));
}

void ChainWatch::execute(uint64_t key, onchain::Outputs out) {
  for (auto& action : out.actions) {
    std::visit(Overloaded{
                   [&](onchain::PersistRecord& p) {
                     ChannelStore::put_resolver(m_node.m_batch, key, p.record);
                   },
                   [&](onchain::Broadcast& b) { broadcast(key, b.kind, b.tx); },
                   [&](onchain::FundHtlcTx& f) { fund_htlc_tx(key, f); },
                   [&](onchain::CpfpNeeded& c) { cpfp(key, c); },
                   [&](onchain::Event& e) { handle_event(key, e); },
               },
               action);
  }
  m_node.request_turn_end();
}

void ChainWatch::broadcast(uint64_t key, onchain::ClaimKind kind, const bitcoin::Transaction& tx) {
  if (!m_node.m_async_l1 || m_node.m_stopping) return;
  Txid txid = tx.txid();
  if (m_refusals.size() > 10'000) m_refusals.clear();  // bounded: at worst a line logged again
  if (!m_refusals.count(txid)) {
    m_node.m_log.info("channel {}: broadcasting {} {}", key, onchain::to_string(kind),
                      txid.to_hex());
    m_refusals[txid] = "";
  }
  m_node.m_async_l1->run(
      [raw = tx.serialize()](chain::L1& l1) { return l1.send_raw_transaction(raw); },
      [this, key, kind, txid](chain::ChainResult<Txid> r) {
        if (r || r.error().is_rpc(chain::RpcCode::VerifyAlreadyInChain) ||
            r.error().message.find("already") != std::string::npos) {
          return;
        }
        // A conflict (the peer spent the output first) or a claim not yet valid: the resolver
        // sees what confirms and stops. Said once per transaction and reason.
        std::string why = r.error().describe();
        auto& last = m_refusals[txid];
        if (last != why) {
          m_node.m_log.info("channel {}: {} {} refused by the L1: {}", key,
                            onchain::to_string(kind), txid.to_hex(), why);
          last = why;
        }
      });
}

void ChainWatch::handle_event(uint64_t key, const onchain::Event& event) {
  Node::Channel* c = channel(key);
  if (c == nullptr) return;
  auto& log = m_node.m_log;
  std::visit(
      Overloaded{
          [&](const onchain::event::FundingSpent& e) { on_funding_spent(key, e); },
          [&](const onchain::event::FundingSpendReorged& e) {
            log.warn("channel {}: the funding spend {} was reorganised out; watching again", key,
                     e.txid.to_hex());
          },
          [&](const onchain::event::HtlcFulfilled& e) {
            if (!e.htlc.offered_by_us) return;
            // BOLT 5: once it learns the preimage of an HTLC it offered from the peer's
            // spending transaction, the upstream HTLC is settled with it (a forward) or the
            // payment succeeds.
            resolve_outgoing(*c, e.htlc.id, e.preimage);
          },
          [&](const onchain::event::HtlcTimedOut& e) {
            if (e.htlc.offered_by_us) {
              // BOLT 5: the HTLC-timeout (or the commitment without the HTLC) is at a
              // reasonable depth: the upstream HTLC fails, or the payment attempt.
              resolve_outgoing(*c, e.htlc.id, std::nullopt);
              return;
            }
            // The peer took back an HTLC it offered us: its onion is no longer needed.
            IncomingKey k{key, e.htlc.id};
            if (m_node.m_incoming_onions.erase(k) > 0) {
              ChannelStore::erase_incoming(m_node.m_batch, k);
            }
            log.info("channel {}: incoming HTLC {} timed out on chain", key, e.htlc.id);
          },
          [&](const onchain::event::OutputResolved& e) {
            log.debug("channel {}: output {}:{} ({}) resolved by {}{}", key,
                      e.outpoint.txid.to_hex(), e.outpoint.vout, onchain::to_string(e.role),
                      e.spent_by.to_hex(), e.by_us ? " (ours)" : "");
          },
          [&](const onchain::event::ClaimConfirmed& e) {
            log.info("channel {}: {} {} confirmed: {} to our wallet", key,
                     onchain::to_string(e.kind), e.txid.to_hex(), to_string(e.amount));
          },
          [&](const onchain::event::PenaltyConfirmed& e) {
            log.info("channel {}: penalty {} confirmed: {} to our wallet", key, e.txid.to_hex(),
                     to_string(e.amount));
          },
          [&](const onchain::event::ResolutionFinished&) {
            log.info("channel {}: every output irrevocably resolved", key);
          },
      },
      event);
}

void ChainWatch::resolve_outgoing(const Node::Channel& c, uint64_t htlc_id,
                                  const std::optional<Preimage>& preimage) {
  auto done = m_node.resolve_outgoing_onchain(c.state().channel_id, htlc_id, preimage);
  // Events come at least once; an HTLC without a forward or payment (e.g. already settled
  // off chain before the close) has nothing upstream.
  if (!done) {
    m_node.m_log.debug("channel {}: HTLC {} resolved on chain: {}", c.key_index, htlc_id,
                       done.error().message);
  }
}

void ChainWatch::on_funding_spent(uint64_t key, const onchain::event::FundingSpent& e) {
  Node::Channel* c = channel(key);
  if (c == nullptr) return;
  auto& log = m_node.m_log;
  switch (e.kind) {
    case onchain::SpendKind::RevokedCommitment:
      log.warn("channel {}: the peer published its revoked commitment {} ({}): penalty", key,
               e.commitment_number, e.txid.to_hex());
      break;
    case onchain::SpendKind::Unknown:
      // BOLT 5: a spend it does not recognise means funds may be lost: warn loudly.
      log.error("channel {}: the funding output was spent by an unknown transaction {}; funds "
                "may be lost", key, e.txid.to_hex());
      break;
    case onchain::SpendKind::MutualClose:
    case onchain::SpendKind::LocalCommitment:
    case onchain::SpendKind::RemoteCommitment:
    case onchain::SpendKind::RemoteNextCommitment:
    case onchain::SpendKind::UnknownCommitment:
      log.info("channel {}: funding output spent by {} ({}) at height {}", key,
               onchain::to_string(e.kind), e.txid.to_hex(), e.height);
      break;
  }
  c->closing_txid = e.txid;
  if (!c->finished()) {
    // The channel is over: the machine stops (and tells the peer). Its commitment cannot
    // confirm any more, so it is not broadcast.
    auto out = c->machine->force_close(std::string("the funding output was spent on chain by ") +
                                       onchain::to_string(e.kind) + " " + e.txid.to_hex());
    std::erase_if(out.actions, [](const channel::Action& a) {
      return std::holds_alternative<channel::BroadcastTx>(a);
    });
    m_node.apply(*c, std::move(out));
  }
  feed_incoming_preimages(key);
}

// Every preimage we may reveal for HTLCs offered to us: those we fulfilled (still in our
// update log), and those lib/payment accepts now as their final node (the registry's receipt
// is durable before the preimage goes to the resolver, hence to the chain).
void ChainWatch::feed_incoming_preimages(uint64_t key) {
  Node::Channel* c = channel(key);
  if (c == nullptr || resolver(key) == nullptr) return;
  const auto& s = c->state();
  std::vector<Preimage> preimages;
  for (const auto* log : {&s.ours.proposed, &s.ours.signed_, &s.ours.acked}) {
    for (const auto& u : *log) {
      if (auto* f = std::get_if<wire::msg::UpdateFulfillHtlc>(&u)) {
        preimages.push_back(f->payment_preimage);
      }
    }
  }
  bool persisted = false;
  std::set<uint64_t> seen;
  for (const auto* spec : {&s.local_commit.spec, &s.remote_commit.spec}) {
    for (const auto& h : spec->htlcs) {
      if (h.offered_by_us || !seen.insert(h.id).second) continue;
      if (const auto* paid = m_node.m_switch->registry.find(h.payment_hash);
          paid != nullptr && paid->state == payment::InvoiceState::paid) {
        preimages.push_back(paid->payment_preimage);
        continue;
      }
      auto onion = m_node.m_incoming_onions.find(IncomingKey{key, h.id});
      if (onion == m_node.m_incoming_onions.end()) continue;
      payment::IncomingHtlc in{payment::HtlcKey{s.channel_id, h.id}, h.amount, h.payment_hash,
                               BlockHeight(h.cltv_expiry), onion->second, false};
      auto decision = payment::decide_incoming(in, *m_node.m_node_key, m_node.m_switch->table,
                                               m_node.m_switch->config, m_node.m_height);
      auto* final_htlc = std::get_if<payment::FinalHtlc>(&decision);
      if (final_htlc == nullptr) continue;  // forwarded HTLCs get their preimage downstream
      auto out = m_node.m_switch->registry.on_htlc(std::move(*final_htlc), m_node.m_height,
                                                   static_cast<uint64_t>(std::time(nullptr)));
      for (const auto& p : out.persist) {
        ChannelStore::put_invoice(m_node.m_batch, p);
        persisted = true;
      }
      for (const auto& r : out.resolutions) {
        if (const auto* f = std::get_if<payment::Fulfill>(&r)) preimages.push_back(f->payment_preimage);
      }
    }
  }
  if (preimages.empty()) return;
  auto give = [this, key, preimages = std::move(preimages)] {
    onchain::Resolver* r = resolver(key);
    if (r == nullptr) return;
    for (const auto& p : preimages) execute(key, r->on_preimage(p));
  };
  if (persisted) {
    m_node.when_idle(std::move(give));
  } else {
    give();
  }
}

std::string ChainWatch::spend_kind(uint64_t key, const bitcoin::Transaction& tx) const {
  const onchain::Resolver* r = resolver(key);
  return r == nullptr ? "unknown" : onchain::to_string(r->classify_spend(tx));
}

std::optional<OnchainView> ChainWatch::view(uint64_t key) const {
  const onchain::Resolver* r = resolver(key);
  if (r == nullptr) return std::nullopt;
  OnchainView v;
  uint32_t tip = fed_height().value_or(r->tip());
  auto confirmations = [&](uint32_t height) { return height > tip ? 0 : tip - height + 1; };
  switch (r->phase()) {
    case onchain::Phase::Watching: v.phase = "watching"; break;
    case onchain::Phase::Resolving: v.phase = "resolving"; break;
    case onchain::Phase::Finished: v.phase = "resolved"; break;
  }
  if (const auto& spend = r->funding_spend()) {
    v.spend_kind = onchain::to_string(spend->kind);
    v.spend_txid = spend->tx.txid();
    v.spend_height = spend->height;
    v.spend_confirmations = confirmations(spend->height);
  }
  for (const auto& o : r->outputs()) {
    OnchainOutputView ov;
    ov.outpoint = o.outpoint.txid.to_hex() + ":" + std::to_string(o.outpoint.vout);
    ov.role = onchain::to_string(o.role);
    ov.amount = o.amount;
    ov.spent_by = o.spent_by;
    ov.status = o.spent_by ? (o.spent_by_us ? "spent_by_us" : "spent_by_peer")
                           : (o.abandoned ? "abandoned" : "waiting");
    v.outputs.push_back(std::move(ov));
  }
  uint64_t confirmed = 0, pending = 0;
  for (const auto& claim : r->claims()) {
    OnchainClaimView cv;
    cv.txid = claim.tx.txid();
    cv.kind = onchain::to_string(claim.kind);
    cv.confirmations = claim.confirmed_height ? confirmations(*claim.confirmed_height) : 0;
    cv.amount = paid_to(claim.tx, r->info().sweep_script);
    (claim.confirmed_height ? confirmed : pending) += cv.amount.value();
    v.claims.push_back(std::move(cv));
  }
  v.confirmed_sat = Sat(confirmed);
  v.pending_sat = Sat(pending);
  return v;
}

// ---- the Node's side ----

Result<Node::SignedCommitment> Node::dev_signed_commitment(const ChannelId& id) const {
  if (!m_config.dev_allow_cheat) {
    return fail("refused: this node does not run with dev-allow-cheat=1 (development only: the "
                "commitment can be used to cheat once it is revoked)");
  }
  auto key = find_channel(id);
  if (!key) return fail("unknown channel " + id.to_hex());
  const Channel& c = *m_channels.at(*key);
  FULGUR_TRY(auto holder, c.machine->holder_commitment());
  SignedCommitment out;
  out.tx = holder.signed_tx.serialize();
  out.txid = holder.signed_tx.txid();
  out.commitment_number = holder.number;
  m_log.warn("channel {}: dev-signed-commitment handed out commitment {} ({})", *key,
             holder.number, out.txid.to_hex());
  return out;
}

void Node::dev_keep_commitments(Channel& c) {
  if (c.finished()) return;
  DevCommitments& kept = m_dev_commitments[c.key_index];
  uint64_t number = c.state().local_commit.number;
  if (kept.current && kept.current->commitment_number == number) return;
  auto holder = c.machine->holder_commitment();
  if (!holder) return;
  // The one before is revoked once we sent revoke_and_ack for it, which happens in the same
  // handling of commitment_signed that moved local_commit on.
  if (kept.current && kept.current->commitment_number < number) kept.revoked = kept.current;
  kept.current = SignedCommitment{holder->signed_tx.serialize(), holder->signed_tx.txid(),
                                  holder->number};
}

void Node::dev_broadcast_revoked(const ChannelId& id,
                                 std::function<void(Result<SignedCommitment>)> done) {
  if (!m_config.dev_allow_cheat) {
    return done(fail("refused: this node does not run with dev-allow-cheat=1 (development "
                     "only: broadcasting a revoked commitment is cheating)"));
  }
  auto key = find_channel(id);
  if (!key) return done(fail("unknown channel " + id.to_hex()));
  auto kept = m_dev_commitments.find(*key);
  if (kept == m_dev_commitments.end() || !kept->second.revoked) {
    return done(fail("no revoked commitment kept for this channel (one is kept once the "
                     "channel moved to a new commitment while this process ran)"));
  }
  if (!m_async_l1) return done(fail("no L1 configured"));
  SignedCommitment revoked = *kept->second.revoked;
  m_log.warn("channel {}: dev-broadcast-revoked: broadcasting our REVOKED commitment {} ({})",
             *key, revoked.commitment_number, revoked.txid.to_hex());
  m_async_l1->run(
      [raw = revoked.tx](chain::L1& l1) { return l1.send_raw_transaction(raw); },
      [revoked, done](chain::ChainResult<Txid> r) {
        if (!r) return done(fail("the L1 refused it: " + r.error().describe()));
        done(revoked);
      });
}

}  // namespace fulgur::channeld
