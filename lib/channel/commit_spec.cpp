// Commitment bookkeeping: applying a batch of updates to a commitment; see commit_spec.h.
#include "channel/commit_spec.h"

#include <algorithm>

namespace fulgur::channel {

const SpecHtlc* CommitSpec::find(bool offered_by_us, uint64_t id) const {
  for (const auto& h : htlcs) {
    if (h.offered_by_us == offered_by_us && h.id == id) return &h;
  }
  return nullptr;
}

Msat CommitSpec::total() const {
  uint64_t sum = to_us.value() + to_them.value();
  for (const auto& h : htlcs) sum += h.amount.value();
  return Msat(sum);
}

size_t CommitSpec::count(bool offered_by_us) const {
  return static_cast<size_t>(std::count_if(htlcs.begin(), htlcs.end(), [&](const SpecHtlc& h) {
    return h.offered_by_us == offered_by_us;
  }));
}

Msat CommitSpec::in_flight(bool offered_by_us) const {
  uint64_t sum = 0;
  for (const auto& h : htlcs) {
    if (h.offered_by_us == offered_by_us) sum += h.amount.value();
  }
  return Msat(sum);
}

bool is_add(const Update& u) { return std::holds_alternative<msg::UpdateAddHtlc>(u); }

std::optional<uint64_t> htlc_id_of(const Update& u) {
  return std::visit(
      [](const auto& m) -> std::optional<uint64_t> {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, msg::UpdateFee>) {
          return std::nullopt;
        } else {
          return m.id;
        }
      },
      u);
}

namespace {

Status apply_add(CommitSpec& spec, const msg::UpdateAddHtlc& add, bool by_us) {
  Msat& payer = by_us ? spec.to_us : spec.to_them;
  auto left = payer.checked_sub(add.amount_msat);
  if (!left) return fail("HTLC amount exceeds the sender's balance", PeerAction::FailChannel);
  payer = *left;
  spec.htlcs.push_back(
      SpecHtlc{by_us, add.id, add.amount_msat, add.payment_hash, add.cltv_expiry.value()});
  return {};
}

// Removes the HTLC offered by `offered_by_us` with `id`; `to_remover` says whether its
// amount goes to the side that removed it (fulfill) or back to the offerer (fail).
Status apply_remove(CommitSpec& spec, bool offered_by_us, uint64_t id, bool to_remover) {
  auto it = std::find_if(spec.htlcs.begin(), spec.htlcs.end(), [&](const SpecHtlc& h) {
    return h.offered_by_us == offered_by_us && h.id == id;
  });
  if (it == spec.htlcs.end()) return fail("removal of an unknown HTLC", PeerAction::FailChannel);
  // The remover is the side that did not offer it.
  bool pay_us = to_remover ? !offered_by_us : offered_by_us;
  Msat& dest = pay_us ? spec.to_us : spec.to_them;
  dest = Msat(dest.value() + it->amount.value());
  spec.htlcs.erase(it);
  return {};
}

Status apply_removals(CommitSpec& spec, const std::vector<Update>& updates, bool by_us) {
  for (const auto& u : updates) {
    // A removal by us removes an HTLC the peer offered, and vice versa.
    if (auto* f = std::get_if<msg::UpdateFulfillHtlc>(&u)) {
      FULGUR_TRY_STATUS(apply_remove(spec, !by_us, f->id, true));
    } else if (auto* x = std::get_if<msg::UpdateFailHtlc>(&u)) {
      FULGUR_TRY_STATUS(apply_remove(spec, !by_us, x->id, false));
    } else if (auto* m = std::get_if<msg::UpdateFailMalformedHtlc>(&u)) {
      FULGUR_TRY_STATUS(apply_remove(spec, !by_us, m->id, false));
    } else if (auto* fee = std::get_if<msg::UpdateFee>(&u)) {
      spec.feerate = fee->feerate_per_kw;
    }
  }
  return {};
}

}  // namespace

Result<CommitSpec> reduce(const CommitSpec& spec, const std::vector<Update>& ours,
                          const std::vector<Update>& theirs) {
  CommitSpec out = spec;
  for (const auto& u : ours) {
    if (auto* add = std::get_if<msg::UpdateAddHtlc>(&u)) FULGUR_TRY_STATUS(apply_add(out, *add, true));
  }
  for (const auto& u : theirs) {
    if (auto* add = std::get_if<msg::UpdateAddHtlc>(&u)) {
      FULGUR_TRY_STATUS(apply_add(out, *add, false));
    }
  }
  FULGUR_TRY_STATUS(apply_removals(out, ours, true));
  FULGUR_TRY_STATUS(apply_removals(out, theirs, false));
  return out;
}

}  // namespace fulgur::channel
