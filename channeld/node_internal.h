// The Node's private parts shared by its .cpp files (node.cpp, node_actions.cpp,
// node_channels.cpp, node_chain.cpp, node_switch.cpp, node_payments.cpp). Not for other
// users.
#pragma once

#include <uv.h>

#include "channeld/node.h"
#include "payment/forwards.h"
#include "payment/htlc_switch.h"
#include "payment/registry.h"

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
  // Our signed channel_update for the failures that report this channel (made when first
  // needed, again when the channel's usability changes).
  Bytes channel_update;
  bool channel_update_disabled = false;

  const channel::ChannelState& state() const { return machine->state(); }
  channel::Phase phase() const { return machine->state().phase; }
  bool finished() const {
    auto p = phase();
    return p == channel::Phase::Closed || p == channel::Phase::ForceClosed ||
           p == channel::Phase::Aborted;
  }
};

// lib/payment's state (its decisions) and what channeld keeps around it (I/O only).
struct Node::Switch {
  payment::SwitchConfig config;
  std::string currency;  // BOLT 11 prefix of our network: bc, tb, tbs, bcrt
  payment::ChannelTable table;  // our channels with a short_channel_id, for forwards
  payment::InvoiceRegistry registry;
  payment::ForwardTracker forwards;
  payment::PaymentTracker payments;
  // Callers waiting for a payment's outcome.
  std::map<PaymentHash, std::vector<PaymentDone>> waiters;
  size_t waiting = 0;
  // What was decided for each incoming HTLC still in its channel: carried out again after
  // channel_reestablish (a disconnection drops our unsigned removals), and after
  // revoke_and_ack for those the channel refused (`refused`: it could not update then).
  std::map<payment::HtlcKey, payment::Resolution> decided;
  std::set<payment::HtlcKey> refused;
  uv_timer_t* tick = nullptr;  // MPP timeouts and invoice expiry (heap: freed on close)

  explicit Switch(payment::RegistryConfig registry_config) : registry(std::move(registry_config)) {}
};

// Seconds since 1970: what lib/payment is told the time is.
uint64_t unix_now();

struct Node::Held {
  uint64_t batch = 0;  // runs once this batch is durable (0: nothing to wait for)
  std::function<void()> run;
};

}  // namespace fulgur::channeld
