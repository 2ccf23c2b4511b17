// The resolver's claims and events: which tracked outputs can be claimed at the current tip
// (CSV and CLTV locks counted for the next block), the sweep, second-stage and penalty
// transactions that claim them, rebroadcast and fee bumps, and the events at safe and final
// depth.
#include <algorithm>

#include "channel/htlc_tx.h"
#include "channel/onchain.h"
#include "channel/onchain_internal.h"
#include "channel/sign.h"
#include "channel/spends.h"

namespace fulgur::channel::onchain {

using bitcoin::OutPoint;
using bitcoin::Transaction;

namespace {
// bitcoind's minimum relay feerate (1 sat/vB): an output worth less than its sweep at this
// rate can never be claimed and is given up.
constexpr FeeratePerKw MIN_RELAY_FEERATE{253};

bool is_revoked(OutputRole role) {
  return role == OutputRole::RevokedToLocal || role == OutputRole::RevokedHtlc ||
         role == OutputRole::RevokedHtlcTxOutput;
}

// A pending claim is rebuilt at the current feerate once it rose by a quarter and by at least
// bitcoind's incremental relay fee (BIP 125 replacement rules).
bool worth_bumping(FeeratePerKw built, FeeratePerKw now) {
  return now.value() * 4 >= built.value() * 5 && now.value() >= built.value() + 250;
}

Sat paid_to(const Transaction& tx, const bitcoin::Script& script) {
  uint64_t total = 0;
  for (const auto& o : tx.outputs) {
    if (o.script_pubkey == script) total += o.amount.value();
  }
  return Sat(total);
}
}  // namespace

bool Resolver::ready(const TrackedOutput& o) const {
  // Claims are broadcast for the next block: a CSV lock of d blocks on an output confirmed at
  // height h allows a spend in block h + d, a CLTV lock L a spend in a block above L.
  uint32_t next = m_tip + 1;
  auto csv_ok = [&](uint32_t delay) { return next >= o.created_height + delay; };
  bool anchors = m_info.type == ChannelType::Anchors;
  switch (o.role) {
    case OutputRole::LocalToLocal:
    case OutputRole::LocalHtlcTxOutput:
      // BOLT 5: MUST wait until the `OP_CHECKSEQUENCEVERIFY` delay has passed (as specified by
      // the remote node's `to_self_delay` field) before spending the output.
      return csv_ok(m_info.our_to_self_delay);
    case OutputRole::LocalOfferedHtlc:
    case OutputRole::RemoteReceivedHtlc:
      // BOLT 5: The HTLC output has *timed out* once the height of the latest block is equal
      // to or greater than the HTLC `cltv_expiry`.
      return o.htlc && m_tip >= o.htlc->cltv_expiry && (!anchors || csv_ok(1));
    case OutputRole::LocalReceivedHtlc:
    case OutputRole::RemoteOfferedHtlc:
      // BOLT 5: if it receives (or already possesses) a payment preimage for an unresolved
      // HTLC output that it has been offered ...: MUST *resolve* the output by spending it.
      return o.htlc && m_preimages.count(o.htlc->payment_hash) && (!anchors || csv_ok(1));
    case OutputRole::ToRemote:
      return !anchors || csv_ok(1);  // BOLT 3: a one block CSV lock with option_anchors
    case OutputRole::RevokedToLocal:
    case OutputRole::RevokedHtlc:
    case OutputRole::RevokedHtlcTxOutput:
      return true;
  }
  return false;
}

void Resolver::plan(Outputs& out, bool new_block) {
  plan_penalty(out, new_block);
  for (size_t i = 0; i < m_outputs.size(); ++i) {
    if (!is_revoked(m_outputs[i].role)) plan_output(i, out, new_block);
  }
}

Claim* Resolver::live_claim(const std::vector<OutPoint>& claimed) {
  for (Claim& c : m_claims) {
    if (!c.confirmed_height && c.claimed == claimed) return &c;
  }
  return nullptr;
}

void Resolver::keep_alive(Claim& live, const std::vector<size_t>& indexes, Outputs& out,
                          bool new_block) {
  if (!new_block) return;
  if ((live.kind == ClaimKind::Sweep || live.kind == ClaimKind::Penalty) &&
      worth_bumping(live.feerate, m_feerate)) {
    auto bumped = build_sweep(indexes, live.kind, m_feerate);
    if (bumped) {
      std::vector<OutPoint> claimed = live.claimed;
      std::erase_if(m_claims, [&](const Claim& c) { return !c.confirmed_height && c.claimed == claimed; });
      add_claim(std::move(*bumped), out);
      return;
    }
  }
  // BOLT 5 (anchors): SHOULD use replace-by-fee or other mechanism on the spending
  // transaction if it proves insufficient for timely inclusion in a block. Otherwise it is
  // simply sent again: the L1 node may have dropped it.
  out.actions.push_back(Broadcast{live.kind, live.tx});
}

void Resolver::plan_penalty(Outputs& out, bool new_block) {
  std::vector<size_t> indexes;
  std::vector<OutPoint> claimed;
  for (size_t i = 0; i < m_outputs.size(); ++i) {
    const TrackedOutput& o = m_outputs[i];
    if (!is_revoked(o.role) || o.spent_by || o.abandoned) continue;
    indexes.push_back(i);
    claimed.push_back(o.outpoint);
  }
  if (indexes.empty()) return;
  if (penalty_split()) {
    plan_split_penalties(indexes, out, new_block);
    return;
  }
  if (Claim* live = live_claim(claimed)) {
    keep_alive(*live, indexes, out, new_block);
    return;
  }
  // The revoked outputs changed (the cheater's HTLC transaction spent one, or a reorg undid
  // it): the pending penalty is superseded. BOLT 5: MUST handle its transactions being
  // invalidated by HTLC transactions.
  std::erase_if(m_claims, [](const Claim& c) {
    return !c.confirmed_height && c.kind == ClaimKind::Penalty;
  });
  // BOLT 5: MAY use a single transaction to *resolve* all the outputs.
  auto penalty = build_affordable(indexes, ClaimKind::Penalty);
  if (penalty) {
    add_claim(std::move(*penalty), out);
    return;
  }
  // Not even at the minimum relay feerate: give up what can never pay its own way.
  for (size_t i : indexes) {
    if (!build_sweep({i}, ClaimKind::Penalty, MIN_RELAY_FEERATE)) m_outputs[i].abandoned = true;
  }
}

bool Resolver::penalty_split() const {
  if (m_info.type != ChannelType::Anchors || !m_spend) return false;
  // The cheater's to_local can be spent by it from block `expiry` on.
  uint64_t expiry = uint64_t{m_spend->height} + m_info.their_to_self_delay;
  return uint64_t{m_tip} + 1 + m_config.security_delay >= expiry;
}

void Resolver::plan_split_penalties(const std::vector<size_t>& indexes, Outputs& out,
                                    bool new_block) {
  // BOLT 5: if `option_anchor_outputs` applies: if confirmation doesn't happen before
  // reaching `security_delay` blocks from expiry: SHOULD *resolve* revoked outputs in their
  // own, separate penalty transactions. (A penalty for several outputs may be pinned.)
  std::erase_if(m_claims, [](const Claim& c) {
    return !c.confirmed_height && c.kind == ClaimKind::Penalty && c.claimed.size() > 1;
  });
  for (size_t i : indexes) {
    if (Claim* live = live_claim({m_outputs[i].outpoint})) {
      keep_alive(*live, {i}, out, new_block);
      continue;
    }
    auto penalty = build_affordable({i}, ClaimKind::Penalty);
    if (penalty) {
      add_claim(std::move(*penalty), out);
    } else {
      m_outputs[i].abandoned = true;
    }
  }
}

Result<Claim> Resolver::build_affordable(const std::vector<size_t>& indexes,
                                         ClaimKind kind) const {
  auto claim = build_sweep(indexes, kind, m_feerate);
  if (claim || m_feerate <= MIN_RELAY_FEERATE) return claim;
  // Too small for the feerate asked: the highest feerate it can pay, down to the minimum
  // relay feerate (a small output confirms late rather than never).
  uint32_t lo = MIN_RELAY_FEERATE.value(), hi = m_feerate.value();
  auto best = build_sweep(indexes, kind, MIN_RELAY_FEERATE);
  if (!best) return best;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    auto c = build_sweep(indexes, kind, FeeratePerKw(mid));
    if (c) {
      lo = mid;
      best = std::move(c);
    } else {
      hi = mid;
    }
  }
  return best;
}

void Resolver::plan_output(size_t index, Outputs& out, bool new_block) {
  const TrackedOutput& o = m_outputs[index];
  if (o.spent_by || o.abandoned || !ready(o)) return;
  std::vector<OutPoint> claimed{o.outpoint};
  if (Claim* live = live_claim(claimed)) {
    keep_alive(*live, {index}, out, new_block);
    return;
  }
  switch (o.role) {
    case OutputRole::LocalOfferedHtlc:
    case OutputRole::LocalReceivedHtlc: {
      // BOLT 5: MUST *resolve* the output by spending it using the HTLC-timeout (HTLC-success)
      // transaction.
      auto tmpl = local_htlc_tx(o);
      if (!tmpl) return;  // cannot happen for a commitment we built; nothing to sign
      if (m_info.type == ChannelType::Anchors) {
        // BOLT 5: A node which broadcasts an HTLC-success or HTLC-timeout transaction for a
        // commitment transaction for which `option_anchor_outputs` applies: MUST contribute
        // sufficient fee to ensure timely inclusion in a block.
        uint64_t weight = tmpl->tx.weight() + 2 + 1 + 1 + 2 * 74 +
                          (o.role == OutputRole::LocalReceivedHtlc ? 33 : 1) + 3 +
                          o.witness_script.size();
        out.actions.push_back(FundHtlcTx{o.outpoint, tmpl->tx, weight, m_feerate});
        return;
      }
      Transaction tx = tmpl->tx;
      auto witness = htlc_tx_witness(o, tx);
      if (!witness) return;
      tx.inputs[0].witness = std::move(*witness);
      Claim claim;
      claim.kind = ClaimKind::HtlcTx;
      claim.tx = std::move(tx);
      claim.claimed = claimed;
      claim.feerate = m_snapshot.local.feerate;
      claim.built_height = m_tip;
      add_claim(std::move(claim), out);
      return;
    }
    case OutputRole::LocalToLocal:
    case OutputRole::LocalHtlcTxOutput:
    case OutputRole::ToRemote:
    case OutputRole::RemoteOfferedHtlc:
    case OutputRole::RemoteReceivedHtlc: {
      auto sweep = build_affordable({index}, ClaimKind::Sweep);
      if (sweep) {
        add_claim(std::move(*sweep), out);
      } else {
        m_outputs[index].abandoned = true;  // worth less than its fee at the minimum feerate
      }
      return;
    }
    case OutputRole::RevokedToLocal:
    case OutputRole::RevokedHtlc:
    case OutputRole::RevokedHtlcTxOutput:
      return;  // plan_penalty
  }
}

void Resolver::add_claim(Claim claim, Outputs& out) {
  Txid txid = claim.tx.txid();
  for (const OutPoint& p : claim.claimed) {
    size_t i = find_output(p);
    if (i == SIZE_MAX) continue;
    auto& ids = m_outputs[i].our_txids;
    if (std::find(ids.begin(), ids.end(), txid) == ids.end()) ids.push_back(txid);
  }
  out.actions.push_back(Broadcast{claim.kind, claim.tx});
  m_claims.push_back(std::move(claim));
}

Result<Claim> Resolver::build_sweep(const std::vector<size_t>& indexes, ClaimKind kind,
                                    FeeratePerKw feerate) const {
  std::vector<SweepInput> inputs;
  std::vector<crypto::SecretKey> keys;
  for (size_t i : indexes) {
    const TrackedOutput& o = m_outputs[i];
    FULGUR_TRY(auto key, key_for(o));
    CltvDelta our_delay(m_info.our_to_self_delay);
    switch (o.role) {
      case OutputRole::LocalToLocal:
      case OutputRole::LocalHtlcTxOutput:
        inputs.push_back(to_local_delayed_input(o.outpoint, o.amount, o.witness_script, our_delay));
        break;
      case OutputRole::ToRemote:
        inputs.push_back(to_remote_input(m_info.type, o.outpoint, o.amount, key.public_key()));
        break;
      case OutputRole::RemoteOfferedHtlc: {
        auto p = o.htlc ? m_preimages.find(o.htlc->payment_hash) : m_preimages.end();
        if (p == m_preimages.end()) return fail("no preimage");
        inputs.push_back(offered_htlc_preimage_input(m_info.type, o.outpoint, o.amount,
                                                     o.witness_script, p->second));
        break;
      }
      case OutputRole::RemoteReceivedHtlc:
        if (!o.htlc) return fail("no HTLC");
        inputs.push_back(received_htlc_timeout_input(m_info.type, o.outpoint, o.amount,
                                                     o.witness_script, o.htlc->cltv_expiry));
        break;
      // BOLT 5: MUST *resolve* ... using the revocation private key.
      case OutputRole::RevokedToLocal:
      case OutputRole::RevokedHtlcTxOutput:
        inputs.push_back(to_local_revoked_input(o.outpoint, o.amount, o.witness_script));
        break;
      case OutputRole::RevokedHtlc:
        inputs.push_back(htlc_revoked_input(o.outpoint, o.amount, o.witness_script,
                                            key.public_key()));
        break;
      case OutputRole::LocalOfferedHtlc:
      case OutputRole::LocalReceivedHtlc:
        return fail("HTLC outputs of our commitment go through HTLC transactions");
    }
    keys.push_back(std::move(key));
  }
  FULGUR_TRY(SweepTx sweep, build_sweep_tx(std::move(inputs), m_info.sweep_script, feerate));
  for (size_t i = 0; i < keys.size(); ++i) {
    FULGUR_TRY_STATUS(sign_sweep_input(sweep, i, &keys[i]));
  }
  Claim claim;
  claim.kind = kind;
  claim.tx = std::move(sweep.tx);
  for (size_t i : indexes) claim.claimed.push_back(m_outputs[i].outpoint);
  claim.feerate = feerate;
  claim.built_height = m_tip;
  return claim;
}

Result<HtlcTx> Resolver::local_htlc_tx(const TrackedOutput& o) const {
  if (!m_spend || m_spend->kind != SpendKind::LocalCommitment) return fail("not our commitment");
  FULGUR_TRY(auto point, crypto::PublicKey::parse(m_spend->point));
  FULGUR_TRY(auto b, built(true, m_snapshot.local, point));
  return build_htlc_tx(b.spec, b.tx, b.keys, o.outpoint.vout);
}

Result<bitcoin::Witness> Resolver::htlc_tx_witness(const TrackedOutput& o,
                                                   const Transaction& tx) const {
  FULGUR_TRY(HtlcTx htx, local_htlc_tx(o));
  htx.tx = tx;  // the funded one under anchors: the peer's signature still covers it
  if (o.htlc_sig_index >= m_snapshot.local_htlc_signatures.size()) {
    return fail("no HTLC signature from the peer");
  }
  FULGUR_TRY(auto remote_sig,
             crypto::Signature::from_compact(m_snapshot.local_htlc_signatures[o.htlc_sig_index]));
  FULGUR_TRY(CommitmentKeys keys, spend_keys());
  uint8_t remote_type = remote_htlc_sighash_type(m_info.type);
  if (!verify_htlc_tx(htx, keys.remote_htlcpubkey, remote_type, remote_sig)) {
    return fail("the peer's HTLC signature does not verify");
  }
  FULGUR_TRY(auto key, key_for(o));
  Bytes remote = with_sighash(remote_sig, remote_type);
  // BOLT 5: The local signature MUST use `SIGHASH_ALL`.
  Bytes local = with_sighash(sign_htlc_tx(htx, key, SIGHASH_ALL), SIGHASH_ALL);
  if (o.role == OutputRole::LocalOfferedHtlc) return htlc_timeout_witness(htx, remote, local);
  auto p = o.htlc ? m_preimages.find(o.htlc->payment_hash) : m_preimages.end();
  if (p == m_preimages.end()) return fail("no preimage");
  return htlc_success_witness(htx, remote, local, p->second);
}

// ---- our own commitment before it confirms ----

void Resolver::rebroadcast_local_commitment(Outputs& out) {
  if (!m_local_broadcast) return;
  const Transaction& tx = *m_local_broadcast;
  out.actions.push_back(Broadcast{ClaimKind::Commitment, tx});
  if (m_info.type != ChannelType::Anchors) return;
  // BOLT 5: MUST spend any `to_local_anchor` output, providing sufficient fees as incentive
  // to include the commitment transaction in a block.
  bitcoin::Script script = anchor_script(m_secrets.funding_secret.public_key());
  bitcoin::Script spk = bitcoin::p2wsh_for_script(script);
  uint64_t total = 0;
  std::optional<uint32_t> vout;
  for (size_t i = 0; i < tx.outputs.size(); ++i) {
    total += tx.outputs[i].amount.value();
    if (tx.outputs[i].script_pubkey == spk) vout = static_cast<uint32_t>(i);
  }
  if (!vout || total > m_info.funding_amount.value()) return;
  Txid txid = tx.txid();
  out.actions.push_back(CpfpNeeded{txid, tx.weight(), Sat(m_info.funding_amount.value() - total),
                                   OutPoint{txid, *vout}, ANCHOR_OUTPUT_VALUE, script, m_feerate});
}

// ---- events ----

bool Resolver::pending_htlc(const Htlc& h) const {
  auto in = [&](const Commitment& c) {
    return std::any_of(c.htlcs.begin(), c.htlcs.end(), [&](const Htlc& x) {
      return x.offered_by_us == h.offered_by_us && x.id == h.id;
    });
  };
  return in(m_snapshot.local) || in(m_snapshot.remote) ||
         (m_snapshot.remote_next && in(*m_snapshot.remote_next));
}

void Resolver::report_htlc(TrackedOutput& o, Outputs& out) {
  if (!o.htlc || o.htlc_reported) return;
  switch (o.role) {
    case OutputRole::LocalOfferedHtlc:
    case OutputRole::LocalReceivedHtlc:
    case OutputRole::RemoteOfferedHtlc:
    case OutputRole::RemoteReceivedHtlc:
    case OutputRole::RevokedHtlc:
      break;
    case OutputRole::LocalToLocal:
    case OutputRole::LocalHtlcTxOutput:
    case OutputRole::ToRemote:
    case OutputRole::RevokedToLocal:
    case OutputRole::RevokedHtlcTxOutput:
      return;  // the outcome was decided at the first stage
  }
  const Htlc& h = *o.htlc;
  bool safe = o.spent_by && depth(o.spent_height) >= m_config.safe_depth;
  // BOLT 5: If not otherwise resolved, once the HTLC output has expired, it is considered
  // *irrevocably resolved*. (An HTLC offered to us that we cannot claim.)
  bool expired = !o.spent_by && !h.offered_by_us && !m_preimages.count(h.payment_hash) &&
                 m_tip + 1 >= h.cltv_expiry + m_config.safe_depth;
  if (!safe && !expired) return;
  o.htlc_reported = true;
  if (!pending_htlc(h)) return;  // an HTLC of a revoked state, long settled off chain
  auto p = m_preimages.find(h.payment_hash);
  if (h.offered_by_us && p != m_preimages.end()) {
    out.actions.push_back(Event{event::HtlcFulfilled{h, p->second}});
    return;
  }
  // BOLT 5: once the resolving transaction has reached reasonable depth: MUST fail the
  // corresponding incoming HTLC (if any). For an HTLC offered to us, it tells that the peer
  // took it back (unless we claimed it).
  if (h.offered_by_us || !(o.spent_by && o.spent_by_us)) {
    out.actions.push_back(Event{event::HtlcTimedOut{h}});
  }
}

void Resolver::report_missing_htlcs(Outputs& out) {
  if (!m_spend || m_spend->reported || depth(m_spend->height) < m_config.safe_depth) return;
  m_spend->reported = true;
  // BOLT 5: for any committed HTLC that does NOT have an output in this commitment
  // transaction: once the commitment transaction has reached reasonable depth: MUST fail the
  // corresponding incoming HTLC (if any).
  std::vector<uint64_t> done;
  auto consider = [&](const Commitment& c) {
    for (const Htlc& h : c.htlcs) {
      if (!h.offered_by_us || std::find(done.begin(), done.end(), h.id) != done.end()) continue;
      done.push_back(h.id);
      bool has_output = std::any_of(m_outputs.begin(), m_outputs.end(), [&](const TrackedOutput& o) {
        return o.htlc && o.htlc->offered_by_us && o.htlc->id == h.id;
      });
      if (has_output) continue;
      auto p = m_preimages.find(h.payment_hash);
      if (p != m_preimages.end()) {
        out.actions.push_back(Event{event::HtlcFulfilled{h, p->second}});
      } else {
        out.actions.push_back(Event{event::HtlcTimedOut{h}});
      }
    }
  };
  consider(m_snapshot.local);
  consider(m_snapshot.remote);
  if (m_snapshot.remote_next) consider(*m_snapshot.remote_next);
}

void Resolver::report(Outputs& out) {
  for (TrackedOutput& o : m_outputs) {
    if (o.spent_by && !o.reported && depth(o.spent_height) >= m_config.safe_depth) {
      o.reported = true;
      out.actions.push_back(Event{event::OutputResolved{o.outpoint, o.role, *o.spent_by,
                                                        o.spent_by_us}});
    }
    report_htlc(o, out);
  }
  for (Claim& c : m_claims) {
    if (!c.confirmed_height || c.reported || depth(*c.confirmed_height) < m_config.safe_depth) {
      continue;
    }
    c.reported = true;
    Sat amount = paid_to(c.tx, m_info.sweep_script);
    if (c.kind == ClaimKind::Penalty) {
      out.actions.push_back(Event{event::PenaltyConfirmed{c.tx.txid(), amount}});
    } else {
      out.actions.push_back(Event{event::ClaimConfirmed{c.kind, c.tx.txid(), amount}});
    }
  }
  report_missing_htlcs(out);
  if (!m_finish_reported && all_resolved()) {
    m_finish_reported = true;
    m_phase = Phase::Finished;
    out.actions.push_back(Event{event::ResolutionFinished{}});
  }
}

bool Resolver::all_resolved() const {
  if (!m_spend || depth(m_spend->height) < m_config.final_depth || !m_spend->reported) {
    return false;
  }
  for (const TrackedOutput& o : m_outputs) {
    if (o.abandoned) continue;
    if (o.spent_by) {
      if (depth(o.spent_height) < m_config.final_depth || !o.reported) return false;
      continue;
    }
    bool incoming = o.role == OutputRole::LocalReceivedHtlc ||
                    o.role == OutputRole::RemoteOfferedHtlc;
    if (incoming && o.htlc_reported && o.htlc && m_tip + 1 >= o.htlc->cltv_expiry + m_config.final_depth) {
      continue;  // expired, never claimed by us
    }
    return false;
  }
  return std::all_of(m_claims.begin(), m_claims.end(), [](const Claim& c) {
    return !c.confirmed_height || c.reported;
  });
}

}  // namespace fulgur::channel::onchain
