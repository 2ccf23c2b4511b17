// The invoice registry: invoice creation, the final-node checks of BOLT 4 for invoices and
// keysend, HTLC sets (basic MPP) with their timeout, and the state of each invoice.
#include "payment/registry.h"

#include <algorithm>

#include "common/assert.h"
#include "crypto/hash.h"
#include "onion/failure.h"
#include "wire/features.h"

namespace fulgur::payment {
namespace {

using onion::FailureCode;
using onion::FailureMessage;

FailureMessage payment_details_failure(Msat htlc_msat, BlockHeight height) {
  // BOLT 4: incorrect_or_unknown_payment_details carries [u64:htlc_msat][u32:height];
  // "The height parameter is set by the final node to the best known block height at the
  // time of receiving the htlc."
  FailureMessage message(FailureCode::incorrect_or_unknown_payment_details);
  message.htlc_msat = htlc_msat;
  message.height = height;
  return message;
}

void fail_one(const FinalHtlc& htlc, const FailureMessage& message, RegistryOutput& out) {
  out.resolutions.push_back(fail_with(htlc.htlc, htlc.shared_secret, message));
}

bool secrets_equal(const PaymentSecret& a, const PaymentSecret& b) {
  return crypto::Secret32(a.span()) == crypto::Secret32(b.span());  // constant time
}

Msat sum_to_forward(const std::vector<ReceivedPart>& parts) {
  Msat sum{0};
  for (const auto& part : parts) sum = sum.checked_add(part.amt_to_forward).value_or(Msat::max());
  return sum;
}

uint64_t expires_at(const InvoiceRecord& record) {
  uint64_t at = 0;
  if (__builtin_add_overflow(record.created_at, record.expiry_seconds, &at)) return UINT64_MAX;
  return at;
}

}  // namespace

const char* to_string(InvoiceState state) {
  switch (state) {
    case InvoiceState::unpaid: return "unpaid";
    case InvoiceState::paid: return "paid";
    case InvoiceState::expired: return "expired";
  }
  return "?";
}

bool InvoiceRecord::expired_at(uint64_t now) const { return now > expires_at(*this); }

InvoiceRegistry::InvoiceRegistry(RegistryConfig config) : m_config(std::move(config)) {}

Result<CreatedInvoice> InvoiceRegistry::create(const InvoiceRequest& request,
                                               const InvoiceEntropy& entropy,
                                               const crypto::SecretKey& node_key, uint64_t now) {
  FULGUR_REQUIRE(!entropy.preimage.is_zero() && !entropy.payment_secret.is_zero());
  if (request.amount_msat && request.amount_msat->value() == 0) {
    return fail("invoice amount must be positive (omit it for any amount)");
  }
  InvoiceRecord record;
  record.payment_preimage = entropy.preimage;
  record.payment_hash = PaymentHash(crypto::sha256(entropy.preimage.span()).array());
  if (m_invoices.contains(record.payment_hash)) return fail("payment hash already registered");
  record.payment_secret = entropy.payment_secret;
  record.amount_msat = request.amount_msat;
  record.created_at = now;
  record.expiry_seconds = request.expiry_seconds;
  record.min_final_cltv_expiry_delta = request.min_final_cltv_expiry_delta;

  invoice::Invoice inv;
  inv.currency = m_config.currency;
  inv.amount = request.amount_msat;
  inv.timestamp = now;
  inv.payment_hash = record.payment_hash;
  inv.payment_secret = entropy.payment_secret;
  if (request.description_hash) {
    inv.description_hash = request.description_hash;
  } else {
    inv.description = request.description;
  }
  if (request.expiry_seconds != invoice::DEFAULT_EXPIRY_SECONDS) inv.expiry = request.expiry_seconds;
  inv.min_final_cltv_expiry_delta = request.min_final_cltv_expiry_delta.value();
  inv.route_hints = request.route_hints;
  // BOLT 9 invoice features: var_onion_optin and payment_secret required (we refuse HTLCs
  // without a payment_secret), basic_mpp offered (HTLC sets are collected).
  inv.features.set_required(wire::Feature::var_onion_optin);
  inv.features.set_required(wire::Feature::payment_secret);
  inv.features.set_optional(wire::Feature::basic_mpp);
  auto encoded = invoice::encode_invoice(inv, node_key);
  if (!encoded) return fail("cannot encode invoice: " + encoded.error().message);
  record.bolt11 = *encoded;

  CreatedInvoice created{*encoded, record.payment_hash,
                         Persist{Bytes(record.payment_hash.begin(), record.payment_hash.end()),
                                 encode_invoice_record(record)}};
  index(record);
  m_invoices.emplace(record.payment_hash, std::move(record));
  return created;
}

RegistryOutput InvoiceRegistry::on_htlc(FinalHtlc htlc, BlockHeight height, uint64_t now) {
  RegistryOutput out;
  auto it = m_invoices.find(htlc.payment_hash);
  if (it != m_invoices.end()) {
    InvoiceRecord& record = it->second;
    auto part = std::find_if(record.parts.begin(), record.parts.end(),
                             [&](const ReceivedPart& p) { return p.htlc == htlc.htlc; });
    if (part != record.parts.end()) {
      // A replay (the daemon restarted): a fulfilled part is fulfilled again, a held one
      // stays held.
      if (record.state == InvoiceState::paid) {
        out.resolutions.push_back(Fulfill{htlc.htlc, record.payment_preimage});
      }
      return out;
    }
  }
  // BOLT 4 (final node): "if amount_msat from the final node's HTLC is below
  // amt_to_forward: MUST return a final_incorrect_htlc_amount error." ("MUST return an
  // error if: incoming amount_msat < amt_to_forward.")
  if (htlc.amount_msat < htlc.amt_to_forward) {
    FailureMessage message(FailureCode::final_incorrect_htlc_amount);
    message.incoming_htlc_amt = htlc.amount_msat;
    fail_one(htlc, message, out);
    return out;
  }
  // "if the cltv_expiry from the final node's HTLC is below outgoing_cltv_value: MUST
  // return final_incorrect_cltv_expiry error." ("incoming cltv_expiry <
  // outgoing_cltv_value.")
  if (htlc.cltv_expiry < htlc.outgoing_cltv_value) {
    FailureMessage message(FailureCode::final_incorrect_cltv_expiry);
    message.cltv_expiry = htlc.cltv_expiry;
    fail_one(htlc, message, out);
    return out;
  }
  if (htlc.keysend_preimage) return on_keysend(std::move(htlc), height, now);

  const FailureMessage details = payment_details_failure(htlc.amount_msat, height);
  // "if the payment hash is unknown: MUST fail the HTLC. MUST return an
  // incorrect_or_unknown_payment_details error." "if the payment hash has already been
  // paid: MAY treat the payment hash as unknown." A keysend receipt is paid.
  if (it == m_invoices.end() || it->second.state != InvoiceState::unpaid) {
    fail_one(htlc, details, out);
    return out;
  }
  InvoiceRecord& record = it->second;
  // BOLT 11 (payee): "after the timestamp plus expiry has passed: SHOULD NOT accept a
  // payment." (Parts that arrived in time are failed by on_tick when their set times out.)
  // BOLT 4: "if the payment_secret doesn't match the expected value for that payment_hash,
  // or the payment_secret is required and is not present: MUST fail the HTLC. MUST return
  // an incorrect_or_unknown_payment_details error." Ours is always required.
  if (record.expired_at(now) || !htlc.payment_secret ||
      !secrets_equal(*htlc.payment_secret, *record.payment_secret)) {
    fail_one(htlc, details, out);
    return out;
  }
  // "if the amount paid is less than the amount expected: MUST fail the HTLC" and "if the
  // amount paid is more than twice the amount expected: SHOULD fail the HTLC", both with
  // incorrect_or_unknown_payment_details; for a multi-part payment "amount paid" is
  // total_msat.
  if (record.amount_msat) {
    auto twice = record.amount_msat->checked_mul(2);
    if (htlc.total_msat < *record.amount_msat || (twice && htlc.total_msat > *twice)) {
      fail_one(htlc, details, out);
      return out;
    }
  }
  // "if the cltv_expiry value is unreasonably near the present: MUST fail the HTLC. MUST
  // return an incorrect_or_unknown_payment_details error." The reader's rule: "MUST return
  // an error if: incoming cltv_expiry < current_block_height + min_final_cltv_expiry_delta".
  auto earliest = height.checked_add(record.min_final_cltv_expiry_delta);
  if (!earliest || htlc.cltv_expiry < *earliest) {
    fail_one(htlc, details, out);
    return out;
  }
  // "SHOULD fail the entire HTLC set if total_msat is not the same for all HTLCs in the set."
  if (record.held_set && record.held_set->total_msat != htlc.total_msat) {
    fail_set(record, to_u16(FailureCode::incorrect_or_unknown_payment_details), height, out);
    fail_one(htlc, details, out);
    return out;
  }
  return add_part(record, std::move(htlc), now);
}

RegistryOutput InvoiceRegistry::add_part(InvoiceRecord& record, FinalHtlc&& htlc, uint64_t now) {
  RegistryOutput out;
  if (record.parts.size() >= m_config.max_parts_per_set) {
    fail_one(htlc, FailureMessage(FailureCode::temporary_node_failure), out);
    return out;
  }
  // "MUST add it to the HTLC set corresponding to that payment_hash."
  if (!record.held_set) {
    record.held_set = HeldSet{htlc.total_msat, now};
    m_collecting.insert(record.payment_hash);
  }
  record.parts.push_back(ReceivedPart{htlc.htlc, htlc.amount_msat, htlc.amt_to_forward,
                                      htlc.cltv_expiry, std::move(htlc.shared_secret)});
  // "if the total amt_to_forward of this HTLC set is equal to or greater than total_msat:
  // SHOULD fulfill all HTLCs in the HTLC set"; otherwise "MUST NOT fulfill any HTLCs in
  // the HTLC set". "if it fulfills any HTLCs in the HTLC set: MUST fulfill the entire HTLC
  // set."
  if (sum_to_forward(record.parts) >= record.held_set->total_msat) {
    unindex(record);
    record.state = InvoiceState::paid;
    record.held_set.reset();
    record.paid_at = now;
    Msat received{0};
    for (const auto& part : record.parts) {
      received = received.checked_add(part.amount_msat).value_or(Msat::max());
      out.resolutions.push_back(Fulfill{part.htlc, record.payment_preimage});
    }
    record.received_msat = received;
    out.paid.push_back(record.payment_hash);
  }
  persist(record, out);
  return out;
}

RegistryOutput InvoiceRegistry::on_keysend(FinalHtlc&& htlc, BlockHeight height, uint64_t now) {
  RegistryOutput out;
  const FailureMessage details = payment_details_failure(htlc.amount_msat, height);
  // Keysend: the sender chose the preimage and put it in the final payload; it must hash to
  // the HTLC's payment_hash. A hash we know already (an invoice, or a keysend paid before)
  // is refused: the preimage of an invoice is never given out, and one keysend is one
  // payment. Keysend is single-part: total_msat must be this HTLC's amount.
  auto earliest = height.checked_add(m_config.keysend_min_final_cltv_expiry_delta);
  if (!m_config.accept_keysend ||
      crypto::sha256(htlc.keysend_preimage->span()) != Hash256(htlc.payment_hash.array()) ||
      m_invoices.contains(htlc.payment_hash) || htlc.total_msat != htlc.amt_to_forward ||
      !earliest || htlc.cltv_expiry < *earliest) {
    fail_one(htlc, details, out);
    return out;
  }
  InvoiceRecord record;
  record.payment_hash = htlc.payment_hash;
  record.payment_preimage = *htlc.keysend_preimage;
  record.created_at = now;
  record.expiry_seconds = 0;
  record.min_final_cltv_expiry_delta = m_config.keysend_min_final_cltv_expiry_delta;
  record.state = InvoiceState::paid;
  record.received_msat = htlc.amount_msat;
  record.paid_at = now;
  record.parts.push_back(ReceivedPart{htlc.htlc, htlc.amount_msat, htlc.amt_to_forward,
                                      htlc.cltv_expiry, std::move(htlc.shared_secret)});
  out.resolutions.push_back(Fulfill{htlc.htlc, record.payment_preimage});
  out.paid.push_back(record.payment_hash);
  persist(record, out);
  m_invoices.emplace(record.payment_hash, std::move(record));
  return out;
}

void InvoiceRegistry::fail_set(InvoiceRecord& record, uint16_t code, BlockHeight height,
                               RegistryOutput& out) {
  for (const auto& part : record.parts) {
    FailureMessage message;
    message.code = code;
    if (code == to_u16(FailureCode::incorrect_or_unknown_payment_details)) {
      message = payment_details_failure(part.amount_msat, height);
    }
    out.resolutions.push_back(fail_with(part.htlc, part.shared_secret, message));
  }
  record.parts.clear();
  record.held_set.reset();
  m_collecting.erase(record.payment_hash);
}

RegistryOutput InvoiceRegistry::on_tick(uint64_t now) {
  RegistryOutput out;
  // Sets that waited too long. BOLT 4: "MUST fail all HTLCs in the HTLC set after some
  // reasonable timeout." "SHOULD use mpp_timeout for the failure message."
  std::vector<PaymentHash> timed_out;
  for (const auto& hash : m_collecting) {
    const InvoiceRecord& record = m_invoices.at(hash);
    FULGUR_ASSERT(record.held_set.has_value());
    if (now >= record.held_set->started_at + m_config.mpp_timeout_seconds) {
      timed_out.push_back(hash);
    }
  }
  for (const auto& hash : timed_out) {
    InvoiceRecord& record = m_invoices.at(hash);
    fail_set(record, to_u16(FailureCode::mpp_timeout), BlockHeight(0), out);
    persist(record, out);
  }
  // Unpaid invoices past their expiry, with no set still collecting.
  while (!m_expiries.empty() && m_expiries.begin()->first < now) {
    PaymentHash hash = m_expiries.begin()->second;
    InvoiceRecord& record = m_invoices.at(hash);
    if (record.held_set) break;  // its set resolves first (it times out within a minute)
    unindex(record);
    record.state = InvoiceState::expired;
    persist(record, out);
  }
  return out;
}

RegistryOutput InvoiceRegistry::on_block(BlockHeight height) {
  RegistryOutput out;
  // Held parts whose expiry is now too close: the same rule as on arrival (BOLT 4: "if the
  // cltv_expiry value is unreasonably near the present: MUST fail the HTLC").
  for (const auto& hash : m_collecting) {
    InvoiceRecord& record = m_invoices.at(hash);
    auto earliest = height.checked_add(record.min_final_cltv_expiry_delta);
    auto too_close = [&](const ReceivedPart& p) { return !earliest || p.cltv_expiry < *earliest; };
    if (std::none_of(record.parts.begin(), record.parts.end(), too_close)) continue;
    std::vector<ReceivedPart> kept;
    for (auto& part : record.parts) {
      if (too_close(part)) {
        out.resolutions.push_back(fail_with(part.htlc, part.shared_secret,
                                            payment_details_failure(part.amount_msat, height)));
      } else {
        kept.push_back(std::move(part));
      }
    }
    record.parts = std::move(kept);
    if (record.parts.empty()) record.held_set.reset();
    persist(record, out);
  }
  for (auto it = m_collecting.begin(); it != m_collecting.end();) {
    it = m_invoices.at(*it).held_set ? std::next(it) : m_collecting.erase(it);
  }
  return out;
}

Status InvoiceRegistry::load(ByteSpan bytes) {
  FULGUR_TRY(InvoiceRecord record, decode_invoice_record(bytes));
  if (m_invoices.contains(record.payment_hash)) return fail("invoice record: duplicate hash");
  index(record);
  PaymentHash hash = record.payment_hash;
  m_invoices.emplace(hash, std::move(record));
  return {};
}

const InvoiceRecord* InvoiceRegistry::find(const PaymentHash& payment_hash) const {
  auto it = m_invoices.find(payment_hash);
  return it == m_invoices.end() ? nullptr : &it->second;
}

std::vector<const InvoiceRecord*> InvoiceRegistry::list() const {
  std::vector<const InvoiceRecord*> out;
  out.reserve(m_invoices.size());
  for (const auto& [hash, record] : m_invoices) out.push_back(&record);
  std::stable_sort(out.begin(), out.end(), [](const InvoiceRecord* a, const InvoiceRecord* b) {
    return a->created_at < b->created_at;
  });
  return out;
}

void InvoiceRegistry::index(const InvoiceRecord& record) {
  if (record.state != InvoiceState::unpaid) return;
  m_expiries.emplace(expires_at(record), record.payment_hash);
  if (record.held_set) m_collecting.insert(record.payment_hash);
}

void InvoiceRegistry::unindex(const InvoiceRecord& record) {
  m_expiries.erase({expires_at(record), record.payment_hash});
  m_collecting.erase(record.payment_hash);
}

void InvoiceRegistry::persist(const InvoiceRecord& record, RegistryOutput& out) const {
  out.persist.push_back(Persist{Bytes(record.payment_hash.begin(), record.payment_hash.end()),
                                encode_invoice_record(record)});
}

}  // namespace fulgur::payment
