// The resolver's classification of a funding spend (BOLT 5: mutual close, our commitment,
// the peer's current or next commitment, a revoked commitment, or something unknown) and the
// outputs it must then resolve, including the second-stage HTLC outputs that appear later.
#include <algorithm>

#include "channel/onchain.h"
#include "channel/onchain_internal.h"
#include "channel/shachain.h"

namespace fulgur::channel::onchain {

using bitcoin::OutPoint;
using bitcoin::Script;
using bitcoin::Transaction;

namespace detail {

Result<BuiltCommitment> build_commitment(const ChannelInfo& info, const Basepoints& ours,
                                         const Basepoints& theirs,
                                         const crypto::PublicKey& our_funding_pubkey,
                                         uint64_t obscuring, bool holder_is_us,
                                         const Commitment& c, const crypto::PublicKey& point) {
  FULGUR_TRY(auto their_funding, crypto::PublicKey::parse(info.remote_funding_pubkey));
  FULGUR_TRY(CommitmentKeys keys, holder_is_us ? derive_commitment_keys(point, ours, theirs)
                                               : derive_commitment_keys(point, theirs, ours));
  std::vector<channel::Htlc> htlcs;
  for (const Htlc& h : c.htlcs) {
    htlcs.push_back(channel::Htlc{
        h.offered_by_us == holder_is_us ? HtlcDirection::Offered : HtlcDirection::Received,
        h.amount, h.payment_hash, h.cltv_expiry});
  }
  // The holder's to_self_delay is the one the other side chose; the dust limit its own.
  CommitmentSpec spec{
      .type = info.type,
      .funding_outpoint = info.funding_outpoint,
      .funding_amount = info.funding_amount,
      .local_funding_pubkey = holder_is_us ? our_funding_pubkey : their_funding,
      .remote_funding_pubkey = holder_is_us ? their_funding : our_funding_pubkey,
      .local_is_opener = holder_is_us == info.we_are_opener,
      .commitment_number = c.number,
      .obscuring_factor = obscuring,
      .to_self_delay = CltvDelta(holder_is_us ? info.our_to_self_delay : info.their_to_self_delay),
      .dust_limit = holder_is_us ? info.our_dust_limit : info.their_dust_limit,
      .feerate = c.feerate,
      .to_local = holder_is_us ? c.to_us : c.to_them,
      .to_remote = holder_is_us ? c.to_them : c.to_us,
      .htlcs = std::move(htlcs)};
  FULGUR_TRY(CommitmentTx tx, build_commitment_tx(spec, keys));
  return BuiltCommitment{std::move(spec), keys, std::move(tx)};
}

}  // namespace detail

Result<detail::BuiltCommitment> Resolver::built(bool holder_is_us, const Commitment& c,
                                                const crypto::PublicKey& point) const {
  FULGUR_TRY(Basepoints theirs, their_basepoints());
  return detail::build_commitment(m_info, our_basepoints(), theirs,
                                  m_secrets.funding_secret.public_key(), obscuring(),
                                  holder_is_us, c, point);
}

Result<CommitmentKeys> Resolver::spend_keys() const {
  if (!m_spend) return fail("no funding spend");
  FULGUR_TRY(auto point, crypto::PublicKey::parse(m_spend->point));
  FULGUR_TRY(Basepoints theirs, their_basepoints());
  if (m_spend->kind == SpendKind::LocalCommitment) {
    return derive_commitment_keys(point, our_basepoints(), theirs);
  }
  return derive_commitment_keys(point, theirs, our_basepoints());
}

namespace {
bool matches(const Txid& txid, const Result<detail::BuiltCommitment>& b) {
  return b.ok() && b->tx.tx.txid() == txid;
}

bool pays_only(const Transaction& tx, const Bytes& a, const Bytes& b) {
  if (tx.outputs.empty()) return false;
  return std::all_of(tx.outputs.begin(), tx.outputs.end(), [&](const bitcoin::TxOut& o) {
    const Bytes& s = o.script_pubkey.bytes();
    return (!a.empty() && s == a) || (!b.empty() && s == b);
  });
}
}  // namespace

FundingSpend Resolver::classify(const Transaction& tx, uint32_t height) const {
  FundingSpend s;
  s.tx = tx;
  s.height = height;
  s.kind = SpendKind::Unknown;
  Txid txid = tx.txid();
  std::optional<uint64_t> number;
  if (tx.inputs.size() == 1) {
    number = commitment_number_from_lock_fields(tx.locktime, tx.inputs[0].sequence, obscuring());
  }
  if (!number) {
    // BOLT 5: A closing transaction *resolves* the funding transaction output. (We recognise
    // it by its outputs: each pays one of the two shutdown scripts.)
    if (pays_only(tx, m_snapshot.local_shutdown_script, m_snapshot.remote_shutdown_script)) {
      s.kind = SpendKind::MutualClose;
    }
    return s;
  }
  s.commitment_number = *number;
  auto place = [&](SpendKind kind, bool holder_is_us, const Commitment& c,
                   const crypto::PublicKey& point) {
    if (*number != c.number || !matches(txid, built(holder_is_us, c, point))) return false;
    s.kind = kind;
    s.point = point.serialize();
    return true;
  };
  auto ours = our_point(*number);
  if (ours && place(SpendKind::LocalCommitment, true, m_snapshot.local, *ours)) return s;
  auto remote_point = crypto::PublicKey::parse(m_snapshot.remote_point);
  if (remote_point &&
      place(SpendKind::RemoteCommitment, false, m_snapshot.remote, *remote_point)) {
    return s;
  }
  if (m_snapshot.remote_next) {
    auto next_point = crypto::PublicKey::parse(m_snapshot.remote_next_point);
    if (next_point &&
        place(SpendKind::RemoteNextCommitment, false, *m_snapshot.remote_next, *next_point)) {
      return s;
    }
  }
  // BOLT 5: Once a node discovers a commitment transaction for which *it* has a revocation
  // private key, the funding transaction output is *resolved*.
  if (!m_snapshot.remote_secrets.empty()) {
    auto store = ShachainStore::from_bytes(m_snapshot.remote_secrets);
    auto secret = store ? store->secret_at(shachain_index(*number)) : std::nullopt;
    auto point = secret ? per_commitment_point(*secret) : Result<crypto::PublicKey>(fail(""));
    if (point) {
      s.kind = SpendKind::RevokedCommitment;
      s.point = point->serialize();
      return s;
    }
  }
  // A commitment of the peer's that we cannot place (we lost data, or it is ahead of us):
  // with static_remotekey and anchors its to_remote still pays our payment_basepoint.
  s.kind = SpendKind::UnknownCommitment;
  return s;
}

void Resolver::track(const OutPoint& outpoint, Sat amount, OutputRole role, Script script,
                     std::optional<Htlc> htlc, uint32_t height, uint32_t sig_index) {
  if (find_output(outpoint) != SIZE_MAX) return;
  TrackedOutput o;
  o.outpoint = outpoint;
  o.amount = amount;
  o.role = role;
  o.witness_script = std::move(script);
  o.created_height = height;
  o.htlc = std::move(htlc);
  o.htlc_sig_index = sig_index;
  m_outputs.push_back(std::move(o));
}

void Resolver::track_commitment_outputs(const FundingSpend& s) {
  m_outputs.clear();
  switch (s.kind) {
    case SpendKind::MutualClose:
      // BOLT 5: In the case of a mutual close, a node need not do anything else.
      return;
    case SpendKind::Unknown:
      return;
    case SpendKind::LocalCommitment:
      track_local(s);
      return;
    case SpendKind::RemoteCommitment:
    case SpendKind::RemoteNextCommitment:
      track_remote(s, s.kind == SpendKind::RemoteCommitment ? m_snapshot.remote
                                                            : *m_snapshot.remote_next);
      return;
    case SpendKind::RevokedCommitment:
      track_revoked(s);
      return;
    case SpendKind::UnknownCommitment:
      track_to_remote(s);
      return;
  }
}

void Resolver::track_local(const FundingSpend& s) {
  auto point = crypto::PublicKey::parse(s.point);
  auto b = point ? built(true, m_snapshot.local, *point) : fail("bad point");
  FULGUR_ASSERT(b.ok());  // classify() built it already
  Txid txid = s.tx.txid();
  std::vector<size_t> htlc_vouts = htlc_output_indexes(b->tx);
  for (size_t i = 0; i < b->tx.outputs.size(); ++i) {
    const CommitmentOutput& co = b->tx.outputs[i];
    OutPoint op{txid, static_cast<uint32_t>(i)};
    Sat amount = b->tx.tx.outputs[i].amount;
    uint32_t sig_index = static_cast<uint32_t>(
        std::find(htlc_vouts.begin(), htlc_vouts.end(), i) - htlc_vouts.begin());
    switch (co.kind) {
      // BOLT 5: upon discovering its *local commitment transaction*: SHOULD spend the
      // `to_local` output to a convenient address.
      case OutputKind::ToLocal:
        track(op, amount, OutputRole::LocalToLocal, co.witness_script, {}, s.height);
        break;
      // BOLT 5: MUST handle HTLCs offered by itself as specified in [HTLC Output Handling:
      // Local Commitment, Local Offers]; MUST handle HTLCs offered by the remote node ...
      case OutputKind::OfferedHtlc:
        track(op, amount, OutputRole::LocalOfferedHtlc, co.witness_script,
              m_snapshot.local.htlcs[co.htlc_index], s.height, sig_index);
        break;
      case OutputKind::ReceivedHtlc:
        track(op, amount, OutputRole::LocalReceivedHtlc, co.witness_script,
              m_snapshot.local.htlcs[co.htlc_index], s.height, sig_index);
        break;
      // BOLT 5: MAY ignore the `to_remote` output. Anchors: ours serves CPFP only while the
      // commitment is unconfirmed; after 16 blocks anyone may sweep them (we don't).
      case OutputKind::ToRemote:
      case OutputKind::LocalAnchor:
      case OutputKind::RemoteAnchor:
        break;
    }
  }
}

void Resolver::track_remote(const FundingSpend& s, const Commitment& c) {
  auto point = crypto::PublicKey::parse(s.point);
  auto b = point ? built(false, c, *point) : fail("bad point");
  FULGUR_ASSERT(b.ok());  // classify() built it already
  Txid txid = s.tx.txid();
  for (size_t i = 0; i < b->tx.outputs.size(); ++i) {
    const CommitmentOutput& co = b->tx.outputs[i];
    OutPoint op{txid, static_cast<uint32_t>(i)};
    Sat amount = b->tx.tx.outputs[i].amount;
    switch (co.kind) {
      // BOLT 5: MAY take no action in regard to the associated `to_remote`. (Our wallet is
      // the L1 node's: we sweep it there.)
      case OutputKind::ToRemote:
        track(op, amount, OutputRole::ToRemote, co.witness_script, {}, s.height);
        break;
      // BOLT 5: MUST handle HTLCs offered by itself as specified in [HTLC Output Handling:
      // Remote Commitment, Local Offers] (its "received" outputs), and HTLCs offered by the
      // remote node as in [Remote Commitment, Remote Offers] (its "offered" outputs).
      case OutputKind::OfferedHtlc:
        track(op, amount, OutputRole::RemoteOfferedHtlc, co.witness_script,
              c.htlcs[co.htlc_index], s.height);
        break;
      case OutputKind::ReceivedHtlc:
        track(op, amount, OutputRole::RemoteReceivedHtlc, co.witness_script,
              c.htlcs[co.htlc_index], s.height);
        break;
      // BOLT 5: MAY take no action in regard to the associated `to_local`.
      case OutputKind::ToLocal:
      case OutputKind::LocalAnchor:
      case OutputKind::RemoteAnchor:
        break;
    }
  }
}

void Resolver::track_to_remote(const FundingSpend& s) {
  Script witness;
  if (m_info.type == ChannelType::Anchors) {
    witness = to_remote_anchors_script(our_basepoints().payment_basepoint);
  }
  Script spk = to_remote_output_script(m_info.type, our_basepoints().payment_basepoint);
  Txid txid = s.tx.txid();
  for (size_t i = 0; i < s.tx.outputs.size(); ++i) {
    if (s.tx.outputs[i].script_pubkey != spk) continue;
    track(OutPoint{txid, static_cast<uint32_t>(i)}, s.tx.outputs[i].amount, OutputRole::ToRemote,
          witness, {}, s.height);
  }
}

void Resolver::track_revoked(const FundingSpend& s) {
  auto keys = spend_keys();
  FULGUR_ASSERT(keys.ok());  // the point came from a stored secret
  uint64_t n = s.commitment_number;
  // BOLT 5: MUST *resolve* the _remote node's main output_ by spending it using the
  // revocation private key.
  Script to_local = to_local_script(keys->revocation_pubkey, CltvDelta(m_info.their_to_self_delay),
                                    keys->local_delayed_pubkey);
  Script to_local_spk = bitcoin::p2wsh_for_script(to_local);
  // BOLT 5: MUST *resolve* the _remote node's offered HTLCs_ / _local node's offered HTLCs_
  // (spend the *commitment tx* using the payment revocation private key). Their scripts come
  // from the HTLCs the peer's commitments held around number n.
  HtlcKeys hk{keys->revocation_pubkey, keys->local_htlcpubkey, keys->remote_htlcpubkey};
  struct Candidate {
    Htlc htlc;
    Script script;
    Script spk;
    bool used = false;
  };
  // Those whose recorded range holds n come first; the others after them, in case a snapshot
  // was missed and a range is narrower than the truth.
  std::vector<const HtlcHistory*> entries;
  for (const HtlcHistory& e : m_history) {
    if (n >= e.first_remote_number && n <= e.last_remote_number) entries.push_back(&e);
  }
  for (const HtlcHistory& e : m_history) {
    if (n < e.first_remote_number || n > e.last_remote_number) entries.push_back(&e);
  }
  std::vector<Candidate> candidates;
  for (const HtlcHistory* e : entries) {
    const Htlc& h = e->htlc;
    // Seen from the cheater (the broadcaster), our offers are its received HTLCs.
    Script script = h.offered_by_us
                        ? received_htlc_script(m_info.type, hk, h.payment_hash, h.cltv_expiry)
                        : offered_htlc_script(m_info.type, hk, h.payment_hash);
    Script spk = bitcoin::p2wsh_for_script(script);
    candidates.push_back({h, std::move(script), std::move(spk)});
  }
  track_to_remote(s);
  Txid txid = s.tx.txid();
  for (size_t i = 0; i < s.tx.outputs.size(); ++i) {
    const bitcoin::TxOut& out = s.tx.outputs[i];
    OutPoint op{txid, static_cast<uint32_t>(i)};
    if (out.script_pubkey == to_local_spk) {
      track(op, out.amount, OutputRole::RevokedToLocal, to_local, {}, s.height);
      continue;
    }
    // Two HTLCs can share a script (same hash and expiry): prefer an unused one whose amount
    // matches, then any unused one, then any.
    Candidate* pick = nullptr;
    for (int pass = 0; pass < 3 && !pick; ++pass) {
      for (Candidate& c : candidates) {
        if (c.spk != out.script_pubkey) continue;
        if (pass < 2 && c.used) continue;
        if (pass == 0 && to_sat_floor(c.htlc.amount) != out.amount) continue;
        pick = &c;
        break;
      }
    }
    if (!pick) continue;
    pick->used = true;
    track(op, out.amount, OutputRole::RevokedHtlc, pick->script, pick->htlc, s.height);
  }
}

void Resolver::track_second_stage(const TrackedOutput& spent, const Transaction& tx,
                                  size_t input) {
  bool ours = false;
  switch (spent.role) {
    case OutputRole::LocalOfferedHtlc:
    case OutputRole::LocalReceivedHtlc:
      ours = true;
      break;
    case OutputRole::RevokedHtlc:
      if (spent.spent_by_us) return;  // our penalty
      break;
    case OutputRole::LocalToLocal:
    case OutputRole::LocalHtlcTxOutput:
    case OutputRole::ToRemote:
    case OutputRole::RemoteOfferedHtlc:
    case OutputRole::RemoteReceivedHtlc:
    case OutputRole::RevokedToLocal:
    case OutputRole::RevokedHtlcTxOutput:
      return;
  }
  auto keys = spend_keys();
  if (!keys) return;
  // The HTLC transaction's output: the holder's to_local-style script.
  uint16_t delay = ours ? m_info.our_to_self_delay : m_info.their_to_self_delay;
  Script script =
      to_local_script(keys->revocation_pubkey, CltvDelta(delay), keys->local_delayed_pubkey);
  Script spk = bitcoin::p2wsh_for_script(script);
  // SIGHASH_SINGLE pairs input i with output i; fall back to the first free match.
  std::optional<size_t> vout;
  if (input < tx.outputs.size() && tx.outputs[input].script_pubkey == spk) vout = input;
  Txid txid = tx.txid();
  for (size_t i = 0; i < tx.outputs.size() && !vout; ++i) {
    if (tx.outputs[i].script_pubkey == spk &&
        find_output(OutPoint{txid, static_cast<uint32_t>(i)}) == SIZE_MAX) {
      vout = i;
    }
  }
  if (!vout) return;  // the peer spent our HTLC output directly (preimage or timeout)
  size_t index = find_output(spent.outpoint);
  if (ours && index != SIZE_MAX) m_outputs[index].spent_by_us = true;
  // BOLT 5: MUST resolve the output of that HTLC-timeout (HTLC-success) transaction; MUST
  // *resolve* the _remote node's HTLC-timeout (HTLC-success) transaction_ by spending it
  // using the revocation private key.
  track(OutPoint{txid, static_cast<uint32_t>(*vout)}, tx.outputs[*vout].amount,
        ours ? OutputRole::LocalHtlcTxOutput : OutputRole::RevokedHtlcTxOutput, script,
        spent.htlc, spent.spent_height);
}

}  // namespace fulgur::channel::onchain
