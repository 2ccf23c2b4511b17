// The bookkeeping of one channel's commitments: what a commitment contains (balances, HTLCs,
// feerate), the update messages that change it, and how a batch of updates turns one
// commitment into the next. Seen from our side throughout: "ours" is this node's money,
// whichever commitment (ours or the peer's) the spec describes. No crypto, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "common/result.h"
#include "common/units.h"
#include "wire/messages.h"

namespace fulgur::channel {

// The machine consumes and produces lib/wire's message structs (BOLT 1/2 names).
namespace msg = wire::msg;

// An HTLC as committed: who offered it and its terms.
struct SpecHtlc {
  bool offered_by_us = false;
  uint64_t id = 0;
  Msat amount;
  PaymentHash payment_hash;
  uint32_t cltv_expiry = 0;
  friend bool operator==(const SpecHtlc&, const SpecHtlc&) = default;
};

// The contents of one commitment transaction, before fees: balances owned by each side and
// the HTLCs in flight. to_us + to_them + sum(htlcs) is always the funding amount.
struct CommitSpec {
  FeeratePerKw feerate;
  Msat to_us;
  Msat to_them;
  std::vector<SpecHtlc> htlcs;  // in the order they were added

  const SpecHtlc* find(bool offered_by_us, uint64_t id) const;
  Msat total() const;  // to_us + to_them + every HTLC
  size_t count(bool offered_by_us) const;
  Msat in_flight(bool offered_by_us) const;
  friend bool operator==(const CommitSpec&, const CommitSpec&) = default;
};

// One update message, as kept in the logs below (the exact message with its TLV extension,
// for retransmission).
using Update = std::variant<msg::UpdateAddHtlc, msg::UpdateFulfillHtlc, msg::UpdateFailHtlc,
                            msg::UpdateFailMalformedHtlc, msg::UpdateFee>;

// The updates one side sent, by where they are in the commit/revoke cycle. For the updates
// WE send: proposed (sent, not yet signed) -> signed (in a commitment_signed we sent) ->
// acked (the peer revoked: in their commitment; next in ours). For the updates THEY send:
// proposed (received) -> acked (in our commitment, we revoked) -> signed (we signed them
// into theirs) -> gone once they revoke.
struct UpdateLog {
  std::vector<Update> proposed;
  std::vector<Update> signed_;
  std::vector<Update> acked;
  bool empty() const { return proposed.empty() && signed_.empty() && acked.empty(); }
  friend bool operator==(const UpdateLog&, const UpdateLog&) = default;
};

// Applies our updates and theirs to `spec`: adds first (ours take our money, theirs take
// theirs), then removals (a fulfill pays the remover, a fail refunds the offerer), and the
// last update_fee sets the feerate. Errors on a removal of an unknown HTLC or an add that
// spends more than its sender has: the callers check before logging, so an error here is a
// broken invariant of the machine or a hostile peer.
Result<CommitSpec> reduce(const CommitSpec& spec, const std::vector<Update>& ours,
                          const std::vector<Update>& theirs);

// True for update_add_htlc.
bool is_add(const Update& u);
// The htlc id an update refers to (nothing for update_fee).
std::optional<uint64_t> htlc_id_of(const Update& u);

}  // namespace fulgur::channel
