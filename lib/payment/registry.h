// The invoice registry of a merchant node: creates BOLT 11 invoices (preimage and
// payment_secret from randomness the caller passes in, signed with the node key), decides
// on every HTLC for which this node is the final hop (BOLT 4 final-node rules, basic
// multi-part payments, keysend) and keeps each invoice's state: unpaid, paid (with the
// preimage), expired. Time and height are passed in; every change comes out as a record
// to persist before the resolutions that come with it are carried out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "invoice/invoice.h"
#include "payment/types.h"
#include "wire/tlv.h"

namespace fulgur::payment {

enum class InvoiceState : uint8_t { unpaid = 0, paid = 1, expired = 2 };
const char* to_string(InvoiceState state);

// One HTLC of a payment: held while its set is collected, kept once fulfilled.
struct ReceivedPart {
  HtlcKey htlc;
  Msat amount_msat;       // the HTLC's amount
  Msat amt_to_forward;    // what the onion says this part pays (counts toward total_msat)
  BlockHeight cltv_expiry;
  crypto::Secret32 shared_secret;  // to fail it (mpp_timeout) after a restart
  friend bool operator==(const ReceivedPart&, const ReceivedPart&) = default;
};

// The HTLC set being collected for an unpaid invoice (BOLT 4 basic multi-part payments).
struct HeldSet {
  Msat total_msat;          // the total_msat every part must carry
  uint64_t started_at = 0;  // when its first part arrived, seconds
  friend bool operator==(const HeldSet&, const HeldSet&) = default;
};

// An invoice, or the receipt of a keysend payment (no bolt11, no payment_secret).
struct InvoiceRecord {
  static constexpr uint16_t VERSION = 1;

  PaymentHash payment_hash;
  Preimage payment_preimage;
  std::optional<PaymentSecret> payment_secret;
  std::optional<std::string> bolt11;
  std::optional<Msat> amount_msat;  // nothing: any amount
  uint64_t created_at = 0;          // seconds since 1970 (the invoice timestamp)
  uint64_t expiry_seconds = invoice::DEFAULT_EXPIRY_SECONDS;
  CltvDelta min_final_cltv_expiry_delta{invoice::DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA};
  InvoiceState state = InvoiceState::unpaid;
  Msat received_msat{0};  // once paid: the sum of the HTLCs fulfilled
  uint64_t paid_at = 0;
  std::optional<HeldSet> held_set;  // unpaid and collecting parts
  std::vector<ReceivedPart> parts;  // the held parts, or the fulfilled ones once paid
  wire::TlvRecords extensions;      // unknown odd fields of a later version, kept

  bool is_keysend() const { return !bolt11.has_value(); }
  // BOLT 11 (payee): "after the timestamp plus expiry has passed: SHOULD NOT accept a
  // payment".
  bool expired_at(uint64_t now) const;
  friend bool operator==(const InvoiceRecord&, const InvoiceRecord&) = default;
};

// Versioned record (u16 version, TLV fields). Decoding checks the state's invariants, so a
// decoded record can be loaded as is; whatever decodes re-encodes to the same bytes.
Bytes encode_invoice_record(const InvoiceRecord& record);
Result<InvoiceRecord> decode_invoice_record(ByteSpan bytes);

struct RegistryConfig {
  std::string currency = "bc";  // BOLT 11 prefix: bc, tb, tbs, bcrt
  // BOLT 4: "MUST fail all HTLCs in the HTLC set after some reasonable timeout. SHOULD wait
  // for at least 60 seconds after the initial HTLC."
  uint64_t mpp_timeout_seconds = 60;
  // Parts one set may hold (a bound on what a sender can make this node keep).
  size_t max_parts_per_set = 64;
  bool accept_keysend = true;
  CltvDelta keysend_min_final_cltv_expiry_delta{invoice::DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA};
};

struct InvoiceRequest {
  std::optional<Msat> amount_msat;  // nothing: the payer chooses
  std::string description;
  std::optional<Hash256> description_hash;  // written as `h` instead of `d` when set
  uint64_t expiry_seconds = invoice::DEFAULT_EXPIRY_SECONDS;
  CltvDelta min_final_cltv_expiry_delta{invoice::DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA};
  // BOLT 11: "if there is NOT a public channel associated with its public key: MUST
  // include at least one r field".
  std::vector<invoice::RouteHint> route_hints;
};

// 64 fresh random bytes from the caller's CSPRNG.
struct InvoiceEntropy {
  Preimage preimage;
  PaymentSecret payment_secret;
};

struct CreatedInvoice {
  std::string bolt11;
  PaymentHash payment_hash;
  Persist persist;
};

struct RegistryOutput {
  std::vector<Persist> persist;        // durable first
  std::vector<Resolution> resolutions;  // then carried out, in order
  std::vector<PaymentHash> paid;       // invoices (or keysends) that became paid
};

class InvoiceRegistry {
 public:
  explicit InvoiceRegistry(RegistryConfig config = {});

  // A new invoice, signed with the node key. Errors: a zero amount, a payment hash that
  // exists already (the entropy was reused), or fields BOLT 11 cannot carry.
  Result<CreatedInvoice> create(const InvoiceRequest& request, const InvoiceEntropy& entropy,
                                const crypto::SecretKey& node_key, uint64_t now);

  // An HTLC for which this node is the final hop. Replays of an HTLC it already has
  // change nothing (a fulfilled one is fulfilled again).
  RegistryOutput on_htlc(FinalHtlc htlc, BlockHeight current_height, uint64_t now);
  // Time: fails sets that waited too long (mpp_timeout) and expires unpaid invoices.
  RegistryOutput on_tick(uint64_t now);
  // A new tip: fails held parts whose expiry came too close.
  RegistryOutput on_block(BlockHeight current_height);

  // Restores a persisted record (at startup). Errors: a corrupt record or a duplicate.
  Status load(ByteSpan record);

  const InvoiceRecord* find(const PaymentHash& payment_hash) const;
  // Every invoice and keysend receipt, oldest first (created_at, then hash).
  std::vector<const InvoiceRecord*> list() const;
  size_t size() const { return m_invoices.size(); }

 private:
  void index(const InvoiceRecord& record);
  void unindex(const InvoiceRecord& record);
  void persist(const InvoiceRecord& record, RegistryOutput& out) const;
  void fail_set(InvoiceRecord& record, uint16_t code, BlockHeight height, RegistryOutput& out);
  RegistryOutput on_keysend(FinalHtlc&& htlc, BlockHeight height, uint64_t now);
  RegistryOutput add_part(InvoiceRecord& record, FinalHtlc&& htlc, uint64_t now);

  RegistryConfig m_config;
  std::map<PaymentHash, InvoiceRecord> m_invoices;
  std::set<PaymentHash> m_collecting;                      // unpaid with held parts
  std::set<std::pair<uint64_t, PaymentHash>> m_expiries;  // unpaid: (expires at, hash)
};

}  // namespace fulgur::payment
