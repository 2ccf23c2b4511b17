// Mutual close: shutdown (script forms, no new HTLCs, draining), and closing_signed fee
// negotiation (the opener proposes, each counter-offer strictly between the last two, until
// both sign the same fee).
#include <algorithm>

#include "channel/machine.h"
#include "channel/sign.h"
#include "crypto/hash.h"

namespace fulgur::channel {

namespace {
// Estimated weight of a two-output closing transaction.
constexpr uint64_t CLOSING_WEIGHT = 672;

Error fail_conn(std::string why) { return Error{PeerAction::Disconnect, std::move(why)}; }

// BOLT 3 dust limits by scriptpubkey: p2pkh 546, p2sh 540, p2wpkh 294, p2wsh 330, unknown
// segwit versions 354 satoshis (shutdown scripts take no other form).
Sat dust_threshold(ByteSpan s) {
  if (s.size() == 25 && s[0] == 0x76) return Sat(546);
  if (s.size() == 23 && s[0] == 0xa9) return Sat(540);
  if (s.size() == 22 && s[0] == 0x00) return Sat(294);
  if (s.size() == 34 && s[0] == 0x00) return Sat(330);
  return Sat(354);
}
}  // namespace

bool is_valid_shutdown_script(ByteSpan s) {
  // BOLT #2: MUST set scriptpubkey in one of the following forms: P2PKH, P2SH, P2WPKH, P2WSH.
  if (s.size() == 25 && s[0] == 0x76 && s[1] == 0xa9 && s[2] == 20 && s[23] == 0x88 &&
      s[24] == 0xac) {
    return true;
  }
  if (s.size() == 23 && s[0] == 0xa9 && s[1] == 20 && s[22] == 0x87) return true;
  if (s.size() == 22 && s[0] == 0x00 && s[1] == 20) return true;
  if (s.size() == 34 && s[0] == 0x00 && s[1] == 32) return true;
  return false;
}

Result<Outputs> ChannelMachine::shutdown(Bytes scriptpubkey) {
  if (m_s.phase != Phase::Normal || !reestablished() || m_s.shutdown_sent) {
    return fail("channel cannot shut down now");
  }
  if (!is_valid_shutdown_script(scriptpubkey)) return fail("invalid shutdown scriptpubkey");
  // BOLT #2: if it sent a non-zero-length shutdown_scriptpubkey in open_channel or
  // accept_channel: MUST send the same value in scriptpubkey.
  if (!m_s.local_upfront_shutdown_script.empty() &&
      scriptpubkey != m_s.local_upfront_shutdown_script) {
    return fail("scriptpubkey differs from our upfront_shutdown_script");
  }
  Outputs out;
  // BOLT #2: if there are updates pending on the receiving node's commitment transaction:
  // MUST NOT send a shutdown. Sign them first if we can.
  if (!m_s.ours.proposed.empty()) {
    FULGUR_TRY(auto signed_out, commit());
    out.append(std::move(signed_out));
    if (!m_s.ours.proposed.empty()) return fail("updates pending: retry after the revocation");
  }
  m_s.local_shutdown_script = std::move(scriptpubkey);
  m_s.shutdown_sent = true;
  m_s.phase = Phase::Shutdown;
  persist(out);
  send(out, msg::Shutdown{m_s.channel_id, m_s.local_shutdown_script, {}});
  maybe_start_negotiation(out);
  return out;
}

Outputs ChannelMachine::on_shutdown(const msg::Shutdown& m) {
  // BOLT #2: upon reconnection: if it has sent a previous shutdown: MUST retransmit
  // shutdown. A retransmission changes nothing.
  if (m_s.shutdown_received && m.scriptpubkey == m_s.remote_shutdown_script) return {};
  // BOLT #2: if it hasn't received a funding_signed (if it is a funder) or a
  // funding_created (if it is a fundee): SHOULD fail the connection.
  if (m_s.phase != Phase::Normal && m_s.phase != Phase::Shutdown) {
    return reject(fail_conn("unexpected shutdown"));
  }
  // BOLT #2: if the scriptpubkey is not in one of the above forms: SHOULD fail the
  // connection.
  if (!is_valid_shutdown_script(m.scriptpubkey)) return reject(fail_conn("invalid scriptpubkey"));
  // BOLT #2: if both nodes advertised the option_upfront_shutdown_script feature, and the
  // receiving node received a non-zero-length shutdown_scriptpubkey in open_channel or
  // accept_channel, and that shutdown_scriptpubkey is not equal to scriptpubkey: MAY send
  // a warning. MUST fail the connection.
  // The sender's rule ("if it sent a non-zero-length shutdown_scriptpubkey [...]: MUST send
  // the same value") holds whatever was advertised, so any non-empty commitment binds.
  if (!m_s.remote_upfront_shutdown_script.empty() &&
      m.scriptpubkey != m_s.remote_upfront_shutdown_script) {
    return reject(fail_conn("scriptpubkey differs from the upfront_shutdown_script"));
  }
  if (m_s.shutdown_received) return reject(fail_conn("shutdown with a different scriptpubkey"));
  m_s.remote_shutdown_script = m.scriptpubkey;
  m_s.shutdown_received = true;
  m_s.phase = Phase::Shutdown;
  Outputs out;
  persist(out);
  maybe_commit(out);
  maybe_send_shutdown(out);
  maybe_start_negotiation(out);
  return out;
}

void ChannelMachine::maybe_send_shutdown(Outputs& out) {
  // BOLT #2: once there are no outstanding updates on the peer, UNLESS it has already sent a
  // shutdown: MUST reply to a shutdown message with a shutdown.
  if (!m_s.shutdown_received || m_s.shutdown_sent || m_s.phase != Phase::Shutdown ||
      !reestablished() || !m_s.ours.proposed.empty()) {
    return;
  }
  // BOLT #2: if it sent a non-zero-length shutdown_scriptpubkey in open_channel or
  // accept_channel: MUST send the same value in scriptpubkey.
  Bytes script = m_s.local_upfront_shutdown_script.empty() ? m_config.shutdown_script
                                                           : m_s.local_upfront_shutdown_script;
  if (!is_valid_shutdown_script(script)) {
    // Default: P2WPKH to our payment basepoint.
    auto key = local_basepoints().payment_basepoint.serialize();
    Hash160 h = crypto::hash160(key);
    script = Bytes{0x00, 20};
    append(script, h.span());
  }
  m_s.local_shutdown_script = script;
  m_s.shutdown_sent = true;
  persist(out);
  send(out, msg::Shutdown{m_s.channel_id, script, {}});
}

Sat ChannelMachine::max_closing_fee() const {
  // BOLT #2: MUST set fee_satoshis less than or equal to the base fee of the final
  // commitment transaction, as calculated in BOLT #3.
  return fee_for_weight(m_s.local_commit.spec.feerate, commitment_base_weight(m_s.type));
}

Result<bitcoin::Transaction> ChannelMachine::closing_tx(Sat fee, Sat dust_limit,
                                                        bool omit_remote) const {
  // Built from the peer's side when its output is the one left out (ClosingSpec omits the
  // "local" output); the transaction is the same either way (BIP 69 order).
  const CommitSpec& spec = m_s.local_commit.spec;
  ClosingSpec c;
  c.funding_outpoint = bitcoin::OutPoint{m_s.funding_txid, m_s.funding_output_index};
  c.funding_amount = m_s.funding_amount;
  c.to_local = omit_remote ? spec.to_them : spec.to_us;
  c.to_remote = omit_remote ? spec.to_us : spec.to_them;
  c.local_is_opener = omit_remote ? !m_s.is_opener : m_s.is_opener;
  c.fee = fee;
  c.dust_limit = dust_limit;
  c.local_scriptpubkey = Script(omit_remote ? m_s.remote_shutdown_script : m_s.local_shutdown_script);
  c.remote_scriptpubkey = Script(omit_remote ? m_s.local_shutdown_script : m_s.remote_shutdown_script);
  c.omit_local = omit_remote;
  return build_closing_tx(c);
}

Script ChannelMachine::funding_witness_script() const {
  auto remote = crypto::PublicKey::parse(m_s.remote_keys.funding_pubkey.span());
  FULGUR_ASSERT(remote.ok());  // checked when the peer sent it
  return funding_script(m_secrets.funding_secret.public_key(), *remote);
}

Result<msg::ClosingSigned> ChannelMachine::sign_closing(Sat fee) const {
  // BOLT 3 (legacy closing transaction): MUST remove any output below its own
  // dust_limit_satoshis. We never leave out our own output.
  FULGUR_TRY(auto tx, closing_tx(fee, m_s.local_params.dust_limit, false));
  auto sig = sign_funding_input(tx, funding_witness_script(), m_s.funding_amount,
                                m_secrets.funding_secret);
  return msg::ClosingSigned{m_s.channel_id, fee, wire::to_wire_signature(sig), {}};
}

std::optional<bitcoin::Transaction> ChannelMachine::closing_signed_by_peer(
    const msg::ClosingSigned& m) const {
  auto key = crypto::PublicKey::parse(m_s.remote_keys.funding_pubkey.span());
  auto sig = wire::to_crypto_signature(m.signature);
  if (!key || !sig) return std::nullopt;
  Script script = funding_witness_script();
  // BOLT 2: the signature must be valid for either variant of the closing transaction: with
  // both outputs, or with the signer's own output left out. Each side removes the outputs
  // below its own dust limit, so the peer's and ours are both tried.
  for (Sat dust : {m_s.remote_params.dust_limit, m_s.local_params.dust_limit}) {
    for (bool omit_remote : {false, true}) {
      auto tx = closing_tx(m.fee_satoshis, dust, omit_remote);
      if (tx && verify_funding_input(*tx, script, m_s.funding_amount, *key, *sig)) {
        return std::move(*tx);
      }
    }
  }
  return std::nullopt;
}

void ChannelMachine::maybe_start_negotiation(Outputs& out) {
  if (!reestablished()) return;
  if (m_s.phase == Phase::Shutdown) {
    // BOLT #2: once all HTLCs are resolved, the final channel close negotiation begins.
    bool quiet = m_s.shutdown_sent && m_s.shutdown_received && !m_s.waiting &&
                 m_s.ours.empty() && m_s.theirs.empty() && m_s.local_commit.spec.htlcs.empty() &&
                 m_s.remote_commit.spec.htlcs.empty();
    if (!quiet) return;
    m_s.phase = Phase::Negotiating;
    persist(out);
  }
  // BOLT #2: The funding node: after shutdown has been received, AND no HTLCs remain in
  // either commitment transaction: SHOULD send a closing_signed message.
  if (m_s.phase != Phase::Negotiating || !m_s.is_opener || m_s.closing_fee_sent) return;
  Sat fee = std::min(fee_for_weight(m_config.closing_feerate, CLOSING_WEIGHT), max_closing_fee());
  auto sig = sign_closing(fee);
  if (!sig) {
    fail_channel(out, "cannot build the closing transaction: " + sig.error().message);
    return;
  }
  m_s.closing_fee_sent = fee;
  send(out, std::move(*sig));
}

void ChannelMachine::finish_mutual_close(Outputs& out, Sat fee,
                                         const bitcoin::Transaction& peer_signed,
                                         const wire::Signature& peer_sig) {
  // Our signature on the exact variant the peer signed, then both in the funding witness.
  bitcoin::Transaction tx = peer_signed;
  auto ours = sign_funding_input(tx, funding_witness_script(), m_s.funding_amount,
                                 m_secrets.funding_secret);
  auto theirs = wire::to_crypto_signature(peer_sig);
  FULGUR_ASSERT(theirs.ok());  // verified by closing_signed_by_peer
  auto remote = crypto::PublicKey::parse(m_s.remote_keys.funding_pubkey.span());
  FULGUR_ASSERT(remote.ok());
  tx.inputs[0].witness =
      funding_witness(m_secrets.funding_secret.public_key(), with_sighash(ours, SIGHASH_ALL),
                      *remote, with_sighash(*theirs, SIGHASH_ALL));
  m_s.phase = Phase::Closed;
  m_s.closing_fee_sent = fee;
  m_s.closing_tx = tx.serialize();
  persist(out);
  hand_out_closing(out);
}

void ChannelMachine::hand_out_closing(Outputs& out) const {
  BroadcastTx tx;
  tx.kind = TxKind::MutualClose;
  tx.tx = m_s.closing_tx;
  auto parsed = bitcoin::parse_transaction(m_s.closing_tx);
  if (parsed) tx.txid = parsed->txid();
  tx.spec = m_s.local_commit.spec;
  tx.fee = m_s.closing_fee_sent.value_or(Sat(0));
  out.actions.push_back(std::move(tx));
  out.actions.push_back(Event{event::MutualClosed{}});
}

Outputs ChannelMachine::on_closing_signed(const msg::ClosingSigned& m) {
  if (m_s.phase != Phase::Negotiating) return reject(fail_conn("unexpected closing_signed"));
  // BOLT #2: if the signature is not valid for either variant of closing transaction
  // specified in BOLT #3 OR non-compliant with LOW-S-standard rule: MUST send a warning and
  // close the connection, or send an error and fail the channel. (crypto::verify accepts
  // only low-S signatures.)
  auto signed_tx = closing_signed_by_peer(m);
  if (!signed_tx) return reject(fail_conn("invalid closing_signed signature"));
  // BOLT #2: if one of the outputs in the closing transaction is below the dust limit for
  // its scriptpubkey (see BOLT 3): MUST fail the channel.
  for (const auto& o : signed_tx->outputs) {
    if (o.amount < dust_threshold(o.script_pubkey.bytes())) {
      return reject(Error{PeerAction::FailChannel, "closing output below its dust limit"});
    }
  }
  Outputs out;
  // BOLT #2: if fee_satoshis is equal to its previously sent fee_satoshis: SHOULD sign and
  // broadcast the final closing transaction.
  if (m_s.closing_fee_sent && *m_s.closing_fee_sent == m.fee_satoshis) {
    finish_mutual_close(out, m.fee_satoshis, *signed_tx, m.signature);
    return out;
  }
  // BOLT #2: otherwise, if fee_satoshis is greater than the base fee of the final commitment
  // transaction: MUST fail the connection.
  if (m.fee_satoshis > max_closing_fee()) return reject(fail_conn("closing fee too high"));
  // BOLT #2: if fee_satoshis is not strictly between its last-sent fee_satoshis and its
  // previously-received fee_satoshis, UNLESS it has since reconnected: SHOULD fail the
  // connection.
  if (m_s.closing_fee_sent && m_s.closing_fee_received) {
    Sat lo = std::min(*m_s.closing_fee_sent, *m_s.closing_fee_received);
    Sat hi = std::max(*m_s.closing_fee_sent, *m_s.closing_fee_received);
    if (!(m.fee_satoshis > lo && m.fee_satoshis < hi)) {
      return reject(fail_conn("closing fee not strictly between the last two"));
    }
  }
  m_s.closing_fee_received = m.fee_satoshis;
  Sat ideal = std::min(fee_for_weight(m_config.closing_feerate, CLOSING_WEIGHT), max_closing_fee());
  Sat mine = m_s.closing_fee_sent.value_or(ideal);
  // The non-opener does not pay: any fee up to the maximum suits it. The opener meets the
  // peer halfway until the two are adjacent.
  Sat next = m_s.is_opener ? Sat((mine.value() + m.fee_satoshis.value()) / 2) : m.fee_satoshis;
  bool agree = !m_s.is_opener || m.fee_satoshis <= mine || next == mine ||
               next == m.fee_satoshis;
  if (agree) {
    // BOLT #2: if the receiver agrees with the fee: SHOULD reply with a closing_signed with
    // the same fee_satoshis value.
    auto reply = sign_closing(m.fee_satoshis);
    if (!reply) return reject(fail_conn("closing fee not payable: " + reply.error().message));
    send(out, std::move(*reply));
    finish_mutual_close(out, m.fee_satoshis, *signed_tx, m.signature);
    return out;
  }
  // BOLT #2: otherwise: MUST propose a value "strictly between" the received fee_satoshis
  // and its previously-sent fee_satoshis.
  auto counter = sign_closing(next);
  if (!counter) return reject(fail_conn("closing fee not payable: " + counter.error().message));
  m_s.closing_fee_sent = next;
  send(out, std::move(*counter));
  return out;
}

}  // namespace fulgur::channel
