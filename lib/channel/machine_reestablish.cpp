// Disconnection and channel_reestablish: forgetting uncommitted updates, retransmitting
// what the peer missed (revoke_and_ack and commitment_signed in their original order,
// channel_ready, shutdown), and option_data_loss_protect (detecting that we or the peer
// fell behind).
#include "channel/machine.h"

namespace fulgur::channel {

namespace {
Error fail_ch(std::string why) { return Error{PeerAction::FailChannel, std::move(why)}; }
}  // namespace

Outputs ChannelMachine::disconnected() {
  Outputs out;
  m_connected = false;
  m_awaiting_reestablish = false;
  switch (m_s.phase) {
    case Phase::AwaitingAccept:
    case Phase::AwaitingFundingTx:
    case Phase::AwaitingFundingCreated:
    case Phase::AwaitingFundingSigned:
      // BOLT #2: otherwise (funding not broadcast / funding_signed not sent): SHOULD NOT
      // remember the channel for reconnection.
      m_s.phase = Phase::Aborted;
      return out;
    case Phase::AwaitingLockin:
    case Phase::Normal:
    case Phase::Shutdown:
    case Phase::Negotiating:
    case Phase::Closed:
    case Phase::ForceClosed:
    case Phase::Aborted:
      break;
  }
  // BOLT #2: upon disconnection: MUST reverse any uncommitted updates sent by the other side
  // (i.e. all messages beginning with update_ for which no commitment_signed has been
  // received). Our own unsigned updates go too: they will be proposed again if still wanted.
  for (const auto& u : m_s.theirs.proposed) {
    if (is_add(u)) --m_s.next_htlc_id_theirs;
  }
  m_s.theirs.proposed.clear();
  for (const auto& u : m_s.ours.proposed) {
    if (auto* add = std::get_if<msg::UpdateAddHtlc>(&u)) {
      --m_s.next_htlc_id_ours;
      out.actions.push_back(Event{event::OutgoingDropped{add->id}});
    }
  }
  m_s.ours.proposed.clear();
  // BOLT #2: negotiation restarts on reconnection.
  if (m_s.phase == Phase::Negotiating) {
    m_s.closing_fee_sent.reset();
    m_s.closing_fee_received.reset();
  }
  return out;
}

Outputs ChannelMachine::reconnected() {
  Outputs out;
  m_connected = true;
  switch (m_s.phase) {
    case Phase::AwaitingAccept:
    case Phase::AwaitingFundingTx:
    case Phase::AwaitingFundingCreated:
    case Phase::AwaitingFundingSigned:
    case Phase::Aborted:
      return out;
    case Phase::Closed:
      // The closing transaction may not have reached the chain before a restart: hand it
      // out again (broadcasting twice is harmless).
      if (!m_s.closing_tx.empty()) hand_out_closing(out);
      return out;
    case Phase::ForceClosed:
      // BOLT #2: if a channel is in an error state: SHOULD retransmit the error packet.
      send(out, msg::Error{m_s.channel_id, Bytes{}, {}});
      return out;
    case Phase::AwaitingLockin:
    case Phase::Normal:
    case Phase::Shutdown:
    case Phase::Negotiating:
      break;
  }
  m_awaiting_reestablish = true;
  msg::ChannelReestablish r;
  r.channel_id = m_s.channel_id;
  // BOLT #2: MUST set next_commitment_number to the commitment number of the next
  // commitment_signed it expects to receive.
  r.next_commitment_number = m_s.local_commit.number + 1;
  // BOLT #2: MUST set next_revocation_number to the commitment number of the next
  // revoke_and_ack message it expects to receive.
  r.next_revocation_number = m_s.remote_commit.number;
  // BOLT #2: if next_revocation_number equals 0: MUST set your_last_per_commitment_secret
  // to all zeroes; otherwise: MUST set it to the last per_commitment_secret it received.
  if (m_s.remote_commit.number > 0) {
    auto s = m_remote_secrets.secret_at(shachain_index(m_s.remote_commit.number - 1));
    FULGUR_ASSERT(s.has_value());
    r.your_last_per_commitment_secret = *wire::PerCommitmentSecret::from_span(s->expose());
  }
  r.my_current_per_commitment_point =
      wire::Point(local_point(m_s.local_commit.number).serialize());
  send(out, std::move(r));
  return out;
}

Status ChannelMachine::check_data_loss(const msg::ChannelReestablish& m, Outputs& out,
                                       bool& behind) {
  uint64_t local_n = m_s.local_commit.number;
  // BOLT #2: if next_revocation_number is greater than expected above, AND
  // your_last_per_commitment_secret is correct for that next_revocation_number minus 1:
  // MUST NOT broadcast its commitment transaction. SHOULD fail the channel.
  if (m.next_revocation_number > local_n) {
    auto ours = local_secret(m.next_revocation_number - 1);
    if (!std::equal(ours.expose().begin(), ours.expose().end(),
                    m.your_last_per_commitment_secret.begin())) {
      // BOLT #2: otherwise (your_last_per_commitment_secret or my_current_per_commitment_point
      // do not match the expected values): SHOULD fail the channel.
      return Unexpected{fail_ch("channel_reestablish: bad your_last_per_commitment_secret")};
    }
    behind = true;
    // We lost state: our commitment may be revoked. Never broadcast it; ask the peer to
    // close and keep its point to sweep our output from its commitment.
    m_s.phase = Phase::ForceClosed;
    m_s.local_data_loss = true;
    persist(out);
    out.actions.push_back(Event{event::WeAreBehind{m.my_current_per_commitment_point}});
    send(out, msg::Error{m_s.channel_id, Bytes{'b', 'e', 'h', 'i', 'n', 'd'}, {}});
    return {};
  }
  // option_data_loss_protect: the secret they claim to hold must be ours.
  if (m.next_revocation_number > 0) {
    auto ours = local_secret(m.next_revocation_number - 1);
    if (!std::equal(ours.expose().begin(), ours.expose().end(),
                    m.your_last_per_commitment_secret.begin())) {
      return Unexpected{fail_ch("channel_reestablish: wrong your_last_per_commitment_secret")};
    }
  }
  return {};
}

void ChannelMachine::retransmit_commitment(Outputs& out) const {
  for (const auto& u : m_s.ours.signed_) {
    send(out, std::visit([](const auto& x) -> wire::Message { return x; }, u));
  }
  auto sig = sign_remote(m_s.waiting->next);
  FULGUR_ASSERT(sig.ok());  // signed once already with the same inputs
  send(out, std::move(*sig));
}

Outputs ChannelMachine::on_reestablish(const msg::ChannelReestablish& m) {
  if (!m_awaiting_reestablish) return reject(fail("unexpected channel_reestablish", PeerAction::Warn));
  Outputs out;
  bool behind = false;
  if (auto st = check_data_loss(m, out, behind); !st) return reject(st.error());
  if (behind) return out;
  uint64_t local_n = m_s.local_commit.number;
  // Revocation: BOLT #2: if next_revocation_number is equal to the commitment number of the
  // last revoke_and_ack the receiving node sent: MUST re-send the revoke_and_ack; otherwise,
  // if it is not equal to 1 greater than that: SHOULD fail the channel.
  bool resend_revoke = false;
  if (local_n > 0 && m.next_revocation_number == local_n - 1) {
    resend_revoke = true;
  } else if (m.next_revocation_number != local_n) {
    return reject(fail_ch("channel_reestablish: peer is behind on revocations"));
  }
  // Commitment: BOLT #2: if next_commitment_number is equal to the commitment number of the
  // last commitment_signed the receiving node has sent: MUST reuse the same commitment
  // number for its next commitment_signed; otherwise, if it is not 1 greater: SHOULD fail.
  bool resend_commit = false;
  if (m_s.waiting && m.next_commitment_number == m_s.waiting->next.number) {
    resend_commit = true;
  } else if (m.next_commitment_number !=
             (m_s.waiting ? m_s.waiting->next.number : m_s.remote_commit.number) + 1) {
    return reject(fail_ch("channel_reestablish: commitment numbers out of sync"));
  }
  m_awaiting_reestablish = false;
  // BOLT #2: if next_commitment_number is 1 in both the channel_reestablish it sent and
  // received: MUST retransmit channel_ready.
  if (local_n == 0 && m.next_commitment_number == 1 && m_s.channel_ready_sent) {
    send(out, msg::ChannelReady{m_s.channel_id, wire::Point(local_point(1).serialize()), {}});
  }
  // The original order of the two: the commitment_signed went first if it was sent before
  // our latest revocation.
  bool commit_first = resend_commit && m_s.waiting->sent_after_local_number < local_n;
  if (commit_first) retransmit_commitment(out);
  if (resend_revoke) send(out, revocation_for(local_n - 1));
  if (resend_commit && !commit_first) retransmit_commitment(out);
  // BOLT #2: upon reconnection: if it has sent a previous shutdown: MUST retransmit shutdown.
  if (m_s.shutdown_sent) send(out, msg::Shutdown{m_s.channel_id, m_s.local_shutdown_script, {}});
  maybe_send_channel_ready(out);
  maybe_commit(out);
  maybe_send_shutdown(out);
  maybe_start_negotiation(out);
  return out;
}

}  // namespace fulgur::channel
