// ChainFollower's walk back to the fork point, and TipWatcher's polling.
#include "chain/follower.h"

#include <algorithm>

namespace fulgur::chain {

bool ChainFollower::knows(const BlockHeaderInfo& h) const {
  auto it = m_recent.find(h.height);
  return it != m_recent.end() && it->second == h.hash;
}

void ChainFollower::remember(const BlockHeaderInfo& h) {
  m_recent.erase(m_recent.upper_bound(h.height), m_recent.end());
  m_recent[h.height] = h.hash;
  while (m_recent.size() > MAX_REORG_DEPTH) m_recent.erase(m_recent.begin());
}

std::optional<BlockHash> ChainFollower::tip_hash() const {
  if (m_recent.empty()) return std::nullopt;
  return m_recent.rbegin()->second;
}

std::optional<uint32_t> ChainFollower::tip_height() const {
  if (m_recent.empty()) return std::nullopt;
  return m_recent.rbegin()->first;
}

ChainResult<std::vector<BlockEvent>> ChainFollower::sync(L1& l1) {
  FULGUR_TRY(BlockHash best, l1.get_best_block_hash());
  std::vector<BlockEvent> events;
  if (tip_hash() == best) return events;
  FULGUR_TRY(BlockHeaderInfo header, l1.get_block_header(best));
  if (m_recent.empty()) {
    // First sync: report the tip, and learn a few blocks below it (without reporting
    // them) so that a shallow reorg of the tip is recognised.
    remember(header);
    events.push_back({BlockEvent::Kind::Connected, header});
    BlockHeaderInfo below = header;
    for (uint32_t i = 1; i < INITIAL_WINDOW && below.previous; ++i) {
      FULGUR_TRY(below, l1.get_block_header(*below.previous));
      m_recent[below.height] = below.hash;
    }
    return events;
  }
  // Walk back from the new tip until a block we know, or below our window.
  std::vector<BlockHeaderInfo> fresh;
  uint32_t window_start = m_recent.begin()->first;
  while (!knows(header)) {
    if (fresh.size() > MAX_CATCH_UP || !header.previous || header.height <= window_start) {
      return Unexpected<ChainError>{{ChainErrorKind::BadResponse, 0,
                                     "reorg deeper than " + std::to_string(MAX_REORG_DEPTH) +
                                         " blocks, or too far behind"}};
    }
    fresh.push_back(header);
    FULGUR_TRY(header, l1.get_block_header(*header.previous));
  }
  uint32_t fork_height = header.height;
  for (auto it = m_recent.rbegin(); it != m_recent.rend() && it->first > fork_height; ++it) {
    BlockHeaderInfo gone;
    gone.hash = it->second;
    gone.height = it->first;
    gone.confirmations = -1;
    events.push_back({BlockEvent::Kind::Disconnected, gone});
  }
  std::reverse(fresh.begin(), fresh.end());
  for (const auto& h : fresh) {
    remember(h);
    events.push_back({BlockEvent::Kind::Connected, h});
  }
  return events;
}

TipWatcher::TipWatcher(AsyncL1& async, OnEvent on_event, OnError on_error)
    : m_async(async), m_on_event(std::move(on_event)), m_on_error(std::move(on_error)) {}

TipWatcher::~TipWatcher() { FULGUR_REQUIRE(m_closed && !m_in_flight); }

void TipWatcher::start(uint64_t interval_ms) {
  FULGUR_REQUIRE(!m_started);
  uv_timer_init(m_async.loop(), &m_timer);
  m_timer.data = this;
  m_started = true;
  m_closed = false;
  uv_timer_start(&m_timer, &TipWatcher::on_timer, 0, interval_ms);
}

void TipWatcher::stop() {
  if (!m_started) return;
  m_started = false;
  uv_timer_stop(&m_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&m_timer), [](uv_handle_t* handle) {
    static_cast<TipWatcher*>(handle->data)->m_closed = true;
  });
}

void TipWatcher::on_timer(uv_timer_t* timer) { static_cast<TipWatcher*>(timer->data)->poll(); }

void TipWatcher::poll() {
  if (m_in_flight) return;
  m_in_flight = true;
  m_async.run([this](L1& l1) { return m_follower.sync(l1); },
              [this](ChainResult<std::vector<BlockEvent>> events) {
                m_in_flight = false;
                if (!events) {
                  m_on_error(events.error());
                  return;
                }
                for (const auto& e : *events) m_on_event(e);
              });
}

}  // namespace fulgur::chain
