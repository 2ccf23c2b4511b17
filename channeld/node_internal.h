// The Node's private parts shared by its .cpp files (node.cpp, node_actions.cpp,
// node_channels.cpp, node_chain.cpp, node_payments.cpp). Not for other users.
#pragma once

#include "channeld/node.h"

namespace fulgur::channeld {

struct Node::Channel {
  uint64_t key_index = 0;
  NodeId peer;
  std::unique_ptr<channel::ChannelMachine> machine;
  std::optional<ChannelId> indexed;  // its key in m_by_id
  bool persisted = false;            // a record exists in the store
  bool funding_in_progress = false;
  uint32_t funding_depth = 0;
  std::optional<ShortChannelId> scid;
  std::optional<Txid> closing_txid;
  Sat closing_fee;
  std::vector<std::function<void(Result<OpenResult>)>> open_waiters;
  std::vector<std::function<void(Result<CloseResult>)>> close_waiters;
  std::map<uint64_t, PaymentHash> outgoing;  // our HTLC id -> the payment riding on it

  const channel::ChannelState& state() const { return machine->state(); }
  channel::Phase phase() const { return machine->state().phase; }
  bool finished() const {
    auto p = phase();
    return p == channel::Phase::Closed || p == channel::Phase::ForceClosed ||
           p == channel::Phase::Aborted;
  }
};

struct Node::Payment {
  PaymentRecord record;
  std::vector<crypto::Secret32> shared_secrets;  // to read a returned failure (memory only)
  uint16_t failure_code = 0;
  std::vector<std::function<void(Result<PaymentResult>)>> waiters;
};

struct Node::Held {
  uint64_t batch = 0;  // runs once this batch is durable (0: nothing to wait for)
  std::function<void()> run;
};

}  // namespace fulgur::channeld
