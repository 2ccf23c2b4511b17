// The resolver's persisted record. Layout: u16 version, then every field in declaration
// order with lib/bitcoin's encoding (little-endian integers, CompactSize counts, transactions
// in their witness serialization), then a CompactSize-length extension blob that later
// versions fill and this one skips. No secret is stored except the peer's revealed
// per-commitment secrets (penalty data, as in the channel record). Every count is checked
// against the bytes left and every key and enum is checked: a bad record is an error.
#include <algorithm>

#include "bitcoin/serialize.h"
#include "channel/onchain.h"
#include "channel/shachain.h"
#include "crypto/hash.h"

namespace fulgur::channel::onchain {

using bitcoin::OutPoint;
using bitcoin::Transaction;

namespace {
constexpr uint16_t VERSION = 1;

class Out {
 public:
  void u8(uint8_t v) { m_w.u8(v); }
  void flag(bool v) { m_w.u8(v ? 1 : 0); }
  void u16(uint16_t v) { m_w.u16(v); }
  void u32(uint32_t v) { m_w.u32(v); }
  void u64(uint64_t v) { m_w.u64(v); }
  void count(size_t n) { m_w.compact_size(n); }
  void bytes(ByteSpan b) { m_w.var_bytes(b); }
  void raw(ByteSpan b) { m_w.bytes(b); }
  void tx(const Transaction& t) { bitcoin::write_transaction(m_w, t, true); }
  void outpoint(const OutPoint& p) {
    raw(p.txid.span());
    u32(p.vout);
  }
  Bytes take() { return m_w.take(); }

 private:
  bitcoin::Writer m_w;
};

// A reader that remembers its first failure; every value read after it is zero.
class In {
 public:
  explicit In(ByteSpan b) : m_r(b) {}
  bool ok() const { return m_ok; }
  bool done() const { return m_r.empty(); }
  void bad() { m_ok = false; }
  template <typename T>
  T get(Result<T> r) {
    if (!m_ok || !r) {
      m_ok = false;
      return T{};
    }
    return *r;
  }
  uint8_t u8() { return m_ok ? get(m_r.u8()) : 0; }
  bool flag() {
    uint8_t v = u8();
    if (v > 1) m_ok = false;
    return v == 1;
  }
  uint16_t u16() { return m_ok ? get(m_r.u16()) : 0; }
  uint32_t u32() { return m_ok ? get(m_r.u32()) : 0; }
  uint64_t u64() { return m_ok ? get(m_r.u64()) : 0; }
  Bytes bytes() { return m_ok ? get(m_r.var_bytes()) : Bytes{}; }
  template <size_t N>
  std::array<uint8_t, N> arr() {
    std::array<uint8_t, N> out{};
    if (!m_ok) return out;
    auto span = m_r.bytes(N);
    if (!span) {
      m_ok = false;
      return out;
    }
    std::copy(span->begin(), span->end(), out.begin());
    return out;
  }
  template <typename F>
  F fixed() {
    return F(arr<F::SIZE>());
  }
  // A count of elements of at least `min_size` bytes each: never more than the bytes left.
  size_t count(size_t min_size) {
    uint64_t n = m_ok ? get(m_r.compact_size()) : 0;
    if (m_ok && n * min_size > m_r.remaining()) m_ok = false;
    return m_ok ? static_cast<size_t>(n) : 0;
  }
  Transaction tx() {
    if (!m_ok) return {};
    auto t = bitcoin::read_transaction(m_r);
    // A transaction without inputs cannot be told from the witness marker: we store none.
    if (!t || t->inputs.empty()) {
      m_ok = false;
      return {};
    }
    return *t;
  }
  OutPoint outpoint() {
    OutPoint p;
    p.txid = fixed<Txid>();
    p.vout = u32();
    return p;
  }
  template <typename E>
  E enumeration(E last) {
    uint8_t v = u8();
    if (v > static_cast<uint8_t>(last)) m_ok = false;
    return m_ok ? static_cast<E>(v) : E{};
  }

 private:
  bitcoin::Reader m_r;
  bool m_ok = true;
};

void put_htlc(Out& o, const Htlc& h) {
  o.flag(h.offered_by_us);
  o.u64(h.id);
  o.u64(h.amount.value());
  o.raw(h.payment_hash.span());
  o.u32(h.cltv_expiry);
}
Htlc get_htlc(In& in) {
  Htlc h;
  h.offered_by_us = in.flag();
  h.id = in.u64();
  h.amount = Msat(in.u64());
  h.payment_hash = in.fixed<PaymentHash>();
  h.cltv_expiry = in.u32();
  return h;
}
constexpr size_t HTLC_SIZE = 1 + 8 + 8 + 32 + 4;

void put_commitment(Out& o, const Commitment& c) {
  o.u64(c.number);
  o.u32(c.feerate.value());
  o.u64(c.to_us.value());
  o.u64(c.to_them.value());
  o.count(c.htlcs.size());
  for (const Htlc& h : c.htlcs) put_htlc(o, h);
}
Commitment get_commitment(In& in) {
  Commitment c;
  c.number = in.u64();
  c.feerate = FeeratePerKw(in.u32());
  c.to_us = Msat(in.u64());
  c.to_them = Msat(in.u64());
  size_t n = in.count(HTLC_SIZE);
  for (size_t i = 0; i < n && in.ok(); ++i) c.htlcs.push_back(get_htlc(in));
  return c;
}

void put_info(Out& o, const ChannelInfo& i) {
  o.u64(i.key_index);
  o.u8(static_cast<uint8_t>(i.type));
  o.outpoint(i.funding_outpoint);
  o.u64(i.funding_amount.value());
  o.flag(i.we_are_opener);
  for (const PointBytes* p : {&i.remote_funding_pubkey, &i.remote_revocation_basepoint,
                              &i.remote_payment_basepoint, &i.remote_delayed_payment_basepoint,
                              &i.remote_htlc_basepoint}) {
    o.raw(*p);
  }
  o.u16(i.our_to_self_delay);
  o.u16(i.their_to_self_delay);
  o.u64(i.our_dust_limit.value());
  o.u64(i.their_dust_limit.value());
  o.bytes(i.sweep_script.bytes());
}
ChannelInfo get_info(In& in) {
  ChannelInfo i;
  i.key_index = in.u64();
  i.type = in.enumeration(ChannelType::Anchors);
  i.funding_outpoint = in.outpoint();
  i.funding_amount = Sat(in.u64());
  i.we_are_opener = in.flag();
  for (PointBytes* p : {&i.remote_funding_pubkey, &i.remote_revocation_basepoint,
                        &i.remote_payment_basepoint, &i.remote_delayed_payment_basepoint,
                        &i.remote_htlc_basepoint}) {
    *p = in.arr<33>();
  }
  i.our_to_self_delay = in.u16();
  i.their_to_self_delay = in.u16();
  i.our_dust_limit = Sat(in.u64());
  i.their_dust_limit = Sat(in.u64());
  i.sweep_script = bitcoin::Script(in.bytes());
  return i;
}

void put_snapshot(Out& o, const Snapshot& s) {
  put_commitment(o, s.local);
  o.count(s.local_htlc_signatures.size());
  for (const SigBytes& sig : s.local_htlc_signatures) o.raw(sig);
  put_commitment(o, s.remote);
  o.raw(s.remote_point);
  o.flag(s.remote_next.has_value());
  if (s.remote_next) {
    put_commitment(o, *s.remote_next);
    o.raw(s.remote_next_point);
  }
  o.bytes(s.remote_secrets);
  o.bytes(s.local_shutdown_script);
  o.bytes(s.remote_shutdown_script);
}
Snapshot get_snapshot(In& in) {
  Snapshot s;
  s.local = get_commitment(in);
  size_t n = in.count(64);
  for (size_t i = 0; i < n && in.ok(); ++i) s.local_htlc_signatures.push_back(in.arr<64>());
  s.remote = get_commitment(in);
  s.remote_point = in.arr<33>();
  if (in.flag()) {
    s.remote_next = get_commitment(in);
    s.remote_next_point = in.arr<33>();
  }
  s.remote_secrets = in.bytes();
  s.local_shutdown_script = in.bytes();
  s.remote_shutdown_script = in.bytes();
  return s;
}

void put_output(Out& o, const TrackedOutput& t) {
  o.outpoint(t.outpoint);
  o.u64(t.amount.value());
  o.u8(static_cast<uint8_t>(t.role));
  o.bytes(t.witness_script.bytes());
  o.u32(t.created_height);
  o.flag(t.htlc.has_value());
  if (t.htlc) put_htlc(o, *t.htlc);
  o.u32(t.htlc_sig_index);
  o.flag(t.spent_by.has_value());
  if (t.spent_by) {
    o.raw(t.spent_by->span());
    o.u32(t.spent_height);
    o.flag(t.spent_by_us);
  }
  o.count(t.our_txids.size());
  for (const Txid& id : t.our_txids) o.raw(id.span());
  o.flag(t.abandoned);
  o.flag(t.reported);
  o.flag(t.htlc_reported);
}
TrackedOutput get_output(In& in) {
  TrackedOutput t;
  t.outpoint = in.outpoint();
  t.amount = Sat(in.u64());
  t.role = in.enumeration(OutputRole::RevokedHtlcTxOutput);
  t.witness_script = bitcoin::Script(in.bytes());
  t.created_height = in.u32();
  if (in.flag()) t.htlc = get_htlc(in);
  t.htlc_sig_index = in.u32();
  if (in.flag()) {
    t.spent_by = in.fixed<Txid>();
    t.spent_height = in.u32();
    t.spent_by_us = in.flag();
  }
  size_t n = in.count(32);
  for (size_t i = 0; i < n && in.ok(); ++i) t.our_txids.push_back(in.fixed<Txid>());
  t.abandoned = in.flag();
  t.reported = in.flag();
  t.htlc_reported = in.flag();
  return t;
}

void put_claim(Out& o, const Claim& c) {
  o.u8(static_cast<uint8_t>(c.kind));
  o.tx(c.tx);
  o.count(c.claimed.size());
  for (const OutPoint& p : c.claimed) o.outpoint(p);
  o.u32(c.feerate.value());
  o.u32(c.built_height);
  o.flag(c.confirmed_height.has_value());
  if (c.confirmed_height) o.u32(*c.confirmed_height);
  o.flag(c.reported);
}
Claim get_claim(In& in) {
  Claim c;
  c.kind = in.enumeration(ClaimKind::Penalty);
  c.tx = in.tx();
  size_t n = in.count(36);
  for (size_t i = 0; i < n && in.ok(); ++i) c.claimed.push_back(in.outpoint());
  c.feerate = FeeratePerKw(in.u32());
  c.built_height = in.u32();
  if (in.flag()) c.confirmed_height = in.u32();
  c.reported = in.flag();
  return c;
}

void put_spend(Out& o, const FundingSpend& s) {
  o.tx(s.tx);
  o.u32(s.height);
  o.u8(static_cast<uint8_t>(s.kind));
  o.u64(s.commitment_number);
  o.raw(s.point);
  o.flag(s.reported);
}
FundingSpend get_spend(In& in) {
  FundingSpend s;
  s.tx = in.tx();
  s.height = in.u32();
  s.kind = in.enumeration(SpendKind::Unknown);
  s.commitment_number = in.u64();
  s.point = in.arr<33>();
  s.reported = in.flag();
  return s;
}
}  // namespace

struct RecordCodec {
  static Bytes encode(const Resolver& r) {
    Out o;
    o.u16(VERSION);
    put_info(o, r.m_info);
    put_snapshot(o, r.m_snapshot);
    o.count(r.m_history.size());
    for (const HtlcHistory& e : r.m_history) {
      put_htlc(o, e.htlc);
      o.u64(e.first_remote_number);
      o.u64(e.last_remote_number);
    }
    o.count(r.m_preimages.size());
    for (const auto& [hash, preimage] : r.m_preimages) o.raw(preimage.span());
    o.u32(r.m_tip);
    o.u32(r.m_feerate.value());
    o.u8(static_cast<uint8_t>(r.m_phase));
    o.flag(r.m_finish_reported);
    o.flag(r.m_local_broadcast.has_value());
    if (r.m_local_broadcast) o.tx(*r.m_local_broadcast);
    o.flag(r.m_spend.has_value());
    if (r.m_spend) put_spend(o, *r.m_spend);
    o.count(r.m_outputs.size());
    for (const TrackedOutput& t : r.m_outputs) put_output(o, t);
    o.count(r.m_claims.size());
    for (const Claim& c : r.m_claims) put_claim(o, c);
    o.bytes({});  // extensions (none in version 1)
    return o.take();
  }

  static Status decode(Resolver& r, In& in) {
    ChannelInfo info = get_info(in);
    Snapshot snapshot = get_snapshot(in);
    size_t n = in.count(HTLC_SIZE + 16);
    for (size_t i = 0; i < n && in.ok(); ++i) {
      HtlcHistory e;
      e.htlc = get_htlc(in);
      e.first_remote_number = in.u64();
      e.last_remote_number = in.u64();
      if (e.first_remote_number > e.last_remote_number) in.bad();
      // Each HTLC once.
      if (!r.m_history_index.try_emplace({e.htlc.offered_by_us, e.htlc.id}, i).second) in.bad();
      r.m_history.push_back(e);
    }
    n = in.count(32);
    for (size_t i = 0; i < n && in.ok(); ++i) {
      Preimage p = in.fixed<Preimage>();
      PaymentHash hash(crypto::sha256(p.span()).array());
      if (r.m_preimages.count(hash)) in.bad();  // canonical: each once, in hash order
      if (!r.m_preimages.empty() && hash < r.m_preimages.rbegin()->first) in.bad();
      r.m_preimages.emplace(hash, p);
    }
    r.m_tip = in.u32();
    r.m_feerate = FeeratePerKw(in.u32());
    r.m_phase = in.enumeration(Phase::Finished);
    r.m_finish_reported = in.flag();
    if (in.flag()) r.m_local_broadcast = in.tx();
    if (in.flag()) r.m_spend = get_spend(in);
    n = in.count(36 + 8 + 1 + 1 + 4 + 1 + 4 + 1 + 1 + 3);
    for (size_t i = 0; i < n && in.ok(); ++i) r.m_outputs.push_back(get_output(in));
    n = in.count(1 + 60 + 1 + 4 + 4 + 1 + 1);
    for (size_t i = 0; i < n && in.ok(); ++i) r.m_claims.push_back(get_claim(in));
    (void)in.bytes();  // extensions
    if (!in.ok()) return fail("resolver record: truncated or malformed");
    if (!in.done()) return fail("resolver record: trailing bytes");
    if (info.key_index != r.m_info.key_index) return fail("resolver record: key index");
    if (info.sweep_script.empty()) return fail("resolver record: no sweep script");
    for (const PointBytes* p : {&info.remote_funding_pubkey, &info.remote_revocation_basepoint,
                                &info.remote_payment_basepoint,
                                &info.remote_delayed_payment_basepoint,
                                &info.remote_htlc_basepoint}) {
      if (!crypto::PublicKey::parse(*p)) return fail("resolver record: channel key is not a point");
    }
    r.m_info = std::move(info);
    if (r.m_local_broadcast && (r.m_local_broadcast->inputs.size() != 1 || r.m_spend)) {
      return fail("resolver record: inconsistent commitment broadcast");
    }
    if ((r.m_phase == Phase::Watching) == r.m_spend.has_value()) {
      return fail("resolver record: phase and funding spend disagree");
    }
    return r.load_snapshot(std::move(snapshot));
  }
};

Bytes Resolver::record() const { return RecordCodec::encode(*this); }

Result<Resolver> Resolver::restore(const Config& config, const crypto::Secret32& node_seed,
                                   ByteSpan record) {
  In in(record);
  uint16_t version = in.u16();
  if (!in.ok() || version != VERSION) return fail("resolver record: unsupported version");
  // The key index comes first after the version: our secrets derive from it.
  In peek = in;
  uint64_t key_index = peek.u64();
  if (!peek.ok()) return fail("resolver record: truncated");
  Resolver r(config, node_seed, key_index);
  FULGUR_TRY_STATUS(RecordCodec::decode(r, in));
  return r;
}

}  // namespace fulgur::channel::onchain
