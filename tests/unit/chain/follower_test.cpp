// ChainFollower's events on an in-memory chain (extend, reorg, too deep), and AsyncL1 +
// TipWatcher delivering them on a libuv loop.
#include <gtest/gtest.h>

#include <mutex>

#include "chain/follower.h"

using namespace fulgur;
using namespace fulgur::chain;

namespace {

Unexpected<ChainError> unsupported() {
  return Unexpected<ChainError>{rpc_error(RpcCode::MethodNotFound, "Method not found")};
}

// An L1 whose chain is a list of block hashes made up from (height, branch).
class MemoryL1 final : public L1 {
 public:
  MemoryL1() { extend(1, 0); }
  void extend(int blocks, uint8_t branch) {
    std::lock_guard lock(m_mutex);
    for (int i = 0; i < blocks; ++i) {
      BlockHash h;
      h.data()[0] = static_cast<uint8_t>(m_chain.size());
      h.data()[1] = static_cast<uint8_t>(m_chain.size() >> 8);
      h.data()[2] = branch;
      m_chain.push_back(h);
    }
  }
  void truncate(size_t height) {
    std::lock_guard lock(m_mutex);
    m_chain.resize(height + 1);
  }
  BlockHash at(size_t height) {
    std::lock_guard lock(m_mutex);
    return m_chain.at(height);
  }

  ChainResult<BlockHash> get_best_block_hash() override {
    std::lock_guard lock(m_mutex);
    return m_chain.back();
  }
  ChainResult<BlockHeaderInfo> get_block_header(const BlockHash& hash) override {
    std::lock_guard lock(m_mutex);
    uint32_t height = hash.data()[0] | (hash.data()[1] << 8);
    BlockHeaderInfo h;
    h.hash = hash;
    h.height = height;
    if (height > 0) {
      // The parent lies on the same branch, or on branch 0 below the fork.
      BlockHash parent = hash;
      parent.data()[0] = static_cast<uint8_t>(height - 1);
      parent.data()[1] = static_cast<uint8_t>((height - 1) >> 8);
      if (height - 1 < m_chain.size() && m_chain[height - 1] != parent) {
        parent = m_chain[height - 1];
      }
      h.previous = parent;
    }
    return h;
  }
  ChainResult<ChainInfo> get_blockchain_info() override { return unsupported(); }
  ChainResult<uint32_t> get_block_count() override {
    std::lock_guard lock(m_mutex);
    return static_cast<uint32_t>(m_chain.size() - 1);
  }
  ChainResult<BlockHash> get_block_hash(uint32_t) override { return unsupported(); }
  ChainResult<Bytes> get_block(const BlockHash&) override { return unsupported(); }
  ChainResult<TxInfo> get_raw_transaction(const Txid&) override { return unsupported(); }
  ChainResult<std::optional<TxOutInfo>> get_tx_out(const Txid&, uint32_t, bool) override {
    return unsupported();
  }
  ChainResult<std::vector<Txid>> get_raw_mempool() override { return unsupported(); }
  ChainResult<Txid> send_raw_transaction(ByteSpan) override { return unsupported(); }
  ChainResult<MempoolAccept> test_mempool_accept(ByteSpan) override { return unsupported(); }
  ChainResult<std::optional<FeeratePerKw>> estimate_smart_fee(uint32_t) override {
    return unsupported();
  }
  ChainResult<std::string> get_new_address() override { return unsupported(); }
  ChainResult<FundResult> fund_raw_transaction(ByteSpan, const FundOptions&) override {
    return unsupported();
  }
  ChainResult<SignResult> sign_raw_transaction_with_wallet(ByteSpan) override {
    return unsupported();
  }
  ChainResult<Txid> send_to_address(const std::string&, Sat) override { return unsupported(); }
  ChainResult<Sat> get_balance() override { return unsupported(); }
  ChainResult<std::vector<Utxo>> list_unspent(uint32_t) override { return unsupported(); }

 private:
  std::mutex m_mutex;
  std::vector<BlockHash> m_chain;
};

std::string describe(const std::vector<BlockEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    out += e.kind == BlockEvent::Kind::Connected ? "+" : "-";
    out += std::to_string(e.header.height);
    out += e.header.hash.data()[2] ? "b " : "a ";
  }
  return out;
}

}  // namespace

TEST(ChainFollower, ConnectsAndReorgs) {
  MemoryL1 l1;
  l1.extend(10, 0);  // heights 0..10
  ChainFollower follower;
  EXPECT_EQ(describe(*follower.sync(l1)), "+10a ");
  EXPECT_EQ(describe(*follower.sync(l1)), "");
  l1.extend(2, 0);
  EXPECT_EQ(describe(*follower.sync(l1)), "+11a +12a ");
  EXPECT_EQ(follower.tip_height(), 12u);

  // Replace 11 and 12 by three blocks of branch b.
  l1.truncate(10);
  l1.extend(3, 1);
  EXPECT_EQ(describe(*follower.sync(l1)), "-12a -11a +11b +12b +13b ");
  EXPECT_EQ(follower.tip_hash(), l1.at(13));
}

TEST(ChainFollower, ShallowReorgOfTheFirstTipIsSeen) {
  MemoryL1 l1;
  l1.extend(5, 0);
  ChainFollower follower;
  EXPECT_EQ(describe(*follower.sync(l1)), "+5a ");
  l1.truncate(4);
  l1.extend(2, 1);
  EXPECT_EQ(describe(*follower.sync(l1)), "-5a +5b +6b ");
}

TEST(ChainFollower, TooDeepReorgIsAnError) {
  MemoryL1 l1;
  l1.extend(30, 0);
  ChainFollower follower;
  ASSERT_TRUE(follower.sync(l1));  // knows 19..30
  l1.truncate(5);
  l1.extend(30, 1);  // forks at 5, below everything the follower remembers
  auto deep = follower.sync(l1);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().kind, ChainErrorKind::BadResponse);
}

TEST(TipWatcher, DeliversEventsOnTheLoop) {
  MemoryL1 l1;
  l1.extend(3, 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    AsyncL1 async(&loop, l1);
    std::vector<BlockEvent> seen;
    std::thread::id loop_thread = std::this_thread::get_id();
    bool wrong_thread = false;
    TipWatcher watcher(
        async,
        [&](const BlockEvent& e) {
          wrong_thread |= std::this_thread::get_id() != loop_thread;
          seen.push_back(e);
          if (seen.size() == 1) l1.extend(2, 0);   // next poll sees two more
          if (seen.size() == 3) watcher.stop();
        },
        [&](const ChainError& e) { ADD_FAILURE() << e.describe(); });
    watcher.start(5);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_FALSE(wrong_thread);
    EXPECT_EQ(describe(seen), "+3a +4a +5a ");
    EXPECT_EQ(async.pending(), 0u);

    int answered = 0;
    async.run([](L1& l) { return l.get_block_count(); },
              [&](ChainResult<uint32_t> r) { answered = static_cast<int>(*r); });
    async.run([](L1& l) { return l.get_balance(); },
              [&](ChainResult<Sat> r) { EXPECT_TRUE(r.error().is_rpc(RpcCode::MethodNotFound)); });
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(answered, 5);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0);
}
