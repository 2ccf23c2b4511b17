// Two channel machines wired back to back for unit tests: open a channel, pump messages one
// at a time or all at once, find actions of a kind in an output batch.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <optional>

#include "channel/machine.h"
#include "crypto/hash.h"

namespace fulgur::channel::test {

inline crypto::Secret32 seed_of(uint8_t b) {
  std::array<uint8_t, 32> s{};
  s.fill(b);
  return crypto::Secret32(std::span<const uint8_t, 32>(s));
}

inline ChannelConfig test_config() {
  ChannelConfig c;
  c.chain_hash = BlockHash(std::array<uint8_t, 32>{0x06});
  c.minimum_depth = 3;
  c.auto_commit = false;
  return c;
}

template <typename T>
std::vector<T> all_of(const Outputs& out) {
  std::vector<T> found;
  for (const auto& a : out.actions) {
    if (auto* x = std::get_if<T>(&a)) found.push_back(*x);
  }
  return found;
}

template <typename M>
std::vector<M> sent(const Outputs& out) {
  std::vector<M> found;
  for (const auto& s : all_of<SendMessage>(out)) {
    if (auto* m = std::get_if<M>(&s.message)) found.push_back(*m);
  }
  return found;
}

template <typename E>
bool has_event(const Outputs& out) {
  for (const auto& e : all_of<Event>(out)) {
    if (std::holds_alternative<E>(e)) return true;
  }
  return false;
}

inline Preimage preimage(uint8_t b) {
  std::array<uint8_t, 32> p{};
  p.fill(b);
  return Preimage(p);
}
inline PaymentHash hash_of(const Preimage& p) {
  return PaymentHash(crypto::sha256(p.span()).array());
}

// A (opener, index 0) and B (accepter, index 1).
class Pair {
 public:
  explicit Pair(ChannelType type = ChannelType::StaticRemoteKey, ChannelConfig a_cfg = test_config(),
                ChannelConfig b_cfg = test_config(), Msat push = Msat(300000000))
      : m_cfg{a_cfg, b_cfg} {
    OpenRequest req;
    req.temporary_channel_id = ChannelId(std::array<uint8_t, 32>{0x77});
    req.funding_satoshis = Sat(1000000);
    req.push_msat = push;
    req.feerate_per_kw = FeeratePerKw(1000);
    req.type = type;
    Outputs out;
    auto a = ChannelMachine::open(a_cfg, m_seeds[0], req, out);
    EXPECT_TRUE(a.ok());
    m[0].emplace(std::move(*a));
    open_msg = sent<msg::OpenChannel>(out).at(0);
  }

  // Runs establishment to Normal.
  void establish() {
    Outputs out;
    auto b = ChannelMachine::accept(m_cfg[1], m_seeds[1], 0, open_msg, out);
    ASSERT_TRUE(b.ok()) << b.error().message;
    m[1].emplace(std::move(*b));
    take(1, std::move(out));
    auto fund = deliver(0);  // accept_channel -> FundingNeeded
    ASSERT_TRUE(has_event<event::FundingNeeded>(fund));
    auto created = m[0]->funding_tx_ready(Txid(std::array<uint8_t, 32>{0xaa}), 1, Bytes{1, 2});
    ASSERT_TRUE(created.ok());
    take(0, std::move(*created));
    deliver_all();
    for (int i = 0; i < 2; ++i) take(i, m[i]->on_block(BlockHeight(100), 3));
    deliver_all();
    ASSERT_EQ(m[0]->state().phase, Phase::Normal);
    ASSERT_EQ(m[1]->state().phase, Phase::Normal);
  }

  // Queues the messages of `out` (produced by side i) and remembers its persisted record.
  void take(int i, Outputs out) {
    last[i] = out;
    for (auto& a : out.actions) {
      if (auto* p = std::get_if<PersistState>(&a)) durable[i] = p->record;
      if (auto* s = std::get_if<SendMessage>(&a)) queue[i].push_back(s->message);
      if (auto* b = std::get_if<BroadcastTx>(&a)) broadcast[i].push_back(*b);
    }
  }
  // Delivers the next message queued for side `to` as the peer would get it: encoded and
  // decoded by lib/wire. Returns the receiver's outputs.
  Outputs deliver(int to) {
    EXPECT_FALSE(queue[1 - to].empty());
    wire::Message sent_msg = queue[1 - to].front();
    queue[1 - to].pop_front();
    auto decoded = wire::decode_message(wire::encode_message(sent_msg));
    EXPECT_TRUE(decoded.ok());
    EXPECT_TRUE(*decoded == sent_msg);
    Outputs out = m[to]->handle(*decoded);
    take(to, out);
    return out;
  }
  void deliver_all() {
    for (int guard = 0; guard < 10000 && (!queue[0].empty() || !queue[1].empty()); ++guard) {
      if (!queue[0].empty()) {
        auto out = deliver(1);
        EXPECT_FALSE(out.rejected) << out.rejected->message;
      }
      if (!queue[1].empty()) {
        auto out = deliver(0);
        EXPECT_FALSE(out.rejected) << out.rejected->message;
      }
    }
  }
  // Commit on side i and run the whole exchange to quiescence.
  void commit_and_settle(int i) {
    auto c = m[i]->commit();
    ASSERT_TRUE(c.ok());
    take(i, std::move(*c));
    for (int round = 0; round < 10; ++round) {
      deliver_all();
      for (int k = 0; k < 2; ++k) {
        Phase ph = m[k]->state().phase;
        if (ph != Phase::Normal && ph != Phase::Shutdown) continue;
        auto more = m[k]->commit();
        ASSERT_TRUE(more.ok());
        take(k, std::move(*more));
      }
      if (queue[0].empty() && queue[1].empty()) return;
    }
  }
  uint64_t add(int i, Msat amount, const Preimage& p, uint32_t cltv = 1000) {
    uint64_t id = 0;
    auto r = m[i]->add_htlc(amount, hash_of(p), BlockHeight(cltv), wire::OnionPacket(), &id);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (r) take(i, std::move(*r));
    return id;
  }
  void reconnect() {
    queue[0].clear();
    queue[1].clear();
    for (int i = 0; i < 2; ++i) (void)m[i]->disconnected();
    for (int i = 0; i < 2; ++i) take(i, m[i]->reconnected());
  }

  ChannelConfig m_cfg[2];
  crypto::Secret32 m_seeds[2] = {seed_of(1), seed_of(2)};
  std::optional<ChannelMachine> m[2];
  std::deque<wire::Message> queue[2];  // queue[i]: sent by side i
  Bytes durable[2];
  std::vector<BroadcastTx> broadcast[2];  // every transaction side i handed out
  Outputs last[2];
  msg::OpenChannel open_msg;
};

}  // namespace fulgur::channel::test
