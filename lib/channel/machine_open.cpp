// Channel establishment v1: open_channel, accept_channel, funding_created, funding_signed,
// channel_ready, with the checks BOLT 2 requires of the peer's parameters and channel_type
// negotiation (option_static_remotekey, option_anchors_zero_fee_htlc_tx).
#include <algorithm>

#include "channel/machine.h"
#include "wire/features.h"

namespace fulgur::channel {

namespace {

// BOLT 9 / BOLT 2 channel_type: option_static_remotekey, with option_anchors for anchors.
Bytes channel_type_bits(ChannelType type) {
  return wire::encode_channel_type(wire::ChannelType{type == ChannelType::Anchors, false, false});
}

Sat reserve_for(const ChannelConfig& c, Sat funding) {
  return Sat(std::max(funding.value() * c.reserve_per_mille / 1000, c.dust_limit.value()));
}

SideParams our_params(const ChannelConfig& c, Sat funding) {
  SideParams p;
  p.dust_limit = c.dust_limit;
  p.max_htlc_value_in_flight = Msat(funding.value() * 1000);
  p.channel_reserve = reserve_for(c, funding);
  p.htlc_minimum = c.htlc_minimum;
  p.to_self_delay = c.to_self_delay;
  p.max_accepted_htlcs = c.max_accepted_htlcs;
  return p;
}

wire::Point point_of(const crypto::PublicKey& k) { return wire::Point(k.serialize()); }

Status reject_channel(std::string why) { return fail(std::move(why), PeerAction::FailChannel); }

}  // namespace

Result<ChannelMachine> ChannelMachine::open(const ChannelConfig& config,
                                            const crypto::Secret32& node_seed,
                                            const OpenRequest& req, Outputs& out) {
  // BOLT #2: MUST set funding_satoshis to less than 2^24 satoshi.
  if (req.funding_satoshis < config.min_funding || req.funding_satoshis > config.max_funding) {
    return fail("funding amount outside our limits");
  }
  // BOLT #2: MUST set push_msat to equal or less than 1000 * funding_satoshis.
  if (req.push_msat.value() > req.funding_satoshis.value() * 1000) {
    return fail("push_msat exceeds the funding amount");
  }
  if (req.type == ChannelType::Anchors && !config.allow_anchors) return fail("anchors disabled");
  if (!config.upfront_shutdown_script.empty() &&
      !is_valid_shutdown_script(config.upfront_shutdown_script)) {
    return fail("invalid upfront_shutdown_script");
  }
  Sat fee = opener_fee(req.type, req.feerate_per_kw, 0);
  if (req.funding_satoshis.value() * 1000 - req.push_msat.value() < fee.value() * 1000) {
    return fail("funding does not cover the commitment fee");
  }
  ChannelMachine m(config, node_seed, req.key_index);
  ChannelState& s = m.m_s;
  s.is_opener = true;
  s.type = req.type;
  s.temporary_channel_id = req.temporary_channel_id;
  s.channel_id = req.temporary_channel_id;
  s.funding_amount = req.funding_satoshis;
  s.push_msat = req.push_msat;
  s.channel_flags = req.channel_flags;
  s.local_params = our_params(config, req.funding_satoshis);
  s.local_commit.spec.feerate = req.feerate_per_kw;
  s.phase = Phase::AwaitingAccept;

  Basepoints bp = m.local_basepoints();
  msg::OpenChannel o;
  o.chain_hash = config.chain_hash;
  o.temporary_channel_id = req.temporary_channel_id;
  o.funding_satoshis = req.funding_satoshis;
  o.push_msat = req.push_msat;
  o.dust_limit_satoshis = s.local_params.dust_limit;
  o.max_htlc_value_in_flight_msat = s.local_params.max_htlc_value_in_flight;
  o.channel_reserve_satoshis = s.local_params.channel_reserve;
  o.htlc_minimum_msat = s.local_params.htlc_minimum;
  o.feerate_per_kw = req.feerate_per_kw;
  o.to_self_delay = CltvDelta(s.local_params.to_self_delay);
  o.max_accepted_htlcs = s.local_params.max_accepted_htlcs;
  o.funding_pubkey = point_of(m.m_secrets.funding_secret.public_key());
  o.revocation_basepoint = point_of(bp.revocation_basepoint);
  o.payment_basepoint = point_of(bp.payment_basepoint);
  o.delayed_payment_basepoint = point_of(bp.delayed_payment_basepoint);
  o.htlc_basepoint = point_of(bp.htlc_basepoint);
  o.first_per_commitment_point = point_of(m.local_point(0));
  o.channel_flags = req.channel_flags;
  // BOLT #2: if it includes open_channel_tlvs: MUST include upfront_shutdown_script. MUST
  // set channel_type to a defined type representing the type it wants.
  s.local_upfront_shutdown_script = config.upfront_shutdown_script;
  o.tlvs.upfront_shutdown_script = config.upfront_shutdown_script;
  o.tlvs.channel_type = channel_type_bits(req.type);
  send(out, std::move(o));
  return m;
}

Status ChannelMachine::store_remote_keys(const wire::Point& funding,
                                         const wire::Point& revocation,
                                         const wire::Point& payment, const wire::Point& delayed,
                                         const wire::Point& htlc, const wire::Point& first_point) {
  // BOLT #2: MUST fail the channel if funding_pubkey, revocation_basepoint, htlc_basepoint,
  // payment_basepoint, or delayed_payment_basepoint are not valid DER-encoded compressed
  // secp256k1 pubkeys.
  for (const auto* p : {&funding, &revocation, &payment, &delayed, &htlc, &first_point}) {
    if (!crypto::PublicKey::parse(p->span())) return reject_channel("invalid pubkey");
  }
  m_s.remote_keys = RemoteKeys{funding, revocation, payment, delayed, htlc};
  m_s.remote_commit.per_commitment_point = first_point;
  return {};
}

Status ChannelMachine::check_common_params(Sat funding, Sat dust, Sat reserve,
                                           CltvDelta to_self_delay, uint16_t max_accepted,
                                           Msat htlc_minimum) {
  // BOLT #2: MUST fail the channel if to_self_delay is unreasonably large.
  if (to_self_delay.value() > m_config.max_to_self_delay) {
    return reject_channel("to_self_delay too large");
  }
  // BOLT #2: MUST fail the channel if max_accepted_htlcs is greater than 483.
  if (max_accepted > 483) return reject_channel("max_accepted_htlcs greater than 483");
  // BOLT #2: MAY fail the channel if it considers max_accepted_htlcs too small.
  if (max_accepted < m_config.min_max_accepted_htlcs) {
    return reject_channel("max_accepted_htlcs too small");
  }
  // BOLT #2: MUST fail the channel if dust_limit_satoshis is greater than
  // channel_reserve_satoshis.
  if (dust > reserve) return reject_channel("dust_limit_satoshis greater than channel_reserve");
  // BOLT #2 (since BOLT 3's dust thresholds): MUST fail the channel if dust_limit_satoshis
  // is smaller than 354 satoshis.
  if (dust < Sat(354)) return reject_channel("dust_limit_satoshis smaller than 354");
  if (dust > m_config.max_dust_limit) return reject_channel("dust_limit_satoshis too large");
  // BOLT #2: MAY fail the channel if it considers channel_reserve_satoshis too large.
  if (reserve.value() > funding.value() / 5) return reject_channel("channel_reserve too large");
  // BOLT #2: MAY fail the channel if it considers htlc_minimum_msat too large.
  if (htlc_minimum > m_config.max_htlc_minimum) return reject_channel("htlc_minimum too large");
  return {};
}

Status ChannelMachine::check_open(const msg::OpenChannel& m) {
  // BOLT #2: MUST fail the channel if the chain_hash value is set to a hash of a chain that
  // is unknown to the receiver.
  if (m.chain_hash != m_config.chain_hash) return reject_channel("unknown chain_hash");
  // BOLT #2: MAY fail the channel if funding_satoshis is too small. (The sender MUST set
  // funding_satoshis to less than 2^24 satoshi.)
  if (m.funding_satoshis < m_config.min_funding) return reject_channel("funding too small");
  if (m.funding_satoshis > m_config.max_funding) return reject_channel("funding too large");
  // BOLT #2: MUST fail the channel if push_msat is greater than funding_satoshis * 1000.
  if (m.push_msat.value() > m.funding_satoshis.value() * 1000) {
    return reject_channel("push_msat greater than funding_satoshis * 1000");
  }
  // BOLT #2: MUST fail the channel if it considers feerate_per_kw too small for timely
  // processing or unreasonably large.
  if (m.feerate_per_kw < m_config.min_feerate || m.feerate_per_kw > m_config.max_feerate) {
    return reject_channel("feerate_per_kw out of range");
  }
  // BOLT #2: MAY fail the channel if it considers max_htlc_value_in_flight_msat too small.
  if (m.max_htlc_value_in_flight_msat.value() < m.funding_satoshis.value() * 1000 / 100) {
    return reject_channel("max_htlc_value_in_flight_msat too small");
  }
  FULGUR_TRY_STATUS(check_common_params(m.funding_satoshis, m.dust_limit_satoshis,
                                        m.channel_reserve_satoshis, m.to_self_delay,
                                        m.max_accepted_htlcs, m.htlc_minimum_msat));
  FULGUR_TRY_STATUS(check_channel_type(m.tlvs.channel_type));
  ChannelType type = m_s.type;
  // BOLT #2: MUST fail the channel if the funder's amount for the initial commitment
  // transaction is not sufficient for full fee payment.
  Sat fee = opener_fee(type, m.feerate_per_kw, 0);
  uint64_t funder_msat = m.funding_satoshis.value() * 1000 - m.push_msat.value();
  if (funder_msat < fee.value() * 1000) return reject_channel("funder cannot pay the fee");
  // BOLT #2: MUST fail the channel if both to_local and to_remote amounts for the initial
  // commitment transaction are less than or equal to channel_reserve_satoshis.
  uint64_t reserve_msat = m.channel_reserve_satoshis.value() * 1000;
  if (funder_msat - fee.value() * 1000 <= reserve_msat && m.push_msat.value() <= reserve_msat) {
    return reject_channel("both initial outputs at or below the reserve");
  }
  FULGUR_TRY_STATUS(store_upfront_script(m.tlvs.upfront_shutdown_script));
  return store_remote_keys(m.funding_pubkey, m.revocation_basepoint, m.payment_basepoint,
                           m.delayed_payment_basepoint, m.htlc_basepoint,
                           m.first_per_commitment_point);
}

Status ChannelMachine::check_channel_type(const std::optional<Bytes>& channel_type) {
  // BOLT #2: The receiving node MUST: if the message doesn't include a channel_type: fail
  // the channel. The receiving node MUST fail the channel if: the channel_type is not
  // suitable. (We support option_static_remotekey, alone or with option_anchors; neither
  // option_scid_alias nor option_zeroconf.)
  if (!channel_type) return reject_channel("channel_type missing");
  auto t = wire::parse_channel_type(*channel_type);
  if (!t || t->scid_alias || t->zeroconf || (t->anchors && !m_config.allow_anchors)) {
    return reject_channel("unsupported channel_type");
  }
  m_s.type = t->anchors ? ChannelType::Anchors : ChannelType::StaticRemoteKey;
  return {};
}

Status ChannelMachine::store_upfront_script(const std::optional<Bytes>& script) {
  // BOLT #2 (shutdown): "if it sent a non-zero-length shutdown_scriptpubkey in open_channel
  // or accept_channel: MUST send the same value in scriptpubkey", so a non-empty one must
  // be usable in shutdown.
  if (script && !script->empty() && !is_valid_shutdown_script(*script)) {
    return reject_channel("invalid upfront_shutdown_script");
  }
  m_s.remote_upfront_shutdown_script = script.value_or(Bytes{});
  return {};
}

Result<ChannelMachine> ChannelMachine::accept(const ChannelConfig& config,
                                              const crypto::Secret32& node_seed,
                                              uint64_t key_index, const msg::OpenChannel& open,
                                              Outputs& out) {
  ChannelMachine m(config, node_seed, key_index);
  ChannelState& s = m.m_s;
  s.is_opener = false;
  s.temporary_channel_id = open.temporary_channel_id;
  s.channel_id = open.temporary_channel_id;
  s.phase = Phase::AwaitingFundingCreated;
  if (auto st = m.check_open(open); !st) {
    out = m.reject(st.error());
    return Unexpected{st.error()};
  }
  s.funding_amount = open.funding_satoshis;
  s.push_msat = open.push_msat;
  s.channel_flags = open.channel_flags;
  s.local_commit.spec.feerate = open.feerate_per_kw;
  s.minimum_depth = config.minimum_depth;
  s.remote_params = SideParams{open.dust_limit_satoshis, open.max_htlc_value_in_flight_msat,
                               open.channel_reserve_satoshis, open.htlc_minimum_msat,
                               static_cast<uint16_t>(open.to_self_delay.value()),
                               open.max_accepted_htlcs};
  s.local_params = our_params(config, open.funding_satoshis);
  // BOLT #2 (accept_channel sender): MUST set channel_reserve_satoshis greater than or equal
  // to dust_limit_satoshis from the open_channel message; MUST set dust_limit_satoshis less
  // than or equal to channel_reserve_satoshis from the open_channel message.
  s.local_params.channel_reserve =
      std::max(s.local_params.channel_reserve, open.dust_limit_satoshis);
  s.local_params.dust_limit = std::min(s.local_params.dust_limit, open.channel_reserve_satoshis);

  Basepoints bp = m.local_basepoints();
  msg::AcceptChannel a;
  a.temporary_channel_id = open.temporary_channel_id;
  a.dust_limit_satoshis = s.local_params.dust_limit;
  a.max_htlc_value_in_flight_msat = s.local_params.max_htlc_value_in_flight;
  a.channel_reserve_satoshis = s.local_params.channel_reserve;
  a.htlc_minimum_msat = s.local_params.htlc_minimum;
  a.minimum_depth = s.minimum_depth;
  a.to_self_delay = CltvDelta(s.local_params.to_self_delay);
  a.max_accepted_htlcs = s.local_params.max_accepted_htlcs;
  a.funding_pubkey = point_of(m.m_secrets.funding_secret.public_key());
  a.revocation_basepoint = point_of(bp.revocation_basepoint);
  a.payment_basepoint = point_of(bp.payment_basepoint);
  a.delayed_payment_basepoint = point_of(bp.delayed_payment_basepoint);
  a.htlc_basepoint = point_of(bp.htlc_basepoint);
  a.first_per_commitment_point = point_of(m.local_point(0));
  // BOLT #2: MUST set channel_type to the channel_type from open_channel.
  a.tlvs.channel_type = channel_type_bits(s.type);
  s.local_upfront_shutdown_script = config.upfront_shutdown_script;
  a.tlvs.upfront_shutdown_script = config.upfront_shutdown_script;
  send(out, std::move(a));
  return m;
}

Status ChannelMachine::check_accept(const msg::AcceptChannel& m) {
  // BOLT #2: The temporary_channel_id MUST be the same as the temporary_channel_id in the
  // open_channel message.
  if (m.temporary_channel_id != m_s.temporary_channel_id) {
    return reject_channel("temporary_channel_id mismatch");
  }
  // BOLT #2: if minimum_depth is unreasonably large: MAY reject the channel.
  if (m.minimum_depth > m_config.max_minimum_depth) return reject_channel("minimum_depth too large");
  // BOLT #2: if channel_reserve_satoshis is less than dust_limit_satoshis within the
  // open_channel message: MUST reject the channel.
  if (m.channel_reserve_satoshis < m_s.local_params.dust_limit) {
    return reject_channel("channel_reserve below our dust_limit");
  }
  // BOLT #2: if channel_reserve_satoshis from the open_channel message is less than
  // dust_limit_satoshis: MUST reject the channel.
  if (m_s.local_params.channel_reserve < m.dust_limit_satoshis) {
    return reject_channel("our channel_reserve below their dust_limit");
  }
  // BOLT #2: Other fields have the same requirements as their counterparts in open_channel.
  FULGUR_TRY_STATUS(check_common_params(m_s.funding_amount, m.dust_limit_satoshis,
                                        m.channel_reserve_satoshis, m.to_self_delay,
                                        m.max_accepted_htlcs, m.htlc_minimum_msat));
  // BOLT #2: if the message doesn't include a channel_type: MUST fail the channel. if
  // channel_type does not match the channel_type from open_channel: MUST fail the channel.
  if (!m.tlvs.channel_type) return reject_channel("channel_type missing");
  if (*m.tlvs.channel_type != channel_type_bits(m_s.type)) {
    return reject_channel("channel_type mismatch");
  }
  FULGUR_TRY_STATUS(store_upfront_script(m.tlvs.upfront_shutdown_script));
  return store_remote_keys(m.funding_pubkey, m.revocation_basepoint, m.payment_basepoint,
                           m.delayed_payment_basepoint, m.htlc_basepoint,
                           m.first_per_commitment_point);
}

Outputs ChannelMachine::on_accept_channel(const msg::AcceptChannel& m) {
  if (m_s.phase != Phase::AwaitingAccept) {
    return reject(fail("unexpected accept_channel", PeerAction::FailChannel));
  }
  if (auto st = check_accept(m); !st) return reject(st.error());
  m_s.remote_params = SideParams{m.dust_limit_satoshis, m.max_htlc_value_in_flight_msat,
                                 m.channel_reserve_satoshis, m.htlc_minimum_msat,
                                 static_cast<uint16_t>(m.to_self_delay.value()),
                                 m.max_accepted_htlcs};
  m_s.minimum_depth = std::max<uint32_t>(m.minimum_depth, 1);
  m_s.phase = Phase::AwaitingFundingTx;
  Outputs out;
  out.actions.push_back(Event{event::FundingNeeded{m_s.funding_amount,
                                                   m_secrets.funding_secret.public_key().serialize(),
                                                   m_s.remote_keys.funding_pubkey.array()}});
  return out;
}

void ChannelMachine::init_commitments() {
  Msat funding(m_s.funding_amount.value() * 1000);
  Msat opener(funding.value() - m_s.push_msat.value());
  CommitSpec spec;
  spec.feerate = m_s.local_commit.spec.feerate;
  spec.to_us = m_s.is_opener ? opener : m_s.push_msat;
  spec.to_them = m_s.is_opener ? m_s.push_msat : opener;
  m_s.local_commit.number = 0;
  m_s.local_commit.spec = spec;
  m_s.remote_commit.number = 0;
  m_s.remote_commit.spec = spec;
  // BOLT #2: channel_id = funding_txid XOR funding_output_index (big-endian, last 2 bytes).
  std::array<uint8_t, 32> id = m_s.funding_txid.array();
  id[30] ^= static_cast<uint8_t>(m_s.funding_output_index >> 8);
  id[31] ^= static_cast<uint8_t>(m_s.funding_output_index & 0xff);
  m_s.channel_id = ChannelId(id);
}

Result<Outputs> ChannelMachine::funding_tx_ready(const Txid& txid, uint16_t output_index, Bytes tx) {
  if (m_s.phase != Phase::AwaitingFundingTx) return fail("not waiting for a funding transaction");
  m_s.funding_txid = txid;
  m_s.funding_output_index = output_index;
  m_s.funding_tx = std::move(tx);
  init_commitments();
  FULGUR_TRY(auto sig, sign_remote(m_s.remote_commit));
  m_s.phase = Phase::AwaitingFundingSigned;
  Outputs out;
  send(out, msg::FundingCreated{m_s.temporary_channel_id, txid, output_index, sig.signature, {}});
  return out;
}

Outputs ChannelMachine::on_funding_created(const msg::FundingCreated& m) {
  if (m_s.phase != Phase::AwaitingFundingCreated) {
    return reject(fail("unexpected funding_created", PeerAction::FailChannel));
  }
  if (m.temporary_channel_id != m_s.temporary_channel_id) {
    return reject(fail("temporary_channel_id mismatch", PeerAction::FailChannel));
  }
  m_s.funding_txid = m.funding_txid;
  m_s.funding_output_index = m.funding_output_index;
  init_commitments();
  // BOLT #2 (funding_created): if signature is incorrect: MUST fail the channel.
  if (auto st = verify_local(0, m_s.local_commit.spec, m.signature, {}); !st) {
    m_s.channel_id = m_s.temporary_channel_id;
    return reject(st.error());
  }
  m_s.local_commit.remote_signature = m.signature;
  auto sig = sign_remote(m_s.remote_commit);
  if (!sig) return reject(fail(sig.error().message, PeerAction::FailChannel));
  m_s.phase = Phase::AwaitingLockin;
  Outputs out;
  // BOLT #2: a non-funding node that has sent funding_signed MUST remember the channel.
  persist(out);
  send(out, msg::FundingSigned{m_s.channel_id, sig->signature, {}});
  return out;
}

Outputs ChannelMachine::on_funding_signed(const msg::FundingSigned& m) {
  if (m_s.phase != Phase::AwaitingFundingSigned) {
    return reject(fail("unexpected funding_signed", PeerAction::FailChannel));
  }
  if (m.channel_id != m_s.channel_id) {
    return reject(fail("funding_signed for another channel_id", PeerAction::FailChannel));
  }
  // BOLT #2 (funding_signed): if signature is incorrect: MUST fail the channel. MUST NOT
  // broadcast the funding transaction before receipt of a valid funding_signed.
  if (auto st = verify_local(0, m_s.local_commit.spec, m.signature, {}); !st) {
    m_s.phase = Phase::AwaitingFundingSigned;
    Outputs out = reject(st.error());
    return out;
  }
  m_s.local_commit.remote_signature = m.signature;
  m_s.phase = Phase::AwaitingLockin;
  Outputs out;
  persist(out);
  BroadcastTx tx;
  tx.kind = TxKind::Funding;
  tx.tx = m_s.funding_tx;
  out.actions.push_back(std::move(tx));
  maybe_send_channel_ready(out);
  return out;
}

void ChannelMachine::maybe_send_channel_ready(Outputs& out) {
  // BOLT #2: The sender MUST wait until the funding transaction has reached minimum_depth
  // before sending this message.
  if (m_s.phase != Phase::AwaitingLockin || m_s.channel_ready_sent || !reestablished() ||
      m_s.funding_depth < std::max<uint32_t>(m_s.minimum_depth, 1)) {
    return;
  }
  m_s.channel_ready_sent = true;
  if (m_s.channel_ready_received) {
    m_s.phase = Phase::Normal;
    out.actions.push_back(Event{event::ChannelOpened{}});
  }
  persist(out);
  // BOLT #2: set next_per_commitment_point to the per-commitment point to be used for the
  // following commitment transaction.
  send(out, msg::ChannelReady{m_s.channel_id, point_of(local_point(1)), {}});
}

Outputs ChannelMachine::on_channel_ready(const msg::ChannelReady& m) {
  if (m_s.phase != Phase::AwaitingLockin) {
    // BOLT #2: upon reconnection: MUST ignore any redundant channel_ready it receives.
    if (m_s.channel_ready_received) return {};
    return reject(fail("unexpected channel_ready", PeerAction::FailChannel));
  }
  if (!crypto::PublicKey::parse(m.second_per_commitment_point.span())) {
    return reject(fail("invalid next_per_commitment_point", PeerAction::FailChannel));
  }
  Outputs out;
  m_s.remote_next_point = m.second_per_commitment_point;
  m_s.channel_ready_received = true;
  if (m_s.channel_ready_sent) {
    m_s.phase = Phase::Normal;
    out.actions.push_back(Event{event::ChannelOpened{}});
  }
  persist(out);
  return out;
}

Outputs ChannelMachine::on_block(BlockHeight height, uint32_t funding_depth) {
  Outputs out;
  m_height = height;
  if (m_s.phase == Phase::AwaitingLockin) {
    m_s.funding_depth = funding_depth;
    maybe_send_channel_ready(out);
  }
  check_htlc_deadlines(out);
  return out;
}

}  // namespace fulgur::channel
