// The channel resolver's inputs: creation, snapshots and the HTLC history, blocks and their
// transactions, reorgs, preimages, feerates, the wallet's funded HTLC transactions and anchor
// signatures. Classification lives in onchain_classify.cpp, claims and events in
// onchain_claims.cpp, the record in onchain_record.cpp.
#include "channel/onchain.h"

#include <algorithm>

#include "channel/htlc_tx.h"
#include "channel/sign.h"
#include "channel/shachain.h"
#include "crypto/hash.h"

namespace fulgur::channel::onchain {

const char* to_string(SpendKind kind) {
  switch (kind) {
    case SpendKind::MutualClose: return "mutual_close";
    case SpendKind::LocalCommitment: return "local_commitment";
    case SpendKind::RemoteCommitment: return "remote_commitment";
    case SpendKind::RemoteNextCommitment: return "remote_next_commitment";
    case SpendKind::RevokedCommitment: return "revoked_commitment";
    case SpendKind::UnknownCommitment: return "unknown_commitment";
    case SpendKind::Unknown: return "unknown";
  }
  return "?";
}

const char* to_string(OutputRole role) {
  switch (role) {
    case OutputRole::LocalToLocal: return "local_to_local";
    case OutputRole::LocalOfferedHtlc: return "local_offered_htlc";
    case OutputRole::LocalReceivedHtlc: return "local_received_htlc";
    case OutputRole::LocalHtlcTxOutput: return "local_htlc_tx_output";
    case OutputRole::ToRemote: return "to_remote";
    case OutputRole::RemoteOfferedHtlc: return "remote_offered_htlc";
    case OutputRole::RemoteReceivedHtlc: return "remote_received_htlc";
    case OutputRole::RevokedToLocal: return "revoked_to_local";
    case OutputRole::RevokedHtlc: return "revoked_htlc";
    case OutputRole::RevokedHtlcTxOutput: return "revoked_htlc_tx_output";
  }
  return "?";
}

const char* to_string(ClaimKind kind) {
  switch (kind) {
    case ClaimKind::Commitment: return "commitment";
    case ClaimKind::Sweep: return "sweep";
    case ClaimKind::HtlcTx: return "htlc_tx";
    case ClaimKind::Penalty: return "penalty";
  }
  return "?";
}

Resolver::Resolver(const Config& config, const crypto::Secret32& node_seed, uint64_t key_index)
    : m_config(config), m_secrets(derive_channel_secrets(node_seed, key_index)) {
  m_info.key_index = key_index;
}

namespace {
bool is_point(const PointBytes& p) { return crypto::PublicKey::parse(p).ok(); }
}  // namespace

Result<Resolver> Resolver::create(const Config& config, const crypto::Secret32& node_seed,
                                  ChannelInfo info, Snapshot snapshot) {
  Resolver r(config, node_seed, info.key_index);
  for (const PointBytes* p : {&info.remote_funding_pubkey, &info.remote_revocation_basepoint,
                              &info.remote_payment_basepoint,
                              &info.remote_delayed_payment_basepoint,
                              &info.remote_htlc_basepoint}) {
    if (!is_point(*p)) return fail("resolver: channel key is not a point");
  }
  if (info.sweep_script.empty()) return fail("resolver: no sweep script");
  r.m_info = std::move(info);
  FULGUR_TRY_STATUS(r.load_snapshot(std::move(snapshot)));
  return r;
}

Status Resolver::load_snapshot(Snapshot snapshot) {
  if (!is_point(snapshot.remote_point)) return fail("resolver: remote point is not a point");
  if (snapshot.remote_next && !is_point(snapshot.remote_next_point)) {
    return fail("resolver: remote next point is not a point");
  }
  for (const SigBytes& sig : snapshot.local_htlc_signatures) {
    if (!crypto::Signature::from_compact(sig)) return fail("resolver: bad HTLC signature");
  }
  if (!snapshot.remote_secrets.empty()) {
    FULGUR_TRY(auto store, ShachainStore::from_bytes(snapshot.remote_secrets));
    (void)store;
  }
  m_snapshot = std::move(snapshot);
  extend_history(m_snapshot.remote);
  if (m_snapshot.remote_next) extend_history(*m_snapshot.remote_next);
  // Our handed-out commitment is dropped once superseded: never rebroadcast a revoked one.
  if (m_local_broadcast) {
    auto number = commitment_number_from_lock_fields(
        m_local_broadcast->locktime, m_local_broadcast->inputs.at(0).sequence, obscuring());
    if (!number || *number != m_snapshot.local.number) m_local_broadcast.reset();
  }
  return {};
}

void Resolver::extend_history(const Commitment& c) {
  if (m_history_index.size() != m_history.size()) {  // after a restore
    m_history_index.clear();
    for (size_t i = 0; i < m_history.size(); ++i) {
      m_history_index[{m_history[i].htlc.offered_by_us, m_history[i].htlc.id}] = i;
    }
  }
  for (const Htlc& h : c.htlcs) {
    auto [it, added] = m_history_index.try_emplace({h.offered_by_us, h.id}, m_history.size());
    if (added) {
      m_history.push_back(HtlcHistory{h, c.number, c.number});
      continue;
    }
    HtlcHistory& e = m_history[it->second];
    e.first_remote_number = std::min(e.first_remote_number, c.number);
    e.last_remote_number = std::max(e.last_remote_number, c.number);
  }
}

Result<Outputs> Resolver::update(Snapshot snapshot) {
  Outputs out;
  if (m_phase != Phase::Watching) return out;  // the channel is closed on chain
  FULGUR_TRY_STATUS(load_snapshot(std::move(snapshot)));
  out.actions.push_back(PersistRecord{record()});
  return out;
}

Result<Outputs> Resolver::local_commitment_broadcast(bitcoin::Transaction signed_commitment) {
  if (signed_commitment.inputs.size() != 1 ||
      signed_commitment.inputs[0].prevout != m_info.funding_outpoint) {
    return fail("resolver: not a commitment of this channel");
  }
  Outputs out;
  if (m_phase != Phase::Watching) return out;
  m_local_broadcast = std::move(signed_commitment);
  // load_snapshot's check: only our latest commitment is kept.
  FULGUR_TRY_STATUS(load_snapshot(m_snapshot));
  if (!m_local_broadcast) return fail("resolver: not our latest commitment");
  rebroadcast_local_commitment(out);
  out.actions.push_back(PersistRecord{record()});
  return out;
}

Outputs Resolver::on_block(BlockHeight height, std::span<const bitcoin::Transaction> txs) {
  Outputs out;
  if (m_phase == Phase::Finished) return out;
  m_tip = height.value();
  for (const bitcoin::Transaction& tx : txs) process_tx(tx, m_tip, out);
  finish_update(out, true);
  return out;
}

void Resolver::process_tx(const bitcoin::Transaction& tx, uint32_t height, Outputs& out) {
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    const bitcoin::OutPoint& prev = tx.inputs[i].prevout;
    if (m_phase == Phase::Watching && prev == m_info.funding_outpoint) {
      on_funding_spent(tx, height, out);
      return;  // its other inputs (none for a commitment) spend nothing of ours
    }
    size_t index = find_output(prev);
    if (index != SIZE_MAX && !m_outputs[index].spent_by) on_output_spent(index, tx, i, height, out);
  }
}

void Resolver::on_funding_spent(const bitcoin::Transaction& tx, uint32_t height, Outputs& out) {
  m_spend = classify(tx, height);
  m_phase = Phase::Resolving;
  m_local_broadcast.reset();
  track_commitment_outputs(*m_spend);
  out.actions.push_back(Event{event::FundingSpent{m_spend->kind, tx.txid(), height,
                                                  m_spend->commitment_number}});
}

void Resolver::on_output_spent(size_t index, const bitcoin::Transaction& tx, size_t input,
                               uint32_t height, Outputs& out) {
  Txid txid = tx.txid();
  // One of our claims confirmed (every claim spends a tracked output).
  for (Claim& c : m_claims) {
    if (!c.confirmed_height && c.tx.txid() == txid) c.confirmed_height = height;
  }
  {
    TrackedOutput& o = m_outputs[index];
    o.spent_by = txid;
    o.spent_height = height;
    o.spent_by_us = std::find(o.our_txids.begin(), o.our_txids.end(), txid) != o.our_txids.end();
  }
  // Claims of ours that spent it differently are dead now.
  const bitcoin::OutPoint spent = m_outputs[index].outpoint;
  std::erase_if(m_claims, [&](const Claim& c) {
    return c.tx.txid() != txid &&
           std::find(c.claimed.begin(), c.claimed.end(), spent) != c.claimed.end();
  });
  TrackedOutput o = m_outputs[index];  // copy: tracking below may grow m_outputs
  // BOLT 5: MUST extract the payment preimage from the transaction input witness.
  if (o.htlc && !o.spent_by_us) {
    for (const Bytes& item : tx.inputs[input].witness) {
      if (item.size() != 32) continue;
      if (PaymentHash(crypto::sha256(item).array()) != o.htlc->payment_hash) continue;
      Preimage preimage = *Preimage::from_span(item);
      learn_preimage(preimage);
      if (o.htlc->offered_by_us && !m_outputs[index].htlc_reported) {
        m_outputs[index].htlc_reported = true;
        out.actions.push_back(Event{event::HtlcFulfilled{*o.htlc, preimage}});
      }
      break;
    }
  }
  track_second_stage(o, tx, input);
}

void Resolver::learn_preimage(const Preimage& preimage) {
  PaymentHash hash(crypto::sha256(preimage.span()).array());
  m_preimages.emplace(hash, preimage);
}

Outputs Resolver::on_block_disconnected(BlockHeight height) {
  Outputs out;
  if (m_phase == Phase::Finished) return out;
  uint32_t h = height.value();
  m_tip = h == 0 ? 0 : h - 1;
  // BOLT 5: MUST be prepared to resolve outputs multiple times, in case of blockchain
  // reorganizations.
  if (m_spend && m_spend->height >= h) {
    Txid txid = m_spend->tx.txid();
    m_spend.reset();
    m_outputs.clear();
    m_claims.clear();
    m_phase = Phase::Watching;
    out.actions.push_back(Event{event::FundingSpendReorged{txid}});
    out.actions.push_back(PersistRecord{record()});
    return out;
  }
  // Outputs created in the disconnected block are gone (with the claims spending them);
  // spends in it are undone and our claims among them are pending again.
  std::vector<bitcoin::OutPoint> gone;
  for (const TrackedOutput& o : m_outputs) {
    if (o.created_height >= h) gone.push_back(o.outpoint);
  }
  std::erase_if(m_outputs, [&](const TrackedOutput& o) { return o.created_height >= h; });
  std::erase_if(m_claims, [&](const Claim& c) {
    return std::any_of(c.claimed.begin(), c.claimed.end(), [&](const bitcoin::OutPoint& p) {
      return std::find(gone.begin(), gone.end(), p) != gone.end();
    });
  });
  for (TrackedOutput& o : m_outputs) {
    if (o.spent_by && o.spent_height >= h) {
      o.spent_by.reset();
      o.spent_height = 0;
      o.spent_by_us = false;
    }
  }
  for (Claim& c : m_claims) {
    if (c.confirmed_height && *c.confirmed_height >= h) c.confirmed_height.reset();
  }
  // Nothing is sent from here: a reorg disconnects several blocks before it connects the new
  // branch, and the next on_block rebroadcasts whatever is pending then.
  out.actions.push_back(PersistRecord{record()});
  return out;
}

Outputs Resolver::on_preimage(const Preimage& preimage) {
  Outputs out;
  learn_preimage(preimage);
  finish_update(out, false);
  return out;
}

Outputs Resolver::on_feerate(FeeratePerKw feerate) {
  Outputs out;
  m_feerate = feerate;
  finish_update(out, false);
  return out;
}

void Resolver::finish_update(Outputs& out, bool new_block) {
  if (m_phase == Phase::Watching) {
    if (new_block) rebroadcast_local_commitment(out);
  } else if (m_phase == Phase::Resolving) {
    plan(out, new_block);
    report(out);
  }
  // Last: everything above derives from the previous record and the inputs since, so if the
  // process stops before this is durable, the same inputs (the blocks above the recorded tip)
  // give the same actions again. Events are delivered at least once.
  out.actions.push_back(PersistRecord{record()});
}

size_t Resolver::find_output(const bitcoin::OutPoint& outpoint) const {
  for (size_t i = 0; i < m_outputs.size(); ++i) {
    if (m_outputs[i].outpoint == outpoint) return i;
  }
  return SIZE_MAX;
}

std::vector<bitcoin::OutPoint> Resolver::watched_outpoints() const {
  std::vector<bitcoin::OutPoint> w;
  switch (m_phase) {
    case Phase::Watching:
      w.push_back(m_info.funding_outpoint);
      break;
    case Phase::Resolving:
      // Spent ones too: a reorg can undo their spend, and the daemon feeds us the block then.
      for (const TrackedOutput& o : m_outputs) w.push_back(o.outpoint);
      break;
    case Phase::Finished:
      break;
  }
  return w;
}

// ---- keys ----

uint64_t Resolver::obscuring() const {
  crypto::PublicKey ours = our_basepoints().payment_basepoint;
  auto theirs = crypto::PublicKey::parse(m_info.remote_payment_basepoint);
  FULGUR_ASSERT(theirs.ok());  // checked when stored
  return m_info.we_are_opener ? obscuring_factor(ours, *theirs) : obscuring_factor(*theirs, ours);
}

Basepoints Resolver::our_basepoints() const { return m_secrets.basepoint_secrets.basepoints(); }

Result<Basepoints> Resolver::their_basepoints() const {
  FULGUR_TRY(auto revocation, crypto::PublicKey::parse(m_info.remote_revocation_basepoint));
  FULGUR_TRY(auto payment, crypto::PublicKey::parse(m_info.remote_payment_basepoint));
  FULGUR_TRY(auto delayed, crypto::PublicKey::parse(m_info.remote_delayed_payment_basepoint));
  FULGUR_TRY(auto htlc, crypto::PublicKey::parse(m_info.remote_htlc_basepoint));
  return Basepoints{revocation, payment, delayed, htlc};
}

Result<crypto::PublicKey> Resolver::our_point(uint64_t number) const {
  if (number > MAX_COMMITMENT_NUMBER) return fail("commitment number out of range");
  return per_commitment_point(generate_from_seed(m_secrets.shachain_seed, shachain_index(number)));
}

Result<crypto::SecretKey> Resolver::key_for(const TrackedOutput& o) const {
  if (!m_spend) return fail("no funding spend");
  const BasepointSecrets& s = m_secrets.basepoint_secrets;
  switch (o.role) {
    case OutputRole::LocalToLocal:
    case OutputRole::LocalHtlcTxOutput: {
      FULGUR_TRY(auto point, our_point(m_spend->commitment_number));
      return derive_privkey(s.delayed_payment_basepoint_secret, point);
    }
    case OutputRole::LocalOfferedHtlc:
    case OutputRole::LocalReceivedHtlc: {
      FULGUR_TRY(auto point, our_point(m_spend->commitment_number));
      return derive_privkey(s.htlc_basepoint_secret, point);
    }
    case OutputRole::ToRemote:
      // option_static_remotekey and option_anchors: remotepubkey is our payment_basepoint.
      return s.payment_basepoint_secret.clone();
    case OutputRole::RemoteOfferedHtlc:
    case OutputRole::RemoteReceivedHtlc: {
      FULGUR_TRY(auto point, crypto::PublicKey::parse(m_spend->point));
      return derive_privkey(s.htlc_basepoint_secret, point);
    }
    case OutputRole::RevokedToLocal:
    case OutputRole::RevokedHtlc:
    case OutputRole::RevokedHtlcTxOutput: {
      FULGUR_TRY(auto store, ShachainStore::from_bytes(m_snapshot.remote_secrets));
      auto secret = store.secret_at(shachain_index(m_spend->commitment_number));
      if (!secret) return fail("no per-commitment secret for the revoked commitment");
      return derive_revocation_privkey(s.revocation_basepoint_secret, *secret);
    }
  }
  return fail("unknown output role");
}

// ---- the wallet's side of option_anchors ----

Result<Outputs> Resolver::complete_htlc_tx(const bitcoin::OutPoint& htlc_outpoint,
                                           bitcoin::Transaction funded) {
  size_t index = find_output(htlc_outpoint);
  if (index == SIZE_MAX || m_phase != Phase::Resolving) return fail("no such HTLC output");
  const TrackedOutput& o = m_outputs[index];
  if (o.spent_by) return fail("HTLC output already spent");
  if (!ready(o)) return fail("HTLC output not claimable yet");
  FULGUR_TRY(HtlcTx htx, local_htlc_tx(o));
  const bitcoin::Transaction& tmpl = htx.tx;
  // The peer's SIGHASH_SINGLE|SIGHASH_ANYONECANPAY signature covers input 0 and output 0:
  // the wallet may add inputs and outputs after them, nothing else.
  if (funded.inputs.empty() || funded.outputs.empty() || funded.version != tmpl.version ||
      funded.locktime != tmpl.locktime || funded.inputs[0].prevout != tmpl.inputs[0].prevout ||
      funded.inputs[0].sequence != tmpl.inputs[0].sequence ||
      funded.outputs[0] != tmpl.outputs[0]) {
    return fail("funded HTLC transaction changed input 0 or output 0");
  }
  FULGUR_TRY(auto witness, htlc_tx_witness(o, funded));
  funded.inputs[0].witness = std::move(witness);
  Claim claim;
  claim.kind = ClaimKind::HtlcTx;
  claim.tx = std::move(funded);
  claim.claimed = {htlc_outpoint};
  claim.feerate = m_feerate;
  claim.built_height = m_tip;
  // A newer funding replaces the pending one (the wallet fee-bumps by funding again).
  std::erase_if(m_claims, [&](const Claim& c) {
    return !c.confirmed_height && c.claimed == claim.claimed;
  });
  Outputs out;
  add_claim(std::move(claim), out);
  out.actions.push_back(PersistRecord{record()});
  return out;
}

Result<bitcoin::Witness> Resolver::sign_anchor_input(const bitcoin::Transaction& child,
                                                     size_t index) const {
  if (index >= child.inputs.size()) return fail("no such input");
  bitcoin::Script script = anchor_script(m_secrets.funding_secret.public_key());
  Bytes sig = sign_input(child, index, script, ANCHOR_OUTPUT_VALUE, m_secrets.funding_secret,
                         SIGHASH_ALL);
  // BOLT 3: <local_sig> (or <remote_sig>) spends an anchor with its funding key.
  return bitcoin::Witness{sig, script.bytes()};
}

}  // namespace fulgur::channel::onchain
