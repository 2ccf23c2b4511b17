// Follows an L1's best chain and turns its movement into block events: blocks connected
// in height order and, on a reorg, the abandoned blocks disconnected from the top down.
// ChainFollower does the walking (blocking L1 calls); TipWatcher polls it from a libuv
// timer through AsyncL1 and delivers the events on the loop thread.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <vector>

#include "chain/async_l1.h"
#include "chain/l1.h"

namespace fulgur::chain {

struct BlockEvent {
  enum class Kind { Connected, Disconnected };
  Kind kind = Kind::Connected;
  BlockHeaderInfo header;  // for Disconnected only hash and height are meaningful
};

class ChainFollower {
 public:
  // Deeper reorgs than this are reported as an error (the node must resync by hand).
  static constexpr uint32_t MAX_REORG_DEPTH = 144;
  // At most this many new blocks are walked in one sync (two weeks of blocks).
  static constexpr size_t MAX_CATCH_UP = 2016;
  // Blocks below the tip learnt at the first sync.
  static constexpr uint32_t INITIAL_WINDOW = 12;

  // Brings our view to the L1's best chain. The first call reports the current tip as
  // connected (and learns INITIAL_WINDOW blocks below it); later calls report every block connected since and any reorg.
  ChainResult<std::vector<BlockEvent>> sync(L1& l1);

  std::optional<BlockHash> tip_hash() const;
  std::optional<uint32_t> tip_height() const;

 private:
  bool knows(const BlockHeaderInfo& h) const;
  void remember(const BlockHeaderInfo& h);

  std::map<uint32_t, BlockHash> m_recent;  // height -> hash, the last MAX_REORG_DEPTH blocks
};

class TipWatcher {
 public:
  using OnEvent = std::function<void(const BlockEvent&)>;
  using OnError = std::function<void(const ChainError&)>;

  TipWatcher(AsyncL1& async, OnEvent on_event, OnError on_error);
  TipWatcher(const TipWatcher&) = delete;
  TipWatcher& operator=(const TipWatcher&) = delete;
  // Requires stop() and the loop to have run the close callback first.
  ~TipWatcher();

  // Polls every `interval_ms` (the first poll right away).
  void start(uint64_t interval_ms);
  // Stops polling and closes the timer; a poll in flight still delivers its events.
  void stop();
  // Polls now unless a poll is already in flight.
  void poll();

  const ChainFollower& follower() const { return m_follower; }

 private:
  static void on_timer(uv_timer_t* timer);

  AsyncL1& m_async;
  OnEvent m_on_event;
  OnError m_on_error;
  ChainFollower m_follower;  // touched by the worker only while m_in_flight
  uv_timer_t m_timer{};
  bool m_started = false;
  bool m_closed = true;
  bool m_in_flight = false;
};

}  // namespace fulgur::chain
