// The channel resolvers' blocks (see onchain_watch.h): our own walk of the L1's best chain
// from the last block we fed, durable with the resolvers' records. Each round (on a worker
// thread) finds the fork point among the blocks we remember, fetches up to
// MAX_BLOCKS_PER_SYNC blocks after it with their transactions, and the feerate estimate;
// on the loop the abandoned blocks are disconnected from the top down and the new ones fed
// in order. A resolver gets a block when it spends something it watches, or every block
// while it resolves or while our commitment waits to confirm.
#include <algorithm>

#include "bitcoin/block.h"
#include "channeld/node_internal.h"
#include "channeld/onchain_watch.h"
#include "wire/codec.h"

namespace fulgur::channeld {

namespace onchain = channel::onchain;

struct ChainWatch::SyncStep {
  struct Block {
    uint32_t height = 0;
    BlockHash hash;
    std::vector<bitcoin::Transaction> txs;
  };
  // The highest remembered block still on the best chain; the ones above are disconnected.
  // None with remembered blocks: none of them is (a reorg deeper than we remember).
  std::optional<uint32_t> fork;
  std::vector<Block> blocks;  // to connect, in order
  bool more = false;          // the L1's tip is further on
  std::optional<FeeratePerKw> estimate;
};

namespace {
chain::ChainError bad_block(const std::string& why) {
  return {chain::ChainErrorKind::BadResponse, 0, why};
}

// On a worker thread.
chain::ChainResult<ChainWatch::SyncStep> sync_step(chain::L1& l1,
                                                   const std::map<uint32_t, BlockHash>& known,
                                                   bool bodies) {
  ChainWatch::SyncStep s;
  FULGUR_TRY(uint32_t tip, l1.get_block_count());
  uint32_t from = tip;  // first sync ever: start at the tip
  std::optional<BlockHash> prev;
  if (!known.empty()) {
    for (auto it = known.rbegin(); it != known.rend(); ++it) {
      if (it->first > tip) continue;
      FULGUR_TRY(auto hash, l1.get_block_hash(it->first));
      if (hash == it->second) {
        s.fork = it->first;
        prev = hash;
        break;
      }
    }
    from = s.fork ? *s.fork + 1 : known.begin()->first;
  }
  for (uint32_t h = from; h <= tip && s.blocks.size() < ChainWatch::MAX_BLOCKS_PER_SYNC; ++h) {
    ChainWatch::SyncStep::Block b;
    b.height = h;
    FULGUR_TRY(b.hash, l1.get_block_hash(h));
    if (bodies) {
      FULGUR_TRY(Bytes raw, l1.get_block(b.hash));
      auto block = bitcoin::parse_block(raw);
      if (!block) return Unexpected{bad_block("block " + b.hash.to_hex() + " does not parse")};
      if (block->header.hash() != b.hash) {
        return Unexpected{bad_block("block " + b.hash.to_hex() + " has another hash")};
      }
      // The chain moved between our calls: stop here, the next round finds the new fork.
      if (prev && block->header.prev_block != *prev) break;
      b.txs = std::move(block->transactions);
    }
    prev = b.hash;
    s.blocks.push_back(std::move(b));
  }
  s.more = s.blocks.empty() ? from <= tip : s.blocks.back().height < tip;
  auto estimate = l1.estimate_smart_fee(ChainWatch::CONF_TARGET);
  if (estimate && *estimate) s.estimate = **estimate;
  return s;
}
}  // namespace

std::optional<uint32_t> ChainWatch::fed_height() const {
  if (m_blocks.empty()) return std::nullopt;
  return m_blocks.rbegin()->first;
}

Bytes ChainWatch::encode_blocks() const {
  wire::Writer w(5 + m_blocks.size() * 36);
  w.u8(1);  // version
  w.u32(static_cast<uint32_t>(m_blocks.size()));
  for (const auto& [height, hash] : m_blocks) {
    w.u32(height);
    w.bytes(hash.span());
  }
  return w.take();
}

void ChainWatch::sync() {
  if (!m_node.m_async_l1 || m_node.m_stopping) return;
  if (m_sync_in_flight) {
    m_sync_again = true;
    return;
  }
  m_sync_in_flight = true;
  m_sync_again = false;
  // Block bodies only matter once there is a channel to watch.
  bool bodies = !m_node.m_channels.empty();
  m_node.m_async_l1->run(
      [known = m_blocks, bodies](chain::L1& l1) { return sync_step(l1, known, bodies); },
      [this](chain::ChainResult<SyncStep> step) { on_sync(std::move(step)); });
}

void ChainWatch::on_sync(chain::ChainResult<SyncStep> step) {
  m_sync_in_flight = false;
  if (m_node.m_stopping) return;
  if (!step) {
    std::string why = step.error().describe();
    if (why != m_sync_error) m_node.m_log.warn("following blocks for the resolvers: {}", why);
    m_sync_error = why;
    if (m_sync_again) sync();  // else the next tip change retries
    return;
  }
  m_sync_error.clear();
  if (step->estimate) set_feerate(*step->estimate);
  if (!m_blocks.empty() && !step->fork) {
    m_node.m_log.error("reorganisation deeper than the {} blocks remembered; the resolvers "
                       "start again from height {}", m_blocks.size(), m_blocks.begin()->first);
  }
  while (!m_blocks.empty() && (!step->fork || m_blocks.rbegin()->first > *step->fork)) {
    disconnect_block(m_blocks.rbegin()->first);
  }
  for (const auto& b : step->blocks) connect_block(b.height, b.hash, b.txs);
  if (m_blocks_changed) {
    // In the batch of the records these blocks produced: a restart resumes after them.
    ChannelStore::put_onchain_blocks(m_node.m_batch, encode_blocks());
    m_blocks_changed = false;
    m_node.request_turn_end();
  }
  if (step->more || m_sync_again) sync();
}

bool ChainWatch::wants_every_block(uint64_t key) const {
  const onchain::Resolver* r = resolver(key);
  if (r == nullptr || r->phase() == onchain::Phase::Finished) return false;
  if (r->phase() == onchain::Phase::Resolving) return true;
  // Our commitment is out and unconfirmed: rebroadcast (and CPFP) on every block.
  const Node::Channel* c = channel(key);
  return c != nullptr && c->phase() == channel::Phase::ForceClosed;
}

void ChainWatch::connect_block(uint32_t height, const BlockHash& hash,
                               const std::vector<bitcoin::Transaction>& txs) {
  // Which resolver watches what.
  std::map<bitcoin::OutPoint, std::vector<uint64_t>> watched;
  for (const auto& [key, r] : m_resolvers) {
    if (r->phase() == onchain::Phase::Finished) continue;
    for (const auto& op : r->watched_outpoints()) watched[op].push_back(key);
  }
  std::map<uint64_t, std::vector<bitcoin::Transaction>> relevant;
  for (const auto& tx : txs) {
    std::set<uint64_t> keys;
    for (const auto& in : tx.inputs) {
      auto w = watched.find(in.prevout);
      if (w != watched.end()) keys.insert(w->second.begin(), w->second.end());
    }
    for (uint64_t key : keys) relevant[key].push_back(tx);
  }
  std::vector<uint64_t> keys;
  for (const auto& [key, r] : m_resolvers) keys.push_back(key);
  for (uint64_t key : keys) {
    onchain::Resolver* r = resolver(key);
    if (r == nullptr || r->phase() == onchain::Phase::Finished || r->tip() >= height) continue;
    auto rel = relevant.find(key);
    if (rel == relevant.end() && !wants_every_block(key)) continue;
    static const std::vector<bitcoin::Transaction> none;
    const auto& list = rel == relevant.end() ? none : rel->second;
    execute(key, r->on_block(BlockHeight(height), list));
  }
  // A mutual close not confirmed yet goes to the L1 again (it may have dropped it).
  for (const auto& [key, c] : m_node.m_channels) {
    const onchain::Resolver* r = resolver(key);
    if (c->phase() != channel::Phase::Closed || c->state().closing_tx.empty() || r == nullptr ||
        r->phase() != onchain::Phase::Watching) {
      continue;
    }
    if (auto tx = bitcoin::parse_transaction(c->state().closing_tx)) {
      broadcast(key, onchain::ClaimKind::Commitment, *tx);
    }
  }
  m_blocks[height] = hash;
  while (m_blocks.size() > REMEMBERED_BLOCKS) m_blocks.erase(m_blocks.begin());
  m_blocks_changed = true;
}

void ChainWatch::disconnect_block(uint32_t height) {
  m_node.m_log.info("block {} disconnected (reorganisation)", height);
  std::vector<uint64_t> keys;
  for (const auto& [key, r] : m_resolvers) keys.push_back(key);
  for (uint64_t key : keys) {
    onchain::Resolver* r = resolver(key);
    if (r == nullptr || r->phase() == onchain::Phase::Finished || r->tip() < height) continue;
    std::optional<bitcoin::Transaction> undone;
    if (r->funding_spend() && r->funding_spend()->height >= height) {
      undone = r->funding_spend()->tx;
    }
    execute(key, r->on_block_disconnected(BlockHeight(height)));
    if (!undone || r->phase() != onchain::Phase::Watching) continue;
    // The funding spend is unconfirmed again: hand it to the L1 again (it is signed and
    // valid), and our own commitment on every block if the channel was ours to close.
    broadcast(key, onchain::ClaimKind::Commitment, *undone);
    Node::Channel* c = channel(key);
    if (c != nullptr && c->phase() == channel::Phase::ForceClosed &&
        !c->state().local_data_loss) {
      auto holder = c->machine->holder_commitment();
      if (holder && holder->signed_tx.txid() == undone->txid()) {
        local_commitment(key, holder->signed_tx);
      }
    }
  }
  m_blocks.erase(height);
  m_blocks_changed = true;
}

void ChainWatch::set_feerate(FeeratePerKw estimate) {
  FeeratePerKw rate = std::max(estimate, m_node.m_config.sweep_feerate_floor);
  if (m_feerate == rate) return;
  m_feerate = rate;
  m_node.m_log.info("on-chain claims pay {}", to_string(rate));
  for (auto& [key, r] : m_resolvers) {
    if (r->phase() != onchain::Phase::Finished) execute(key, r->on_feerate(rate));
  }
}

}  // namespace fulgur::channeld
