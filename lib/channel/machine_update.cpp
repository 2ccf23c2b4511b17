// Normal operation: update_add_htlc, update_fulfill_htlc, update_fail_htlc,
// update_fail_malformed_htlc, update_fee, commitment_signed and revoke_and_ack, with every
// check BOLT 2 asks of the receiver, and the signing of pending updates (batched: any number
// of updates share one commitment_signed; updates keep flowing while a revocation is due).
#include <algorithm>

#include "channel/machine.h"
#include "crypto/hash.h"

namespace fulgur::channel {

namespace {
Error fail_ch(std::string why) { return Error{PeerAction::FailChannel, std::move(why)}; }

bool removes(const std::vector<Update>& log, uint64_t id) {
  return std::any_of(log.begin(), log.end(),
                     [&](const Update& u) { return !is_add(u) && htlc_id_of(u) == id; });
}
bool removes(const UpdateLog& log, uint64_t id) {
  return removes(log.proposed, id) || removes(log.signed_, id) || removes(log.acked, id);
}
}  // namespace

const CommitSpec& ChannelMachine::latest_remote_spec() const {
  return m_s.waiting ? m_s.waiting->next.spec : m_s.remote_commit.spec;
}

Status ChannelMachine::check_can_send(const CommitSpec& next) const {
  // BOLT #2: if result would be offering more than the remote's max_accepted_htlcs HTLCs, in
  // the remote commitment transaction: MUST NOT add an HTLC.
  if (next.count(true) > m_s.remote_params.max_accepted_htlcs) {
    return fail("would exceed the peer's max_accepted_htlcs");
  }
  // BOLT #2: if the sum of total offered HTLCs would exceed the remote's
  // max_htlc_value_in_flight_msat: MUST NOT add an HTLC.
  if (next.in_flight(true) > m_s.remote_params.max_htlc_value_in_flight) {
    return fail("would exceed the peer's max_htlc_value_in_flight_msat");
  }
  // BOLT #2: MUST NOT offer amount_msat it cannot pay for in the remote commitment
  // transaction at the current feerate_per_kw while maintaining its channel reserve.
  Sat fee = opener_fee_for(m_s.type, next, m_s.remote_params.dust_limit, false);
  uint64_t need = m_s.remote_params.channel_reserve.value() * 1000;
  if (m_s.is_opener) need += fee.value() * 1000;
  if (next.to_us.value() < need) return fail("cannot afford: balance below reserve and fees");
  // The opener must still afford the fee that our HTLC adds to its commitment.
  if (!m_s.is_opener && next.to_them.value() < fee.value() * 1000) {
    return fail("the peer could not afford the commitment fee");
  }
  return {};
}

Status ChannelMachine::check_can_receive(const CommitSpec& next) const {
  // BOLT #2: if a sending node adds more than its max_accepted_htlcs HTLCs to its local
  // commitment transaction, OR adds more than its max_htlc_value_in_flight_msat worth of
  // offered HTLCs to its local commitment transaction: SHOULD fail the channel.
  if (next.count(false) > m_s.local_params.max_accepted_htlcs) {
    return Unexpected{fail_ch("peer exceeded max_accepted_htlcs")};
  }
  if (next.in_flight(false) > m_s.local_params.max_htlc_value_in_flight) {
    return Unexpected{fail_ch("peer exceeded max_htlc_value_in_flight_msat")};
  }
  // BOLT #2: receiving an amount_msat that the sending node cannot afford at the current
  // feerate_per_kw (while maintaining its channel reserve): SHOULD fail the channel.
  Sat fee = opener_fee_for(m_s.type, next, m_s.local_params.dust_limit, true);
  uint64_t need = m_s.local_params.channel_reserve.value() * 1000;
  if (!m_s.is_opener) need += fee.value() * 1000;
  if (next.to_them.value() < need) return Unexpected{fail_ch("peer cannot afford the HTLC")};
  return {};
}

Status ChannelMachine::check_removable_by_us(uint64_t id) const {
  // BOLT #2: until the corresponding HTLC is irrevocably committed in both sides'
  // commitment transactions: MUST NOT send an update_fulfill_htlc, update_fail_htlc, or
  // update_fail_malformed_htlc.
  if (!m_s.local_commit.spec.find(false, id) || !m_s.remote_commit.spec.find(false, id)) {
    return fail("HTLC " + std::to_string(id) + " is not irrevocably committed");
  }
  if (removes(m_s.ours, id)) return fail("HTLC " + std::to_string(id) + " is already removed");
  return {};
}

Status ChannelMachine::check_removable_by_them(uint64_t id) const {
  // BOLT #2: if the id does not correspond to an HTLC in its current commitment
  // transaction: MUST fail the channel.
  if (!m_s.local_commit.spec.find(true, id) || !m_s.remote_commit.spec.find(true, id)) {
    return Unexpected{fail_ch("removal of an HTLC not in the current commitment")};
  }
  if (removes(m_s.theirs, id)) return Unexpected{fail_ch("HTLC removed twice")};
  return {};
}

Outputs ChannelMachine::on_update_add(const msg::UpdateAddHtlc& m) {
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) {
    return reject(fail_ch("update_add_htlc before the channel is ready"));
  }
  // BOLT #2: MUST NOT send an update_add_htlc after a shutdown.
  if (m_s.shutdown_received) return reject(fail_ch("update_add_htlc after shutdown"));
  // BOLT #2: MUST increase the value of id by 1 for each successive offer. (if other id
  // violations occur: MAY fail the channel.)
  if (m.id != m_s.next_htlc_id_theirs) return reject(fail_ch("unexpected htlc id"));
  // BOLT #2: receiving an amount_msat equal to 0, OR less than its own htlc_minimum_msat:
  // SHOULD fail the channel.
  if (m.amount_msat.value() == 0 || m.amount_msat < m_s.local_params.htlc_minimum) {
    return reject(fail_ch("amount_msat below htlc_minimum_msat"));
  }
  // BOLT #2: if the four most significant bytes of amount_msat are not 0: MUST fail the
  // channel.
  if ((m.amount_msat.value() >> 32) != 0) return reject(fail_ch("amount_msat too large"));
  // BOLT #2: if sending node sets cltv_expiry to greater or equal to 500000000: SHOULD fail
  // the channel.
  if (m.cltv_expiry.value() >= 500000000) return reject(fail_ch("cltv_expiry >= 500000000"));
  auto proposed = m_s.theirs.proposed;
  proposed.push_back(m);
  auto next = reduce(m_s.local_commit.spec, m_s.ours.acked, proposed);
  if (!next) return reject(fail_ch("peer cannot afford the HTLC"));
  if (auto st = check_can_receive(*next); !st) return reject(st.error());
  m_s.theirs.proposed.push_back(m);
  ++m_s.next_htlc_id_theirs;
  return {};
}

Outputs ChannelMachine::on_update_remove(const Update& u) {
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) {
    return reject(fail_ch("HTLC removal before the channel is ready"));
  }
  uint64_t id = *htlc_id_of(u);
  if (auto st = check_removable_by_them(id); !st) return reject(st.error());
  Outputs out;
  if (auto* f = std::get_if<msg::UpdateFulfillHtlc>(&u)) {
    // BOLT #2: if the payment_preimage value in update_fulfill_htlc doesn't SHA256 hash to
    // the corresponding HTLC payment_hash: MUST fail the channel.
    const SpecHtlc* h = m_s.local_commit.spec.find(true, id);
    if (crypto::sha256(f->payment_preimage.span()).array() != h->payment_hash.array()) {
      return reject(fail_ch("preimage does not match the payment hash"));
    }
    out.actions.push_back(Event{event::OutgoingFulfilled{id, f->payment_preimage}});
  }
  if (auto* mf = std::get_if<msg::UpdateFailMalformedHtlc>(&u)) {
    // BOLT #2: if the BADONION bit in failure_code is not set for
    // update_fail_malformed_htlc: MUST fail the channel.
    if ((mf->failure_code & 0x8000) == 0) return reject(fail_ch("failure_code without BADONION"));
  }
  m_s.theirs.proposed.push_back(u);
  return out;
}

Outputs ChannelMachine::on_update_fee(const msg::UpdateFee& m) {
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) {
    return reject(fail_ch("update_fee before the channel is ready"));
  }
  // BOLT #2: if the sender is not responsible for paying the Bitcoin fee: MUST fail the
  // channel.
  if (m_s.is_opener) return reject(fail_ch("update_fee from the non-opener"));
  // BOLT #2: if the update_fee is too low for timely processing, OR is unreasonably large:
  // SHOULD fail the channel.
  if (m.feerate_per_kw < m_config.min_feerate || m.feerate_per_kw > m_config.max_feerate) {
    return reject(fail_ch("update_fee feerate out of range"));
  }
  // BOLT #2: if the sender cannot afford the new fee rate on the receiving node's current
  // commitment transaction: SHOULD fail the channel.
  auto proposed = m_s.theirs.proposed;
  proposed.push_back(m);
  auto next = reduce(m_s.local_commit.spec, m_s.ours.acked, proposed);
  if (!next) return reject(fail_ch("bad update_fee"));
  Sat fee = opener_fee_for(m_s.type, *next, m_s.local_params.dust_limit, true);
  if (next->to_them.value() < fee.value() * 1000) {
    return reject(fail_ch("opener cannot afford the new feerate"));
  }
  m_s.theirs.proposed.push_back(m);
  return {};
}

Result<Outputs> ChannelMachine::commit() {
  Outputs out;
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) {
    return fail("channel not in normal operation");
  }
  if (!reestablished()) return fail("not reestablished");
  // One commitment_signed at a time: the peer's next per-commitment point comes with its
  // revoke_and_ack.
  if (m_s.waiting) return out;
  // BOLT #2: MUST NOT send a commitment_signed message that does not include any updates.
  if (m_s.ours.proposed.empty() && m_s.theirs.acked.empty()) return out;
  FULGUR_TRY(auto spec, reduce(m_s.remote_commit.spec, m_s.ours.proposed, m_s.theirs.acked));
  RemoteCommit next{m_s.remote_commit.number + 1, std::move(spec), m_s.remote_next_point};
  // Never sign a revoked commitment: the peer revoked exactly the numbers below its current.
  FULGUR_ASSERT(next.number > m_remote_secrets.count());
  FULGUR_TRY(auto sig, sign_remote(next));
  m_s.waiting = WaitingForRevocation{std::move(next), m_s.local_commit.number};
  for (auto& u : m_s.ours.proposed) m_s.ours.signed_.push_back(std::move(u));
  m_s.ours.proposed.clear();
  for (auto& u : m_s.theirs.acked) m_s.theirs.signed_.push_back(std::move(u));
  m_s.theirs.acked.clear();
  // Persist before send: the state this signature commits to is durable first.
  persist(out);
  send(out, std::move(sig));
  return out;
}

void ChannelMachine::maybe_commit(Outputs& out) {
  if (!m_config.auto_commit || m_s.waiting || !reestablished()) return;
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) return;
  auto r = commit();
  if (r) {
    out.append(std::move(*r));
  } else {
    fail_channel(out, r.error().message);
  }
}

Outputs ChannelMachine::on_commitment_signed(const msg::CommitmentSigned& m) {
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) {
    return reject(fail_ch("unexpected commitment_signed"));
  }
  // BOLT #2: A sending node MUST NOT send a commitment_signed message that does not include
  // any updates.
  if (m_s.theirs.proposed.empty() && m_s.ours.acked.empty()) {
    return reject(fail_ch("commitment_signed without updates"));
  }
  uint64_t number = m_s.local_commit.number + 1;
  auto next = reduce(m_s.local_commit.spec, m_s.ours.acked, m_s.theirs.proposed);
  if (!next) return reject(fail_ch("commitment_signed over an invalid state"));
  // BOLT #2: if signature is not valid for its local commitment transaction, or num_htlcs
  // is not equal to the number of HTLC outputs, or any htlc_signature is not valid: MUST fail
  // the channel.
  if (auto st = verify_local(number, *next, m.signature, m.htlc_signature); !st) {
    return reject(st.error());
  }
  m_s.local_commit = LocalCommit{number, std::move(*next), m.signature, m.htlc_signature};
  m_s.ours.acked.clear();
  for (auto& u : m_s.theirs.proposed) m_s.theirs.acked.push_back(std::move(u));
  m_s.theirs.proposed.clear();
  Outputs out;
  // Persist before send: our new commitment is durable before we revoke the old one.
  persist(out);
  // BOLT #2: MUST respond with a revoke_and_ack message.
  send(out, revocation_for(number - 1));
  maybe_commit(out);
  maybe_send_shutdown(out);
  maybe_start_negotiation(out);
  return out;
}

Outputs ChannelMachine::on_revoke_and_ack(const msg::RevokeAndAck& m) {
  if (!m_s.waiting) return reject(fail_ch("unexpected revoke_and_ack"));
  // BOLT #2: if per_commitment_secret does not generate the previous per_commitment_point:
  // MUST fail the channel.
  crypto::Secret32 secret(m.per_commitment_secret.span());
  auto point = per_commitment_point(secret);
  if (!point || wire::Point(point->serialize()) != m_s.remote_commit.per_commitment_point) {
    return reject(fail_ch("per_commitment_secret does not match the per_commitment_point"));
  }
  // BOLT #3: the receiving node MUST fail the channel if the secret does not generate the
  // previous ones.
  if (auto st = m_remote_secrets.insert(shachain_index(m_s.remote_commit.number), secret); !st) {
    return reject(fail_ch("per_commitment_secret does not derive the earlier secrets"));
  }
  if (!crypto::PublicKey::parse(m.next_per_commitment_point.span())) {
    return reject(fail_ch("invalid next_per_commitment_point"));
  }
  Outputs out;
  m_s.remote_commit = std::move(m_s.waiting->next);
  m_s.waiting.reset();
  m_s.remote_next_point = m.next_per_commitment_point;
  m_s.remote_secrets = m_remote_secrets.to_bytes();
  for (auto& u : m_s.ours.signed_) m_s.ours.acked.push_back(std::move(u));
  m_s.ours.signed_.clear();
  // Their updates we signed are now irrevocably committed (adds) or removed (removals).
  for (const auto& u : m_s.theirs.signed_) {
    if (auto* add = std::get_if<msg::UpdateAddHtlc>(&u)) {
      out.actions.push_back(Event{event::IncomingHtlc{add->id, add->amount_msat,
                                                      add->payment_hash, add->cltv_expiry,
                                                      add->onion_routing_packet,
                                                      add->tlvs.blinded_path}});
    } else if (std::holds_alternative<msg::UpdateFailHtlc>(u) ||
               std::holds_alternative<msg::UpdateFailMalformedHtlc>(u)) {
      out.actions.push_back(Event{event::OutgoingFailed{*htlc_id_of(u)}});
    }
  }
  m_s.theirs.signed_.clear();
  // The revealed secret is penalty data: durable before anything depends on it.
  persist(out);
  maybe_commit(out);
  maybe_send_shutdown(out);
  maybe_start_negotiation(out);
  return out;
}

std::vector<SpecHtlc> ChannelMachine::pending_incoming() const {
  std::vector<SpecHtlc> out;
  for (const auto& h : m_s.local_commit.spec.htlcs) {
    if (h.offered_by_us || !m_s.remote_commit.spec.find(false, h.id)) continue;
    if (removes(m_s.ours, h.id)) continue;
    out.push_back(h);
  }
  return out;
}

void ChannelMachine::check_htlc_deadlines(Outputs& out) {
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) return;
  if (m_height.value() == 0) return;
  // BOLT #2: if an HTLC which it offered is in either node's current commitment
  // transaction, AND is past this timeout deadline: MUST fail the channel.
  for (const auto* spec : {&m_s.local_commit.spec, &m_s.remote_commit.spec}) {
    for (const auto& h : spec->htlcs) {
      if (h.offered_by_us &&
          uint64_t{h.cltv_expiry} + m_config.htlc_deadline_blocks <= m_height.value()) {
        fail_channel(out, "offered HTLC " + std::to_string(h.id) + " past its deadline");
        return;
      }
    }
  }
}

}  // namespace fulgur::channel
