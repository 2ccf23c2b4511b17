// Versioned binary record of a channel's state; see channel_state.h. Layout: u16 version,
// then the fields in declaration order (big-endian integers, u32-length-prefixed byte
// strings and lists), then a u32-length extension blob that later versions fill with TLVs
// and this version skips. Update messages are stored as their lib/wire encoding. Every
// length is checked against the bytes left. (Version 1, before lib/wire's messages and the
// upfront/closing fields, was never deployed and is refused.)
#include "channel/channel_state.h"

#include <type_traits>

#include "wire/messages.h"

namespace fulgur::channel {

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::AwaitingAccept: return "awaiting_accept";
    case Phase::AwaitingFundingTx: return "awaiting_funding_tx";
    case Phase::AwaitingFundingCreated: return "awaiting_funding_created";
    case Phase::AwaitingFundingSigned: return "awaiting_funding_signed";
    case Phase::AwaitingLockin: return "awaiting_lockin";
    case Phase::Normal: return "normal";
    case Phase::Shutdown: return "shutdown";
    case Phase::Negotiating: return "negotiating";
    case Phase::Closed: return "closed";
    case Phase::ForceClosed: return "force_closed";
    case Phase::Aborted: return "aborted";
  }
  return "?";
}

namespace {

class Out {
 public:
  void u8(uint8_t v) { m_b.push_back(v); }
  void u16(uint16_t v) { uint(v, 2); }
  void u32(uint32_t v) { uint(v, 4); }
  void u64(uint64_t v) { uint(v, 8); }
  void uint(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) m_b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void bytes(ByteSpan b) {
    u32(static_cast<uint32_t>(b.size()));
    append(m_b, b);
  }
  template <size_t N, typename T>
  void fixed(const FixedBytes<N, T>& f) { append(m_b, f.span()); }
  Bytes take() { return std::move(m_b); }

 private:
  Bytes m_b;
};

class In {
 public:
  explicit In(ByteSpan b) : m_b(b) {}
  bool ok() const { return m_ok; }
  bool done() const { return m_pos == m_b.size(); }
  uint64_t uint(int n) {
    if (!need(static_cast<size_t>(n))) return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | m_b[m_pos++];
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(uint(1)); }
  uint16_t u16() { return static_cast<uint16_t>(uint(2)); }
  uint32_t u32() { return static_cast<uint32_t>(uint(4)); }
  uint64_t u64() { return uint(8); }
  bool flag() {
    uint8_t v = u8();
    if (v > 1) m_ok = false;
    return v == 1;
  }
  Bytes bytes() {
    uint32_t n = u32();
    if (!need(n)) return {};
    Bytes out(m_b.begin() + static_cast<long>(m_pos), m_b.begin() + static_cast<long>(m_pos + n));
    m_pos += n;
    return out;
  }
  template <typename F>
  F fixed() {
    F out;
    if (!need(F::SIZE)) return out;
    out = *F::from_span(m_b.subspan(m_pos, F::SIZE));
    m_pos += F::SIZE;
    return out;
  }
  // A list count that cannot exceed the bytes left (each element takes >= min_size bytes).
  uint32_t count(size_t min_size) {
    uint32_t n = u32();
    if (m_ok && static_cast<uint64_t>(n) * min_size > m_b.size() - m_pos) m_ok = false;
    return m_ok ? n : 0;
  }

 private:
  bool need(size_t n) {
    if (!m_ok || m_b.size() - m_pos < n) {
      m_ok = false;
      return false;
    }
    return true;
  }
  ByteSpan m_b;
  size_t m_pos = 0;
  bool m_ok = true;
};

void put_params(Out& o, const SideParams& p) {
  o.u64(p.dust_limit.value());
  o.u64(p.max_htlc_value_in_flight.value());
  o.u64(p.channel_reserve.value());
  o.u64(p.htlc_minimum.value());
  o.u16(p.to_self_delay);
  o.u16(p.max_accepted_htlcs);
}
SideParams get_params(In& in) {
  SideParams p;
  p.dust_limit = Sat(in.u64());
  p.max_htlc_value_in_flight = Msat(in.u64());
  p.channel_reserve = Sat(in.u64());
  p.htlc_minimum = Msat(in.u64());
  p.to_self_delay = in.u16();
  p.max_accepted_htlcs = in.u16();
  return p;
}

void put_spec(Out& o, const CommitSpec& s) {
  o.u32(s.feerate.value());
  o.u64(s.to_us.value());
  o.u64(s.to_them.value());
  o.u32(static_cast<uint32_t>(s.htlcs.size()));
  for (const auto& h : s.htlcs) {
    o.u8(h.offered_by_us ? 1 : 0);
    o.u64(h.id);
    o.u64(h.amount.value());
    o.fixed(h.payment_hash);
    o.u32(h.cltv_expiry);
  }
}
CommitSpec get_spec(In& in) {
  CommitSpec s;
  s.feerate = FeeratePerKw(in.u32());
  s.to_us = Msat(in.u64());
  s.to_them = Msat(in.u64());
  uint32_t n = in.count(61);
  for (uint32_t i = 0; i < n && in.ok(); ++i) {
    SpecHtlc h;
    h.offered_by_us = in.flag();
    h.id = in.u64();
    h.amount = Msat(in.u64());
    h.payment_hash = in.fixed<PaymentHash>();
    h.cltv_expiry = in.u32();
    s.htlcs.push_back(h);
  }
  return s;
}

// An update is kept as its wire encoding (lib/wire's codec): TLV extensions included, so a
// retransmission is the exact message first sent.
void put_update(Out& o, const Update& u) {
  o.bytes(std::visit([](const auto& m) { return wire::encode_message(m); }, u));
}
std::optional<Update> get_update(In& in) {
  Bytes encoded = in.bytes();
  if (!in.ok()) return std::nullopt;
  auto m = wire::decode_message(encoded);
  if (!m) return std::nullopt;
  return std::visit(
      [](auto& x) -> std::optional<Update> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_constructible_v<Update, T>) {
          return Update{std::move(x)};
        } else {
          return std::nullopt;
        }
      },
      *m);
}

void put_updates(Out& o, const std::vector<Update>& v) {
  o.u32(static_cast<uint32_t>(v.size()));
  for (const auto& u : v) put_update(o, u);
}
std::vector<Update> get_updates(In& in, bool& bad_kind) {
  std::vector<Update> v;
  uint32_t n = in.count(4);
  for (uint32_t i = 0; i < n && in.ok(); ++i) {
    auto u = get_update(in);
    if (!u) {
      bad_kind = true;
      break;
    }
    v.push_back(std::move(*u));
  }
  return v;
}

void put_log(Out& o, const UpdateLog& l) {
  put_updates(o, l.proposed);
  put_updates(o, l.signed_);
  put_updates(o, l.acked);
}
UpdateLog get_log(In& in, bool& bad) {
  UpdateLog l;
  l.proposed = get_updates(in, bad);
  l.signed_ = get_updates(in, bad);
  l.acked = get_updates(in, bad);
  return l;
}

void put_remote_commit(Out& o, const RemoteCommit& c) {
  o.u64(c.number);
  put_spec(o, c.spec);
  o.fixed(c.per_commitment_point);
}
RemoteCommit get_remote_commit(In& in) {
  RemoteCommit c;
  c.number = in.u64();
  c.spec = get_spec(in);
  c.per_commitment_point = in.fixed<wire::Point>();
  return c;
}

void put_opt_sat(Out& o, const std::optional<Sat>& v) {
  o.u8(v ? 1 : 0);
  o.u64(v ? v->value() : 0);
}
std::optional<Sat> get_opt_sat(In& in) {
  bool present = in.flag();
  uint64_t v = in.u64();
  if (!present) return std::nullopt;
  return Sat(v);
}

void put_header(Out& o, const ChannelState& s) {
  o.u64(s.key_index);
  o.u8(s.is_opener ? 1 : 0);
  o.u8(static_cast<uint8_t>(s.type));
  o.u8(static_cast<uint8_t>(s.phase));
  o.fixed(s.chain_hash);
  o.fixed(s.temporary_channel_id);
  o.fixed(s.channel_id);
  o.u64(s.funding_amount.value());
  o.u64(s.push_msat.value());
  o.fixed(s.funding_txid);
  o.u16(s.funding_output_index);
  o.bytes(s.funding_tx);
  o.u32(s.minimum_depth);
  o.u32(s.funding_depth);
  o.u8(s.channel_flags);
  put_params(o, s.local_params);
  put_params(o, s.remote_params);
  for (const auto* p : {&s.remote_keys.funding_pubkey, &s.remote_keys.revocation_basepoint,
                        &s.remote_keys.payment_basepoint,
                        &s.remote_keys.delayed_payment_basepoint, &s.remote_keys.htlc_basepoint}) {
    o.fixed(*p);
  }
  o.u8(s.channel_ready_sent ? 1 : 0);
  o.u8(s.channel_ready_received ? 1 : 0);
}

Status get_header(In& in, ChannelState& s) {
  s.key_index = in.u64();
  s.is_opener = in.flag();
  uint8_t type = in.u8();
  uint8_t phase = in.u8();
  if (type > static_cast<uint8_t>(ChannelType::Anchors) ||
      phase > static_cast<uint8_t>(Phase::Aborted)) {
    return fail("channel record: unknown channel type or phase");
  }
  s.type = static_cast<ChannelType>(type);
  s.phase = static_cast<Phase>(phase);
  s.chain_hash = in.fixed<BlockHash>();
  s.temporary_channel_id = in.fixed<ChannelId>();
  s.channel_id = in.fixed<ChannelId>();
  s.funding_amount = Sat(in.u64());
  s.push_msat = Msat(in.u64());
  s.funding_txid = in.fixed<Txid>();
  s.funding_output_index = in.u16();
  s.funding_tx = in.bytes();
  s.minimum_depth = in.u32();
  s.funding_depth = in.u32();
  s.channel_flags = in.u8();
  s.local_params = get_params(in);
  s.remote_params = get_params(in);
  for (auto* p : {&s.remote_keys.funding_pubkey, &s.remote_keys.revocation_basepoint,
                  &s.remote_keys.payment_basepoint, &s.remote_keys.delayed_payment_basepoint,
                  &s.remote_keys.htlc_basepoint}) {
    *p = in.fixed<wire::Point>();
  }
  s.channel_ready_sent = in.flag();
  s.channel_ready_received = in.flag();
  return {};
}

}  // namespace

Bytes serialize(const ChannelState& s) {
  Out o;
  o.u16(ChannelState::VERSION);
  put_header(o, s);
  o.u64(s.local_commit.number);
  put_spec(o, s.local_commit.spec);
  o.fixed(s.local_commit.remote_signature);
  o.u32(static_cast<uint32_t>(s.local_commit.remote_htlc_signatures.size()));
  for (const auto& sig : s.local_commit.remote_htlc_signatures) o.fixed(sig);
  put_remote_commit(o, s.remote_commit);
  o.u8(s.waiting ? 1 : 0);
  if (s.waiting) {
    put_remote_commit(o, s.waiting->next);
    o.u64(s.waiting->sent_after_local_number);
  }
  o.fixed(s.remote_next_point);
  put_log(o, s.ours);
  put_log(o, s.theirs);
  o.u64(s.next_htlc_id_ours);
  o.u64(s.next_htlc_id_theirs);
  o.bytes(s.remote_secrets);
  o.bytes(s.local_upfront_shutdown_script);
  o.bytes(s.remote_upfront_shutdown_script);
  o.bytes(s.local_shutdown_script);
  o.bytes(s.remote_shutdown_script);
  o.u8(s.shutdown_sent ? 1 : 0);
  o.u8(s.shutdown_received ? 1 : 0);
  put_opt_sat(o, s.closing_fee_sent);
  put_opt_sat(o, s.closing_fee_received);
  o.bytes(s.closing_tx);
  o.u8(s.local_data_loss ? 1 : 0);
  o.bytes({});  // extension TLVs (none in version 2)
  return o.take();
}

Result<ChannelState> deserialize_channel_state(ByteSpan record) {
  In in(record);
  uint16_t version = in.u16();
  if (!in.ok() || version != ChannelState::VERSION) {
    return fail("channel record: unsupported version " + std::to_string(version));
  }
  ChannelState s;
  FULGUR_TRY_STATUS(get_header(in, s));
  s.local_commit.number = in.u64();
  s.local_commit.spec = get_spec(in);
  s.local_commit.remote_signature = in.fixed<wire::Signature>();
  uint32_t nsigs = in.count(64);
  for (uint32_t i = 0; i < nsigs && in.ok(); ++i) {
    s.local_commit.remote_htlc_signatures.push_back(in.fixed<wire::Signature>());
  }
  s.remote_commit = get_remote_commit(in);
  if (in.flag()) {
    WaitingForRevocation w;
    w.next = get_remote_commit(in);
    w.sent_after_local_number = in.u64();
    s.waiting = w;
  }
  s.remote_next_point = in.fixed<wire::Point>();
  bool bad_kind = false;
  s.ours = get_log(in, bad_kind);
  s.theirs = get_log(in, bad_kind);
  s.next_htlc_id_ours = in.u64();
  s.next_htlc_id_theirs = in.u64();
  s.remote_secrets = in.bytes();
  s.local_upfront_shutdown_script = in.bytes();
  s.remote_upfront_shutdown_script = in.bytes();
  s.local_shutdown_script = in.bytes();
  s.remote_shutdown_script = in.bytes();
  s.shutdown_sent = in.flag();
  s.shutdown_received = in.flag();
  s.closing_fee_sent = get_opt_sat(in);
  s.closing_fee_received = get_opt_sat(in);
  s.closing_tx = in.bytes();
  s.local_data_loss = in.flag();
  (void)in.bytes();  // extensions
  if (!in.ok() || bad_kind) return fail("channel record: truncated or malformed");
  if (!in.done()) return fail("channel record: trailing bytes");
  return s;
}

}  // namespace fulgur::channel
