// A channel between A (us, the opener, whose resolver is under test) and B (the peer) on
// l1sim's chain, in process: the funding output is a real UTXO, commitments are built with
// the BOLT 3 builders from both sides' keys and signed by both, and every transaction the
// resolver hands out goes through l1sim's mempool acceptance (lib/bitcoin's interpreter,
// BIP 68/113 locks, fees) and then into blocks. B's own spends (preimage claims, timeouts,
// second-stage transactions, cheating) are built here too.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "channel/commitment.h"
#include "channel/htlc_tx.h"
#include "channel/local_keys.h"
#include "channel/onchain.h"
#include "channel/shachain.h"
#include "channel/sign.h"
#include "channel/spends.h"
#include "core/chainstate.h"
#include "core/script_verify.h"
#include "core/wallet.h"
#include "crypto/hash.h"

namespace fulgur::channel::onchain::test {

using bitcoin::OutPoint;
using bitcoin::Script;
using bitcoin::Transaction;

inline crypto::Secret32 seed_of(uint8_t b) {
  std::array<uint8_t, 32> s{};
  s.fill(b);
  return crypto::Secret32(std::span<const uint8_t, 32>(s));
}
inline Preimage preimage_of(uint8_t b) {
  std::array<uint8_t, 32> p{};
  p.fill(b);
  p[0] = 0x5a;
  return Preimage(p);
}
inline PaymentHash hash_of(const Preimage& p) {
  return PaymentHash(crypto::sha256(p.span()).array());
}
inline Sat fee_of(const l1sim::ChainState& chain, const Transaction& tx,
                  const std::map<OutPoint, bitcoin::TxOut>& spent) {
  (void)chain;
  uint64_t in = 0, out = 0;
  for (const auto& i : tx.inputs) in += spent.at(i.prevout).amount.value();
  for (const auto& o : tx.outputs) out += o.amount.value();
  return Sat(in - out);
}

// l1sim's chain and wallet with mature coins.
class TestChain {
 public:
  TestChain()
      : chain(l1sim::make_input_verifier()), wallet([this] {
          std::array<uint8_t, 32> k{};
          k[31] = static_cast<uint8_t>(++m_keys);
          k[30] = static_cast<uint8_t>(m_keys >> 8);
          k[0] = 0x42;
          return std::move(crypto::SecretKey::from_bytes(k)).value();
        }) {
    miner = new_script();
    mine(110);
  }

  Script new_script() {
    return *bitcoin::segwit_address_to_script(bitcoin::Network::Regtest, wallet.new_address());
  }
  void mine(int n = 1) {
    for (int i = 0; i < n; ++i) chain.mine(miner);
  }
  uint32_t height() const { return chain.height(); }
  // "accepted", or l1sim's reject text.
  std::string accept(const Transaction& tx) {
    auto r = chain.accept(tx, false);
    return r.ok() ? "accepted" : r.error().to_string();
  }
  // A confirmed output of `amount` paying `spk`.
  OutPoint fund_output(const Script& spk, Sat amount) {
    Transaction tx;
    tx.outputs.push_back({amount, spk});
    auto funded = wallet.fund(chain, tx, 2000, std::nullopt);
    EXPECT_TRUE(funded.ok());
    Transaction out = funded->tx;
    EXPECT_TRUE(wallet.sign(chain, out).empty());
    EXPECT_EQ(accept(out), "accepted");
    mine();
    for (uint32_t i = 0; i < out.outputs.size(); ++i) {
      if (out.outputs[i].script_pubkey == spk) return OutPoint{out.txid(), i};
    }
    ADD_FAILURE() << "funding output missing";
    return {};
  }
  // Adds wallet inputs (and change) after input 0 / output 0 so that `tx` pays
  // `feerate_perkw` once input 0 carries a witness of `input0_witness_size` bytes, and signs
  // the wallet's inputs. Input 0 is left for the caller to sign.
  Transaction fund_after_input0(Transaction tx, size_t input0_witness_items_size,
                                FeeratePerKw feerate) {
    tx.inputs[0].witness = {Bytes(input0_witness_items_size, 0)};
    auto funded = wallet.fund(chain, tx, feerate.value() * 4, std::nullopt);
    EXPECT_TRUE(funded.ok()) << (funded.ok() ? "" : funded.error().message);
    Transaction out = funded->tx;
    out.inputs[0].witness.clear();
    auto errors = wallet.sign(chain, out);
    for (const auto& e : errors) EXPECT_EQ(e.input, 0u) << e.error;
    return out;
  }
  const std::vector<Transaction>& block_txs(uint32_t height) const {
    return chain.find_block(*chain.hash_at(height))->block.transactions;
  }
  // Where the transaction spending `outpoint` confirmed, if it did.
  std::optional<Transaction> spender(const OutPoint& outpoint) const {
    for (uint32_t h = 1; h <= chain.height(); ++h) {
      for (const auto& tx : block_txs(h)) {
        for (const auto& in : tx.inputs) {
          if (in.prevout == outpoint) return tx;
        }
      }
    }
    return std::nullopt;
  }
  std::optional<bitcoin::TxOut> output(const OutPoint& p) const {
    for (uint32_t h = 1; h <= chain.height(); ++h) {
      for (const auto& tx : block_txs(h)) {
        if (tx.txid() == p.txid && p.vout < tx.outputs.size()) return tx.outputs[p.vout];
      }
    }
    return std::nullopt;
  }

  int m_keys = 0;
  l1sim::ChainState chain;
  l1sim::Wallet wallet;
  Script miner;
};

struct Party {
  crypto::Secret32 seed;
  LocalChannelSecrets keys;
  explicit Party(uint8_t b) : seed(seed_of(b)), keys(derive_channel_secrets(seed, 7)) {}
  Basepoints basepoints() const { return keys.basepoint_secrets.basepoints(); }
  crypto::Secret32 secret(uint64_t n) const {
    return generate_from_seed(keys.shachain_seed, shachain_index(n));
  }
  crypto::PublicKey point(uint64_t n) const { return *per_commitment_point(secret(n)); }
};

inline Htlc htlc(bool offered_by_us, uint64_t id, uint64_t sat, const Preimage& p, uint32_t cltv) {
  return Htlc{offered_by_us, id, Msat(sat * 1000), hash_of(p), cltv};
}

// The channel: A is us (opener), B the peer.
class TestChannel {
 public:
  TestChannel(ChannelType t, TestChain& chain) : type(t), m_chain(chain) {
    funding = chain.fund_output(
        bitcoin::p2wsh_for_script(funding_script(a.keys.funding_secret.public_key(),
                                                 b.keys.funding_secret.public_key())),
        funding_amount);
  }

  // A commitment from A's view with `htlcs`; to_them is what is left after to_us.
  Commitment commitment(uint64_t number, uint64_t to_them_sat, std::vector<Htlc> htlcs) const {
    Commitment c;
    c.number = number;
    c.feerate = feerate;
    uint64_t used = to_them_sat * 1000;
    for (const Htlc& h : htlcs) used += h.amount.value();
    c.to_them = Msat(to_them_sat * 1000);
    c.to_us = Msat(funding_amount.value() * 1000 - used);
    c.htlcs = std::move(htlcs);
    return c;
  }

  uint64_t obscuring() const {
    return obscuring_factor(a.basepoints().payment_basepoint, b.basepoints().payment_basepoint);
  }
  const Party& holder(bool holder_a) const { return holder_a ? a : b; }
  CommitmentKeys keys(bool holder_a, uint64_t n) const {
    return *derive_commitment_keys(holder(holder_a).point(n), holder(holder_a).basepoints(),
                                   holder(!holder_a).basepoints());
  }
  // BOLT 3 from the holder's side, written out independently of the resolver's mapping.
  CommitmentSpec spec(bool holder_a, const Commitment& c) const {
    std::vector<channel::Htlc> hs;
    for (const Htlc& h : c.htlcs) {
      bool offered_by_holder = h.offered_by_us == holder_a;
      hs.push_back({offered_by_holder ? HtlcDirection::Offered : HtlcDirection::Received,
                    h.amount, h.payment_hash, h.cltv_expiry});
    }
    return CommitmentSpec{
        .type = type,
        .funding_outpoint = funding,
        .funding_amount = funding_amount,
        .local_funding_pubkey = holder(holder_a).keys.funding_secret.public_key(),
        .remote_funding_pubkey = holder(!holder_a).keys.funding_secret.public_key(),
        .local_is_opener = holder_a,
        .commitment_number = c.number,
        .obscuring_factor = obscuring(),
        .to_self_delay = CltvDelta(holder_a ? a_delay : b_delay),
        .dust_limit = holder_a ? a_dust : b_dust,
        .feerate = c.feerate,
        .to_local = holder_a ? c.to_us : c.to_them,
        .to_remote = holder_a ? c.to_them : c.to_us,
        .htlcs = std::move(hs)};
  }
  CommitmentTx built(bool holder_a, const Commitment& c) const {
    auto tx = build_commitment_tx(spec(holder_a, c), keys(holder_a, c.number));
    EXPECT_TRUE(tx.ok());
    return *tx;
  }
  Transaction signed_commitment(bool holder_a, const Commitment& c) const {
    CommitmentTx ct = built(holder_a, c);
    Transaction tx = ct.tx;
    auto sig_a = sign_funding_input(tx, ct.funding_witness_script, funding_amount,
                                    a.keys.funding_secret);
    auto sig_b = sign_funding_input(tx, ct.funding_witness_script, funding_amount,
                                    b.keys.funding_secret);
    tx.inputs[0].witness = funding_witness(a.keys.funding_secret.public_key(),
                                           with_sighash(sig_a, SIGHASH_ALL),
                                           b.keys.funding_secret.public_key(),
                                           with_sighash(sig_b, SIGHASH_ALL));
    return tx;
  }
  // The countersigner's HTLC key for a commitment of the holder.
  crypto::SecretKey htlc_key(bool of_a, bool holder_a, uint64_t n) const {
    return *derive_privkey(holder(of_a).keys.basepoint_secrets.htlc_basepoint_secret,
                           holder(holder_a).point(n));
  }
  // B's signatures on A's HTLC transactions, in output order (what commitment_signed carries).
  std::vector<SigBytes> sigs_for_a(const Commitment& c) const {
    CommitmentTx ct = built(true, c);
    auto htlc_txs = build_htlc_txs(spec(true, c), ct, keys(true, c.number));
    EXPECT_TRUE(htlc_txs.ok());
    std::vector<SigBytes> sigs;
    for (const HtlcTx& h : *htlc_txs) {
      sigs.push_back(
          sign_htlc_tx(h, htlc_key(false, true, c.number), remote_htlc_sighash_type(type))
              .to_compact());
    }
    return sigs;
  }
  ShachainStore b_secrets(uint64_t revealed) const {
    ShachainStore store;
    for (uint64_t n = 0; n < revealed; ++n) {
      EXPECT_TRUE(store.insert(shachain_index(n), b.secret(n)).ok());
    }
    return store;
  }
  ChannelInfo info(const Script& sweep) const {
    ChannelInfo i;
    i.key_index = 7;
    i.type = type;
    i.funding_outpoint = funding;
    i.funding_amount = funding_amount;
    i.we_are_opener = true;
    Basepoints bb = b.basepoints();
    i.remote_funding_pubkey = b.keys.funding_secret.public_key().serialize();
    i.remote_revocation_basepoint = bb.revocation_basepoint.serialize();
    i.remote_payment_basepoint = bb.payment_basepoint.serialize();
    i.remote_delayed_payment_basepoint = bb.delayed_payment_basepoint.serialize();
    i.remote_htlc_basepoint = bb.htlc_basepoint.serialize();
    i.our_to_self_delay = a_delay;
    i.their_to_self_delay = b_delay;
    i.our_dust_limit = a_dust;
    i.their_dust_limit = b_dust;
    i.sweep_script = sweep;
    return i;
  }
  // A's snapshot: its commitment `local`, B's `remote` with every earlier secret revealed.
  Snapshot snapshot(const Commitment& local, const Commitment& remote,
                    std::optional<Commitment> next = std::nullopt) const {
    Snapshot s;
    s.local = local;
    s.local_htlc_signatures = sigs_for_a(local);
    s.remote = remote;
    s.remote_point = b.point(remote.number).serialize();
    if (next) {
      s.remote_next = next;
      s.remote_next_point = b.point(next->number).serialize();
    }
    s.remote_secrets = b_secrets(remote.number).to_bytes();
    s.local_shutdown_script = a_shutdown.bytes();
    s.remote_shutdown_script = b_shutdown.bytes();
    return s;
  }

  // ---- B's transactions ----

  // The output of commitment `ct` holding the HTLC with `id` offered by A or B.
  uint32_t vout_of(bool holder_a, const Commitment& c, bool offered_by_a, uint64_t id) const {
    CommitmentTx ct = built(holder_a, c);
    for (uint32_t i = 0; i < ct.outputs.size(); ++i) {
      const auto& o = ct.outputs[i];
      if (o.kind != OutputKind::OfferedHtlc && o.kind != OutputKind::ReceivedHtlc) continue;
      const Htlc& h = c.htlcs[o.htlc_index];
      if (h.offered_by_us == offered_by_a && h.id == id) return i;
    }
    ADD_FAILURE() << "no output for HTLC " << id;
    return 0;
  }
  // B spends an HTLC output of A's commitment directly (preimage for one A offered, timeout
  // for one A received), paying b_sweep.
  Transaction b_direct_spend(const Commitment& c, uint32_t vout,
                             std::optional<Preimage> preimage) const {
    CommitmentTx ct = built(true, c);
    OutPoint op{ct.tx.txid(), vout};
    Sat amount = ct.tx.outputs[vout].amount;
    const Script& script = ct.outputs[vout].witness_script;
    SweepInput in = preimage
                        ? offered_htlc_preimage_input(type, op, amount, script, *preimage)
                        : received_htlc_timeout_input(type, op, amount, script,
                                                      c.htlcs[ct.outputs[vout].htlc_index].cltv_expiry);
    auto sweep = build_sweep_tx({in}, b_sweep, FeeratePerKw(1000));
    EXPECT_TRUE(sweep.ok());
    auto key = htlc_key(false, true, c.number);
    EXPECT_TRUE(sign_sweep_input(*sweep, 0, &key).ok());
    return sweep->tx;
  }
  // B's HTLC-timeout / HTLC-success for output `vout` of its own commitment `c` (A signed it
  // as countersigner). With anchors the zero-fee transaction is funded from the wallet.
  Transaction b_htlc_tx(const Commitment& c, uint32_t vout, std::optional<Preimage> preimage) {
    CommitmentSpec sp = spec(false, c);
    CommitmentTx ct = built(false, c);
    CommitmentKeys k = keys(false, c.number);
    auto htx = build_htlc_tx(sp, ct, k, vout);
    EXPECT_TRUE(htx.ok());
    Transaction tx = htx->tx;
    if (type == ChannelType::Anchors) {
      tx = m_chain.fund_after_input0(tx, 1 + 74 + 74 + 33 + 140, FeeratePerKw(1000));
    }
    HtlcTx signed_htx = *htx;
    signed_htx.tx = tx;
    uint8_t remote_type = remote_htlc_sighash_type(type);
    Bytes remote = with_sighash(sign_htlc_tx(signed_htx, htlc_key(true, false, c.number), remote_type),
                                remote_type);
    Bytes local = with_sighash(sign_htlc_tx(signed_htx, htlc_key(false, false, c.number), SIGHASH_ALL),
                               SIGHASH_ALL);
    tx.inputs[0].witness = preimage ? htlc_success_witness(*htx, remote, local, *preimage)
                                    : htlc_timeout_witness(*htx, remote, local);
    return tx;
  }
  // The mutual close paying both shutdown scripts (or other scripts).
  Transaction closing(Msat to_us, Sat fee, std::optional<Script> ours = std::nullopt,
                      std::optional<Script> theirs = std::nullopt) const {
    ClosingSpec cs;
    cs.funding_outpoint = funding;
    cs.funding_amount = funding_amount;
    cs.to_local = to_us;
    cs.to_remote = Msat(funding_amount.value() * 1000 - to_us.value());
    cs.local_is_opener = true;
    cs.fee = fee;
    cs.dust_limit = a_dust;
    cs.local_scriptpubkey = ours ? *ours : a_shutdown;
    cs.remote_scriptpubkey = theirs ? *theirs : b_shutdown;
    Transaction tx = *build_closing_tx(cs);
    Script fs = funding_script(a.keys.funding_secret.public_key(), b.keys.funding_secret.public_key());
    auto sa = sign_funding_input(tx, fs, funding_amount, a.keys.funding_secret);
    auto sb = sign_funding_input(tx, fs, funding_amount, b.keys.funding_secret);
    tx.inputs[0].witness = funding_witness(a.keys.funding_secret.public_key(), with_sighash(sa, 1),
                                           b.keys.funding_secret.public_key(), with_sighash(sb, 1));
    return tx;
  }

  ChannelType type;
  TestChain& m_chain;
  Party a{1};
  Party b{2};
  uint16_t a_delay = 12;  // CSV on A's outputs (B's choice)
  uint16_t b_delay = 15;  // CSV on B's outputs (A's choice)
  Sat a_dust{546};
  Sat b_dust{546};
  Sat funding_amount{1'000'000};
  FeeratePerKw feerate{1000};
  Script a_shutdown = m_chain.new_script();
  Script b_shutdown = m_chain.new_script();
  Script b_sweep = m_chain.new_script();
  OutPoint funding;
};

// A's resolver fed from the chain block by block, its actions carried out: broadcasts go
// through l1sim's acceptance, FundHtlcTx through l1sim's wallet, records are kept for
// restarts.
class Driver {
 public:
  Driver(TestChain& chain, const crypto::Secret32& seed, ChannelInfo info,
         const Snapshot& snapshot, Config config)
      : m_chain(chain), m_seed(seed.clone()), m_config(config) {
    sweep = chain.new_script();
    info.sweep_script = sweep;
    auto r = Resolver::create(config, seed, std::move(info), snapshot);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    m_r.emplace(std::move(*r));
    m_start = chain.height();
    handle(m_r->on_block(BlockHeight(m_start), {}));
    m_fed[m_start] = *chain.chain.hash_at(m_start);
  }
  Driver(TestChain& chain, TestChannel& ch, const Snapshot& snapshot, Config config)
      : Driver(chain, ch.a.seed, ch.info(Script()), snapshot, config) {}

  Resolver& r() { return *m_r; }

  // FundHtlcTx requests are answered after the whole batch, as a wallet would (the record
  // that complete_htlc_tx returns is newer than the batch's).
  void handle(Outputs out) {
    std::vector<FundHtlcTx> to_fund;
    for (auto& a : out.actions) {
      if (auto* p = std::get_if<PersistRecord>(&a)) {
        record = p->record;
      } else if (auto* b = std::get_if<Broadcast>(&a)) {
        on_broadcast(*b);
      } else if (auto* f = std::get_if<FundHtlcTx>(&a)) {
        fund_requests.push_back(*f);
        if (fund_htlc_txs) to_fund.push_back(*f);
      } else if (auto* c = std::get_if<CpfpNeeded>(&a)) {
        cpfp.push_back(*c);
      } else if (auto* e = std::get_if<Event>(&a)) {
        events.push_back(*e);
      }
    }
    for (const auto& f : to_fund) on_fund(f);
  }
  void handle(Result<Outputs> out) {
    ASSERT_TRUE(out.ok()) << out.error().message;
    handle(std::move(*out));
  }

  void on_broadcast(const Broadcast& b) {
    Txid txid = b.tx.txid();
    if (!first_broadcast.count(txid)) {
      first_broadcast[txid] = m_chain.height();
      broadcasts.push_back(b);
    }
    ++broadcast_count[txid];
    if (!submit) return;
    auto r = m_chain.chain.accept(b.tx, false);
    if (r.ok()) return;
    auto kind = r.error().kind;
    if (kind == l1sim::RejectKind::AlreadyInMempool || kind == l1sim::RejectKind::AlreadyInChain) {
      return;
    }
    rejects.push_back(std::string(to_string(b.kind)) + " at tip " +
                      std::to_string(m_chain.height()) + ": " + r.error().to_string());
  }

  void on_fund(const FundHtlcTx& f) {
    Transaction tx = m_chain.fund_after_input0(
        f.tx, f.weight - f.tx.weight() - 2, f.feerate);
    handle(m_r->complete_htlc_tx(f.htlc_outpoint, tx));
  }

  // Feeds the chain's blocks the resolver has not seen, disconnecting what a reorg removed.
  void sync() {
    while (!m_fed.empty()) {
      auto [h, hash] = *m_fed.rbegin();
      auto now = m_chain.chain.hash_at(h);
      if (h <= m_chain.height() && now && *now == hash) break;
      handle(m_r->on_block_disconnected(BlockHeight(h)));
      m_fed.erase(h);
      maybe_restart();
    }
    uint32_t from = m_fed.empty() ? m_start : m_fed.rbegin()->first + 1;
    for (uint32_t h = from; h <= m_chain.height(); ++h) {
      handle(m_r->on_block(BlockHeight(h), m_chain.block_txs(h)));
      m_fed[h] = *m_chain.chain.hash_at(h);
      maybe_restart();
    }
  }
  void mine(int n = 1) {
    for (int i = 0; i < n; ++i) {
      m_chain.mine();
      sync();
    }
  }
  // Mines until the resolver reports ResolutionFinished (or `limit` blocks).
  void run_to_end(int limit = 400) {
    for (int i = 0; i < limit && !finished(); ++i) mine();
  }
  void restart() {
    auto r = Resolver::restore(m_config, m_seed, record);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->record(), record);
    m_r.emplace(std::move(*r));
    ++restarts;
  }
  void maybe_restart() {
    if (restart_every_block) restart();
  }

  template <typename E>
  std::vector<E> events_of() const {
    std::vector<E> found;
    for (const auto& e : events) {
      if (auto* x = std::get_if<E>(&e)) found.push_back(*x);
    }
    return found;
  }
  bool finished() const { return !events_of<event::ResolutionFinished>().empty(); }
  // Our broadcasts of one kind, in order.
  std::vector<Transaction> of_kind(ClaimKind kind) const {
    std::vector<Transaction> out;
    for (const auto& b : broadcasts) {
      if (b.kind == kind) out.push_back(b.tx);
    }
    return out;
  }
  // What the confirmed transactions of ours paid to the sweep script.
  Sat swept() const {
    uint64_t total = 0;
    for (const auto& b : broadcasts) {
      if (!m_chain.chain.find_tx(b.tx.txid())) continue;
      for (const auto& o : b.tx.outputs) {
        if (o.script_pubkey == sweep) total += o.amount.value();
      }
    }
    return Sat(total);
  }

  TestChain& m_chain;
  crypto::Secret32 m_seed;
  Config m_config;
  std::optional<Resolver> m_r;
  uint32_t m_start = 0;
  std::map<uint32_t, BlockHash> m_fed;
  Script sweep;
  Bytes record;
  bool submit = true;
  bool fund_htlc_txs = true;
  bool restart_every_block = false;
  int restarts = 0;
  std::vector<Event> events;
  std::vector<Broadcast> broadcasts;  // each distinct transaction once, in order
  std::map<Txid, uint32_t> first_broadcast;  // txid -> chain height when first handed out
  std::map<Txid, int> broadcast_count;
  std::vector<FundHtlcTx> fund_requests;
  std::vector<CpfpNeeded> cpfp;
  std::vector<std::string> rejects;
};

}  // namespace fulgur::channel::onchain::test
