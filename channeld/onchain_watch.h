// On-chain resolution of the node's channels (BOLT 5) wired to the L1: one
// channel::onchain::Resolver per funded channel, given the channel's latest state at every
// group commit, and every block -- connected and disconnected -- from its own follower,
// whose position is durable in the same batch as the resolvers' records (so a restart
// resumes from the last block the records saw, and a reorg during the downtime is undone).
// The claims it hands out go to the L1 (again on every block until they confirm), its
// events to the channel machine and the payments, the anchor CPFP and HTLC transaction
// funding to the L1 wallet.
//
// Must not: hold BOLT 5 rules (lib/channel/onchain), block the loop (L1 calls run on
// AsyncL1), trust what the L1 returns (a bad block is an error, never a crash).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "channel/onchain.h"
#include "channeld/node.h"

namespace fulgur::channeld {

class ChainWatch {
 public:
  // Blocks fed per L1 round trip while catching up.
  static constexpr size_t MAX_BLOCKS_PER_SYNC = 50;
  // Fed blocks remembered (hash by height) to find the fork point of a reorg.
  static constexpr size_t REMEMBERED_BLOCKS = 144;
  // Confirmation target of the feerate sweeps and penalties pay.
  static constexpr uint32_t CONF_TARGET = 6;

  explicit ChainWatch(Node& node);
  ~ChainWatch();
  ChainWatch(const ChainWatch&) = delete;
  ChainWatch& operator=(const ChainWatch&) = delete;

  // At start, after the channels: the resolvers' records and the blocks they saw.
  void restore(const std::map<uint64_t, Bytes>& records, ByteSpan blocks);
  // The L1 is configured: finish what a restart interrupted, start following blocks.
  void start();
  // Tip moved (the node's TipWatcher): sync our blocks with the L1.
  void on_tip_changed() { sync(); }

  // A channel's machine persisted a state: its resolver gets it before the batch leaves.
  void channel_changed(uint64_t key) { m_dirty.insert(key); }
  // Called right before a batch goes to the store.
  void flush();
  // The machine handed out our commitment for broadcast (force close).
  void local_commitment(uint64_t key, const bitcoin::Transaction& tx);
  // A preimage the payment layer learnt off chain: any resolver with that HTLC claims it.
  void preimage_known(const Preimage& preimage);

  std::optional<OnchainView> view(uint64_t key) const;
  // What `tx`, a spend of the channel's funding output, is (lib/channel/onchain.h
  // SpendKind, e.g. "remote_commitment"); "unknown" without a resolver.
  std::string spend_kind(uint64_t key, const bitcoin::Transaction& tx) const;

  struct SyncStep;  // one round of following blocks (onchain_sync.cpp)

 private:
  // A request for the L1 wallet: fund an HTLC transaction, or CPFP our commitment.
  struct WalletJob {
    uint64_t key = 0;
    bitcoin::OutPoint outpoint;  // the HTLC output, or our anchor
    std::optional<channel::onchain::FundHtlcTx> htlc;
    std::optional<channel::onchain::CpfpNeeded> cpfp;
  };

  Node::Channel* channel(uint64_t key) const;
  channel::onchain::Resolver* resolver(uint64_t key) const;
  bool flush_one(uint64_t key);
  void execute(uint64_t key, channel::onchain::Outputs out);
  void execute(uint64_t key, Result<channel::onchain::Outputs> out, const char* what);
  void handle_event(uint64_t key, const channel::onchain::Event& event);
  void on_funding_spent(uint64_t key, const channel::onchain::event::FundingSpent& e);
  // An HTLC we offered was resolved on chain: the switch settles or fails what rode on it.
  void resolve_outgoing(const Node::Channel& c, uint64_t htlc_id,
                        const std::optional<Preimage>& preimage);
  void feed_incoming_preimages(uint64_t key);
  void broadcast(uint64_t key, channel::onchain::ClaimKind kind, const bitcoin::Transaction& tx);

  // Blocks (onchain_sync.cpp).
  void sync();
  void on_sync(chain::ChainResult<SyncStep> step);
  void connect_block(uint32_t height, const BlockHash& hash,
                     const std::vector<bitcoin::Transaction>& txs);
  void disconnect_block(uint32_t height);
  void set_feerate(FeeratePerKw feerate);
  bool wants_every_block(uint64_t key) const;
  std::optional<uint32_t> fed_height() const;
  Bytes encode_blocks() const;

  // The L1 wallet for option_anchors (onchain_wallet.cpp).
  void fund_htlc_tx(uint64_t key, const channel::onchain::FundHtlcTx& request);
  void cpfp(uint64_t key, const channel::onchain::CpfpNeeded& request);
  void run_wallet_jobs();

  Node& m_node;
  channel::onchain::Config m_config;
  std::map<uint64_t, std::unique_ptr<channel::onchain::Resolver>> m_resolvers;  // by key index
  std::set<uint64_t> m_dirty;  // channels whose resolver has not seen their latest state
  std::map<uint32_t, BlockHash> m_blocks;  // fed blocks, the last REMEMBERED_BLOCKS
  bool m_blocks_changed = false;
  bool m_sync_in_flight = false;
  bool m_sync_again = false;
  std::string m_sync_error;
  std::optional<FeeratePerKw> m_feerate;
  std::map<Txid, std::string> m_refusals;  // the L1's last refusal of each broadcast (logged once)

  std::deque<std::unique_ptr<WalletJob>> m_wallet_jobs;  // one at a time (coin selection)
  bool m_wallet_busy = false;
  std::set<std::pair<uint64_t, bitcoin::OutPoint>> m_wallet_pending;  // requests queued or running
  std::map<bitcoin::OutPoint, FeeratePerKw> m_cpfp_sent;  // our anchors spent by a CPFP child
};

}  // namespace fulgur::channeld
