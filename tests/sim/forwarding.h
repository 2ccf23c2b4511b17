// The three-node forwarding simulator: A pays C through B over two real lib/channel
// ChannelMachines (A-B, B-C) on l1sim's in-process chain, with lib/payment doing the payment
// work for real (A's outgoing payment tracker builds the onions, B's switch peels and forwards
// by short_channel_id under its fee/CLTV policy and its forward tracker links the HTLCs, C's
// invoice registry settles). A seeded schedule adds payments (some bound to fail: fee too low,
// unknown scid, wrong payment secret), delays, reorders, disconnects, crashes with restart
// from each node's persisted records, blocks, and on-chain endings: force closes by any node
// and breaches (a node broadcasting one of its revoked commitments), resolved by each node's
// lib/channel resolver whose claims go through l1sim's mempool acceptance.
#pragma once

#include <cstdint>
#include <string>

namespace fulgur::sim {

struct ForwardingOptions {
  int steps = 160;
  double crash_rate = 0.01;       // per step: a node crashes (restarts from its records)
  double disconnect_rate = 0.02;  // per step: a connection drops
  double mid_batch_crash = 0.01;  // per executed action batch: crash part-way through it
  // Per step, once payments flow: a node force-closes a channel (its latest commitment), or
  // broadcasts one of its revoked commitments (a breach). At most one of each per run.
  double force_close_rate = 0.004;
  double breach_rate = 0.003;
};

struct ForwardingResult {
  bool ok = true;
  std::string failure;  // the first broken invariant, with the step
  uint64_t messages = 0;
  uint64_t payments = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint64_t failed_at_b = 0;  // attributed to hop 0
  uint64_t failed_at_c = 0;  // attributed to hop 1
  uint64_t crashes = 0;
  uint64_t disconnects = 0;
  uint64_t reoffered = 0;  // outgoing HTLCs dropped uncommitted and offered again
  uint64_t force_closes = 0;
  uint64_t breaches = 0;
  uint64_t penalties = 0;        // penalty transactions confirmed
  uint64_t onchain_claims = 0;   // claims (sweeps, HTLC txs, penalties) confirmed
  uint64_t onchain_settled = 0;  // upstream HTLCs settled from a preimage learnt on chain
  uint64_t steps = 0;            // schedule steps, including the ending
  uint64_t fees_earned_msat = 0;  // B's routing fees
};

ForwardingResult run_forwarding_simulation(uint64_t seed, const ForwardingOptions& options);

}  // namespace fulgur::sim
