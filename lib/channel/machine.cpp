// The channel state machine's core: construction and restore, keys and signatures over the
// commitments, the output helpers (persist, fail the channel), dispatch of peer messages,
// and the user commands. The flows live in machine_{open,update,reestablish,close}.cpp.
#include "channel/machine.h"

#include <cstring>

#include "channel/sign.h"
#include "crypto/hash.h"

namespace fulgur::channel {

void Outputs::append(Outputs&& other) {
  for (auto& a : other.actions) actions.push_back(std::move(a));
  if (other.rejected && !rejected) rejected = std::move(other.rejected);
}

std::optional<ChannelId> channel_id_of(const wire::Message& message) {
  return std::visit(
      [](const auto& m) -> std::optional<ChannelId> {
        if constexpr (requires { m.channel_id; }) {
          return ChannelId(m.channel_id);
        } else if constexpr (requires { m.temporary_channel_id; }) {
          return ChannelId(m.temporary_channel_id);
        } else {
          return std::nullopt;
        }
      },
      message);
}

namespace {
std::string name_of(const wire::Message& m) {
  return std::string(wire::message_name(wire::message_type(m)));
}
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }
}  // namespace

ChannelMachine::ChannelMachine(const ChannelConfig& config, const crypto::Secret32& node_seed,
                               uint64_t key_index)
    : m_config(config),
      m_secrets(derive_channel_secrets(node_seed, key_index)) {
  m_s.key_index = key_index;
  m_s.chain_hash = config.chain_hash;
}

Result<ChannelMachine> ChannelMachine::restore(const ChannelConfig& config,
                                               const crypto::Secret32& node_seed,
                                               ByteSpan record) {
  FULGUR_TRY(ChannelState s, deserialize_channel_state(record));
  ChannelMachine m(config, node_seed, s.key_index);
  m.m_s = std::move(s);
  if (!m.m_s.remote_secrets.empty()) {
    FULGUR_TRY(m.m_remote_secrets, ShachainStore::from_bytes(m.m_s.remote_secrets));
  }
  // The funding depth comes from the chain again (on_block): one remembered from before a
  // restart may have been undone by a reorg, and channel_ready must wait for minimum_depth.
  m.m_s.funding_depth = 0;
  // A restart is a disconnection: uncommitted updates are forgotten.
  (void)m.disconnected();
  return m;
}

// ---- keys and signatures ----

crypto::Secret32 ChannelMachine::local_secret(uint64_t n) const {
  return generate_from_seed(m_secrets.shachain_seed, shachain_index(n));
}

crypto::PublicKey ChannelMachine::local_point(uint64_t n) const {
  auto p = per_commitment_point(local_secret(n));
  FULGUR_ASSERT(p.ok());  // a hash that is not a scalar: probability ~2^-128
  return *p;
}

Basepoints ChannelMachine::local_basepoints() const {
  return m_secrets.basepoint_secrets.basepoints();
}

namespace {
Result<crypto::PublicKey> parse_point(const wire::Point& p) {
  auto key = crypto::PublicKey::parse(p.span());
  if (!key) return fail("invalid point", PeerAction::FailChannel);
  return key;
}
wire::Point to_point(const crypto::PublicKey& k) { return wire::Point(k.serialize()); }
}  // namespace

Result<Basepoints> ChannelMachine::remote_basepoints() const {
  const RemoteKeys& k = m_s.remote_keys;
  FULGUR_TRY(auto revocation, parse_point(k.revocation_basepoint));
  FULGUR_TRY(auto payment, parse_point(k.payment_basepoint));
  FULGUR_TRY(auto delayed, parse_point(k.delayed_payment_basepoint));
  FULGUR_TRY(auto htlc, parse_point(k.htlc_basepoint));
  return Basepoints{revocation, payment, delayed, htlc};
}

Result<BuiltCommitment> ChannelMachine::build(bool holder_is_us, uint64_t number,
                                              const CommitSpec& spec,
                                              const crypto::PublicKey& point) const {
  FULGUR_TRY(Basepoints remote, remote_basepoints());
  Basepoints local = local_basepoints();
  FULGUR_TRY(CommitmentKeys keys, holder_is_us ? derive_commitment_keys(point, local, remote)
                                               : derive_commitment_keys(point, remote, local));
  FULGUR_TRY(auto remote_funding, parse_point(m_s.remote_keys.funding_pubkey));
  auto ours = m_secrets.funding_secret.public_key();
  const auto& opener_pay = m_s.is_opener ? local.payment_basepoint : remote.payment_basepoint;
  const auto& accepter_pay = m_s.is_opener ? remote.payment_basepoint : local.payment_basepoint;
  std::vector<Htlc> htlcs;
  htlcs.reserve(spec.htlcs.size());
  for (const auto& h : spec.htlcs) {
    htlcs.push_back(Htlc{h.offered_by_us == holder_is_us ? HtlcDirection::Offered
                                                         : HtlcDirection::Received,
                         h.amount, h.payment_hash, h.cltv_expiry});
  }
  CommitmentSpec c{
      .type = m_s.type,
      .funding_outpoint = bitcoin::OutPoint{m_s.funding_txid, m_s.funding_output_index},
      .funding_amount = m_s.funding_amount,
      .local_funding_pubkey = holder_is_us ? ours : remote_funding,
      .remote_funding_pubkey = holder_is_us ? remote_funding : ours,
      .local_is_opener = holder_is_us == m_s.is_opener,
      .commitment_number = number,
      .obscuring_factor = obscuring_factor(opener_pay, accepter_pay),
      // The holder's to_self_delay is set by the countersigner, the dust limit by the holder.
      .to_self_delay = CltvDelta(holder_is_us ? m_s.remote_params.to_self_delay
                                              : m_s.local_params.to_self_delay),
      .dust_limit = holder_is_us ? m_s.local_params.dust_limit : m_s.remote_params.dust_limit,
      .feerate = spec.feerate,
      .to_local = holder_is_us ? spec.to_us : spec.to_them,
      .to_remote = holder_is_us ? spec.to_them : spec.to_us,
      .htlcs = std::move(htlcs)};
  return build_commitment(std::move(c), keys);
}

Result<msg::CommitmentSigned> ChannelMachine::sign_remote(const RemoteCommit& commit) const {
  FULGUR_TRY(auto point, parse_point(commit.per_commitment_point));
  FULGUR_TRY(auto built, build(false, commit.number, commit.spec, point));
  msg::CommitmentSigned out;
  out.channel_id = m_s.channel_id;
  out.signature = wire::to_wire_signature(crypto::sign(m_secrets.funding_secret, built.sighash));
  if (!built.htlc_sighashes.empty()) {
    FULGUR_TRY(auto htlc_key, derive_privkey(m_secrets.basepoint_secrets.htlc_basepoint_secret,
                                             point));
    for (const auto& h : built.htlc_sighashes) {
      out.htlc_signature.push_back(wire::to_wire_signature(crypto::sign(htlc_key, h)));
    }
  }
  return out;
}

Status ChannelMachine::verify_local(uint64_t number, const CommitSpec& spec,
                                    const wire::Signature& sig,
                                    const std::vector<wire::Signature>& htlc_sigs) const {
  auto point = local_point(number);
  FULGUR_TRY(auto built, build(true, number, spec, point));
  FULGUR_TRY(auto funding_key, parse_point(m_s.remote_keys.funding_pubkey));
  auto parsed = wire::to_crypto_signature(sig);
  if (!parsed || !crypto::verify(funding_key, built.sighash, *parsed)) {
    return fail("invalid commitment signature", PeerAction::FailChannel);
  }
  if (htlc_sigs.size() != built.htlc_sighashes.size()) {
    return fail("wrong number of htlc signatures", PeerAction::FailChannel);
  }
  if (htlc_sigs.empty()) return {};
  // The countersignatory's HTLC key for our commitment: the peer's htlc_basepoint tweaked
  // with our per-commitment point.
  const PublicKey& htlc_key = built.keys.remote_htlcpubkey;
  for (size_t i = 0; i < htlc_sigs.size(); ++i) {
    auto s = wire::to_crypto_signature(htlc_sigs[i]);
    if (!s || !crypto::verify(htlc_key, built.htlc_sighashes[i], *s)) {
      return fail("invalid htlc signature", PeerAction::FailChannel);
    }
  }
  return {};
}

Result<HolderCommitment> ChannelMachine::holder_commitment() const {
  if (m_s.phase == Phase::AwaitingAccept || m_s.phase == Phase::AwaitingFundingTx ||
      m_s.phase == Phase::AwaitingFundingCreated || m_s.phase == Phase::AwaitingFundingSigned ||
      m_s.phase == Phase::Aborted) {
    return fail("no commitment signed by the peer yet");
  }
  if (m_s.local_data_loss) return fail("we lost state: our commitment may be revoked");
  const LocalCommit& lc = m_s.local_commit;
  FULGUR_TRY(auto built, build(true, lc.number, lc.spec, local_point(lc.number)));
  FULGUR_TRY(auto remote_funding, parse_point(m_s.remote_keys.funding_pubkey));
  FULGUR_TRY(auto remote_sig, wire::to_crypto_signature(lc.remote_signature));
  auto our_sig = crypto::sign(m_secrets.funding_secret, built.sighash);
  HolderCommitment h{lc.number,  std::move(built.spec),    built.keys,
                     std::move(built.commitment), {},      std::move(built.htlc_txs),
                     lc.remote_htlc_signatures};
  h.signed_tx = h.commitment.tx;
  // BOLT 3: the funding witness is 0 <signature_for_pubkey1> <signature_for_pubkey2>, in the
  // order of the funding script's (lexicographically sorted) keys.
  h.signed_tx.inputs[0].witness =
      funding_witness(m_secrets.funding_secret.public_key(), with_sighash(our_sig, SIGHASH_ALL),
                      remote_funding, with_sighash(remote_sig, SIGHASH_ALL));
  return h;
}

msg::RevokeAndAck ChannelMachine::revocation_for(uint64_t revoked_number) const {
  msg::RevokeAndAck r;
  r.channel_id = m_s.channel_id;
  auto secret = local_secret(revoked_number);
  r.per_commitment_secret = *wire::PerCommitmentSecret::from_span(secret.expose());
  r.next_per_commitment_point = to_point(local_point(revoked_number + 2));
  return r;
}

// ---- outputs ----

void ChannelMachine::persist(Outputs& out) const {
  out.actions.push_back(PersistState{m_s.channel_id, serialize(m_s)});
}

Outputs ChannelMachine::reject(Error error) {
  Outputs out;
  switch (error.action) {
    case PeerAction::None:
    case PeerAction::Ignore:
      break;
    case PeerAction::Warn:
      send(out, msg::Warning{m_s.channel_id, text(error.message), {}});
      break;
    case PeerAction::Disconnect:
      send(out, msg::Warning{m_s.channel_id, text(error.message), {}});
      out.actions.push_back(Disconnect{});
      break;
    case PeerAction::FailChannel:
      fail_channel(out, error.message);
      break;
  }
  out.rejected = std::move(error);
  return out;
}

void ChannelMachine::fail_channel(Outputs& out, const std::string& reason) {
  bool funded = m_s.phase != Phase::AwaitingAccept && m_s.phase != Phase::AwaitingFundingTx &&
                m_s.phase != Phase::AwaitingFundingCreated &&
                m_s.phase != Phase::AwaitingFundingSigned;
  ChannelId id = funded ? m_s.channel_id : m_s.temporary_channel_id;
  send(out, msg::Error{id, text(reason), {}});
  out.actions.push_back(Event{event::ChannelFailed{reason}});
  if (m_s.phase == Phase::ForceClosed || m_s.phase == Phase::Closed) return;
  if (!funded) {
    m_s.phase = Phase::Aborted;
    return;
  }
  hand_out_commitment(out);
}

void ChannelMachine::hand_out_commitment(Outputs& out) {
  m_s.phase = Phase::ForceClosed;
  persist(out);
  // Our latest commitment: we have revoked only the ones before it. Its remote signature
  // was verified over exactly this build, so building and signing it again cannot fail.
  auto holder = holder_commitment();
  FULGUR_ASSERT(holder.ok());
  BroadcastTx tx;
  tx.kind = TxKind::Commitment;
  tx.commitment_number = m_s.local_commit.number;
  tx.tx = holder->signed_tx.serialize();
  tx.txid = holder->signed_tx.txid();
  tx.spec = m_s.local_commit.spec;
  out.actions.push_back(std::move(tx));
}

Outputs ChannelMachine::force_close(const std::string& reason) {
  Outputs out;
  fail_channel(out, reason);
  return out;
}

// ---- dispatch ----

Outputs ChannelMachine::handle(const wire::Message& message) {
  if (!channel_id_of(message)) {
    Outputs out;
    out.rejected = Error{PeerAction::Ignore, name_of(message) + " is not a channel message"};
    return out;
  }
  if (m_s.phase == Phase::Closed || m_s.phase == Phase::ForceClosed ||
      m_s.phase == Phase::Aborted) {
    // The peer may not have seen the close yet: its retransmissions are harmless.
    if (std::holds_alternative<msg::Error>(message) ||
        std::holds_alternative<msg::ChannelReestablish>(message) ||
        std::holds_alternative<msg::ClosingSigned>(message) ||
        std::holds_alternative<msg::Shutdown>(message)) {
      return {};
    }
    return reject(fail("channel is closed", PeerAction::Ignore));
  }
  if (m_awaiting_reestablish && !std::holds_alternative<msg::ChannelReestablish>(message) &&
      !std::holds_alternative<msg::Error>(message) &&
      !std::holds_alternative<msg::Warning>(message)) {
    // BOLT #2: MUST wait to receive the other node's channel_reestablish message before
    // sending any other messages for that channel.
    return reject(fail(name_of(message) + " before channel_reestablish",
                       PeerAction::Disconnect));
  }
  return std::visit(
      [&](const auto& m) -> Outputs {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, msg::OpenChannel>) {
          return reject(fail("unexpected open_channel", PeerAction::Warn));
        } else if constexpr (std::is_same_v<T, msg::AcceptChannel>) {
          return on_accept_channel(m);
        } else if constexpr (std::is_same_v<T, msg::FundingCreated>) {
          return on_funding_created(m);
        } else if constexpr (std::is_same_v<T, msg::FundingSigned>) {
          return on_funding_signed(m);
        } else if constexpr (std::is_same_v<T, msg::ChannelReady>) {
          return on_channel_ready(m);
        } else if constexpr (std::is_same_v<T, msg::UpdateAddHtlc>) {
          return on_update_add(m);
        } else if constexpr (std::is_same_v<T, msg::UpdateFulfillHtlc> ||
                             std::is_same_v<T, msg::UpdateFailHtlc> ||
                             std::is_same_v<T, msg::UpdateFailMalformedHtlc>) {
          return on_update_remove(Update{m});
        } else if constexpr (std::is_same_v<T, msg::UpdateFee>) {
          return on_update_fee(m);
        } else if constexpr (std::is_same_v<T, msg::CommitmentSigned>) {
          return on_commitment_signed(m);
        } else if constexpr (std::is_same_v<T, msg::RevokeAndAck>) {
          return on_revoke_and_ack(m);
        } else if constexpr (std::is_same_v<T, msg::Shutdown>) {
          return on_shutdown(m);
        } else if constexpr (std::is_same_v<T, msg::ClosingSigned>) {
          return on_closing_signed(m);
        } else if constexpr (std::is_same_v<T, msg::ChannelReestablish>) {
          return on_reestablish(m);
        } else if constexpr (std::is_same_v<T, msg::Error>) {
          // BOLT #1: the receiving node MUST fail the channel referred to by channel_id.
          Outputs out;
          out.actions.push_back(Event{event::ChannelFailed{"peer sent error"}});
          if (m_s.phase == Phase::AwaitingAccept || m_s.phase == Phase::AwaitingFundingTx ||
              m_s.phase == Phase::AwaitingFundingCreated ||
              m_s.phase == Phase::AwaitingFundingSigned) {
            m_s.phase = Phase::Aborted;
          } else {
            hand_out_commitment(out);
          }
          return out;
        } else if constexpr (std::is_same_v<T, msg::Warning>) {
          return Outputs{};  // logged by the caller
        } else if constexpr (std::is_same_v<T, msg::AnnouncementSignatures>) {
          // BOLT 7 announcement is the caller's (gossip), not the state machine's.
          Outputs out;
          out.rejected = Error{PeerAction::Ignore, "announcement_signatures is gossip"};
          return out;
        } else {
          // Dual funding, interactive tx, splicing, quiescence, simple close: not negotiated
          // (we never offer those features), so the peer should not send them.
          return reject(fail("unsupported message " + name_of(message), PeerAction::Warn));
        }
      },
      message);
}

// ---- user commands ----

bool ChannelMachine::can_update() const {
  return (m_s.phase == Phase::Normal || m_s.phase == Phase::Shutdown) && reestablished();
}

Result<Outputs> ChannelMachine::propose(Update u) {
  Outputs out;
  wire::Message m = std::visit([](const auto& x) -> wire::Message { return x; }, u);
  m_s.ours.proposed.push_back(std::move(u));
  send(out, std::move(m));
  return out;
}

Result<Outputs> ChannelMachine::add_htlc(Msat amount, const PaymentHash& payment_hash,
                                         BlockHeight cltv_expiry, const wire::OnionPacket& onion,
                                         uint64_t* id_out) {
  // BOLT #2: MUST NOT send an update_add_htlc after a shutdown.
  if (m_s.phase != Phase::Normal || !reestablished() || m_s.shutdown_sent ||
      m_s.shutdown_received) {
    return fail("channel cannot add HTLCs now");
  }
  // BOLT #2: MUST offer amount_msat greater than 0. MUST NOT offer amount_msat below the
  // receiving node's htlc_minimum_msat.
  if (amount.value() == 0 || amount < m_s.remote_params.htlc_minimum) {
    return fail("amount below the peer's htlc_minimum_msat");
  }
  // BOLT #2: MUST set cltv_expiry less than 500000000. MUST set the four most significant
  // bytes of amount_msat to 0.
  if (cltv_expiry.value() >= 500000000 || (amount.value() >> 32) != 0) {
    return fail("cltv_expiry or amount out of range");
  }
  msg::UpdateAddHtlc add{m_s.channel_id, m_s.next_htlc_id_ours, amount, payment_hash,
                         cltv_expiry, onion, {}};
  auto proposed = m_s.ours.proposed;
  proposed.push_back(add);
  FULGUR_TRY(auto next, reduce(latest_remote_spec(), proposed, m_s.theirs.acked));
  FULGUR_TRY_STATUS(check_can_send(next));
  if (id_out) *id_out = add.id;
  ++m_s.next_htlc_id_ours;
  return propose(std::move(add));
}

Result<Outputs> ChannelMachine::fulfill_htlc(uint64_t id, const Preimage& preimage) {
  if (!can_update()) return fail("channel cannot update now");
  FULGUR_TRY_STATUS(check_removable_by_us(id));
  const SpecHtlc* h = m_s.local_commit.spec.find(false, id);
  if (crypto::sha256(preimage.span()).array() != h->payment_hash.array()) {
    return fail("preimage does not match the payment hash");
  }
  return propose(msg::UpdateFulfillHtlc{m_s.channel_id, id, preimage, {}});
}

Result<Outputs> ChannelMachine::fail_htlc(uint64_t id, Bytes reason) {
  if (!can_update()) return fail("channel cannot update now");
  FULGUR_TRY_STATUS(check_removable_by_us(id));
  return propose(msg::UpdateFailHtlc{m_s.channel_id, id, std::move(reason), {}});
}

Result<Outputs> ChannelMachine::fail_malformed_htlc(uint64_t id, const Hash256& sha256_of_onion,
                                                    uint16_t failure_code) {
  if (!can_update()) return fail("channel cannot update now");
  // BOLT #4: BADONION (0x8000) must be set in a malformed failure.
  if ((failure_code & 0x8000) == 0) return fail("failure_code lacks the BADONION bit");
  FULGUR_TRY_STATUS(check_removable_by_us(id));
  return propose(
      msg::UpdateFailMalformedHtlc{m_s.channel_id, id, sha256_of_onion, failure_code, {}});
}

Result<Outputs> ChannelMachine::update_fee(FeeratePerKw feerate) {
  if (!can_update()) return fail("channel cannot update now");
  // BOLT #2: The node not responsible for paying the Bitcoin fee: MUST NOT send update_fee.
  if (!m_s.is_opener) return fail("only the opener sends update_fee");
  if (feerate < m_config.min_feerate || feerate > m_config.max_feerate) {
    return fail("feerate outside our own limits");
  }
  auto proposed = m_s.ours.proposed;
  proposed.push_back(msg::UpdateFee{m_s.channel_id, feerate, {}});
  FULGUR_TRY(auto next, reduce(latest_remote_spec(), proposed, m_s.theirs.acked));
  FULGUR_TRY_STATUS(check_can_send(next));
  return propose(msg::UpdateFee{m_s.channel_id, feerate, {}});
}

Outputs ChannelMachine::on_tick(uint64_t /*now_ms*/) {
  Outputs out;
  maybe_commit(out);
  return out;
}

}  // namespace fulgur::channel
