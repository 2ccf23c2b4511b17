// The three-node forwarding simulator's state (see forwarding.h): the nodes with their
// channel machines, payment components and durable records, the two channels, l1sim's chain
// and each node's channel resolvers. Test code: an invariant failure throws SimFailure.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "channel/machine.h"
#include "channel/onchain.h"
#include "core/chainstate.h"
#include "core/wallet.h"
#include "payment/forwards.h"
#include "payment/htlc_switch.h"
#include "payment/payments.h"
#include "payment/registry.h"
#include "sim/forwarding.h"

namespace fulgur::sim::fwd {

struct SimFailure {
  std::string what;
};
[[noreturn]] inline void violated(const std::string& what) { throw SimFailure{what}; }
// Unwinds to the schedule after a node crashed part-way through an action batch.
struct Crashed {};

// splitmix64: portable and deterministic everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : m_s(seed) {}
  uint64_t next() {
    uint64_t z = (m_s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(double p) { return static_cast<double>(next() >> 11) / 9007199254740992.0 < p; }

 private:
  uint64_t m_s;
};

constexpr int A = 0, B = 1, C = 2;
constexpr int AB = 0, BC = 1;

// An incoming HTLC as update_add_htlc brought it (kept by the node's daemon: the channel
// record drops the onion once the HTLC is committed).
struct IncomingRecord {
  Msat amount;
  PaymentHash payment_hash;
  BlockHeight cltv_expiry;
  Bytes onion;
};
// An HTLC the node offered (a payment attempt or a forward), to offer it again when the
// channel dropped it before it was committed.
struct OfferedRecord {
  Msat amount;
  PaymentHash payment_hash;
  BlockHeight cltv_expiry;
  Bytes onion;
};

struct Side {
  int node = 0;
  std::optional<channel::ChannelMachine> m;
  Bytes durable;  // the last persisted record
  // Every record this side persisted, by local commitment number: a breach restores one.
  std::map<uint64_t, Bytes> history;
  // The peer's update_fail_htlc reasons / malformed codes for HTLCs we offered, until the
  // failure is irrevocable (rebuilt from the channel record's update logs after a restart).
  std::map<uint64_t, Bytes> fail_reasons;
  std::map<uint64_t, std::pair<uint16_t, Hash256>> malformed;
  // The on-chain resolver of this side, and its last persisted record.
  std::optional<channel::onchain::Resolver> resolver;
  Bytes resolver_record;
  bitcoin::Script sweep;  // where this side's claims pay
  std::set<PaymentHash> preimages_given;
};

struct Chan {
  Side side[2];  // side 0 opened the channel
  std::deque<Bytes> queue[2];  // queue[i]: from side i to side 1 - i
  bool connected = true;
  Sat funding;
  ChannelId id;
  ShortChannelId scid;
  Msat initial[2];
  int64_t revoked_by[2] = {-1, -1};  // highest commitment number side i revoked to the peer
  bool onchain = false;  // a commitment was handed out: no more off-chain operation
  std::optional<bitcoin::Transaction> funding_tx;
  bitcoin::OutPoint funding_outpoint;
  // The commitment that went to the chain: who broadcast it and whether it was revoked.
  int closer = -1;
  bool breach = false;
  uint64_t breach_number = 0;
  std::optional<Txid> closing_txid;
};

struct Node {
  crypto::Secret32 seed;
  std::optional<crypto::SecretKey> key;
  NodeId id;
  channel::ChannelConfig config;
  // Durable records of the payment layer (key -> record) and of the daemon.
  std::map<Bytes, Bytes> store;
  std::map<std::pair<int, uint64_t>, IncomingRecord> incoming;  // (channel, id)
  std::map<std::pair<int, uint64_t>, OfferedRecord> offered;    // (channel, id)
  // Rebuilt from `store` on restart.
  payment::PaymentTracker payments;
  payment::ForwardTracker forwards;
  std::optional<payment::InvoiceRegistry> registry;
};

enum class PayKind { Normal, FeeTooLow, UnknownScid, WrongSecret };

struct PaymentInfo {
  PayKind kind = PayKind::Normal;
  Preimage preimage;
  Msat amount;
  payment::HtlcKey htlc;
  int endings = 0;  // transitions out of pending seen at A
  payment::PaymentState state = payment::PaymentState::pending;
};

class Simulation {
 public:
  Simulation(uint64_t seed, const ForwardingOptions& o);
  ForwardingResult run();

 private:
  // forwarding.cpp: set-up, the schedule, channel actions, the payment layer.
  void make_nodes();
  void open_channel(int index, int opener, int accepter);
  void open_channels();
  void execute(int ci, int i, channel::Outputs out);
  void on_send(int ci, int i, wire::Message m);
  void on_broadcast(int ci, int i, const channel::BroadcastTx& tx);
  void on_event(int ci, int i, const channel::Event& e);
  void on_funding_needed(int ci, int i, const channel::event::FundingNeeded& f);
  void crash(int node);
  void restore_side(int ci, int i);
  void disconnect(int ci);
  void reconnect(int ci);
  bool deliver_one();
  void random_step();
  void add_payment();
  void settle(int node);
  void reoffer_dropped(int ci, int i);
  void settle_incoming(int ci, int i);
  std::optional<payment::Resolution> decide(int ci, int i, uint64_t id);
  void apply(int ci, int i, const payment::Resolution& r);
  void forward(int ci, int i, uint64_t id, const payment::Forward& f);
  void persist(Node& n, const std::vector<payment::Persist>& records);
  void persist(Node& n, const payment::Persist& record);
  void reload(Node& n);
  void outgoing_fulfilled(int ci, int i, uint64_t id, const Preimage& preimage);
  void outgoing_failed(int ci, int i, uint64_t id);
  void outgoing_failed_on_chain(int ci, int i, uint64_t id);
  void payment_update(const payment::HtlcKey& htlc, payment::PaymentState before);
  void update_table();
  void check_invariants();
  bool quiescent(int ci) const;
  void drain();
  void check_end();
  payment::HtlcKey key(int ci, uint64_t id) const { return {m_chans[ci].id, id}; }
  Node& node_of(int ci, int i) { return m_nodes[m_chans[ci].side[i].node]; }
  int chan_of(const ChannelId& id) const;
  uint64_t now() const { return 1'700'000'000 + static_cast<uint64_t>(m_step) * 7; }
  BlockHeight height() const { return BlockHeight(m_chain.height()); }
  void trace(const std::string& what) const;

  // forwarding_chain.cpp: l1sim's chain, force closes, breaches and the resolvers.
  void mine();
  void notify_blocks(uint32_t from);
  void submit(int ci, int i, const bitcoin::Transaction& tx, const char* what);
  void start_resolver(int ci, int i);
  void update_resolver(int ci, int i);
  void handle_resolver(int ci, int i, channel::onchain::Outputs out);
  void on_resolver_event(int ci, int i, const channel::onchain::Event& e);
  void give_preimages(int ci, int i);
  void force_close(int ci, int i);
  void breach(int ci, int i);
  void went_onchain(int ci);
  bool resolutions_finished() const;
  void check_onchain_end();

  Rng m_rng;
  ForwardingOptions m_opt;
  ForwardingResult m_result;
  Node m_nodes[3];
  Chan m_chans[2];
  payment::ChannelTable m_table;  // B's outgoing channels
  payment::ForwardingPolicy m_policy;
  payment::SwitchConfig m_switch;
  std::map<PaymentHash, PaymentInfo> m_payments;
  l1sim::ChainState m_chain;
  std::optional<l1sim::Wallet> m_wallet;
  bitcoin::Script m_miner;
  uint32_t m_fed = 0;  // the resolvers have seen blocks up to here
  int m_step = 0;
  int m_depth = 0;
  bool m_forcing = false;  // a deliberate close: its error and failure are expected
  bool m_faults = true;
  uint64_t m_keys = 0;
};

}  // namespace fulgur::sim::fwd
