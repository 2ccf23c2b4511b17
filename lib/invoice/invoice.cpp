// BOLT 11 decoding and encoding: the human-readable part, the data part's framing, the
// required fields and the recoverable signature.
#include "invoice/invoice.h"

#include <algorithm>
#include <array>

#include "bitcoin/bech32.h"
#include "crypto/hash.h"
#include "invoice/fields.h"

namespace fulgur::invoice {
namespace {

using detail::bytes_to_groups;
using detail::groups_to_bytes;

constexpr size_t TIMESTAMP_GROUPS = 7;     // 35 bits
constexpr size_t SIGNATURE_GROUPS = 104;   // 520 bits: 64-byte signature + recovery id
constexpr std::string_view CURRENCIES[] = {"bcrt", "tbs", "bc", "tb"};  // longest first

Unexpected<InvoiceError> invalid(InvoiceErrorKind kind, std::string message) {
  return Unexpected<InvoiceError>{InvoiceError{kind, std::move(message)}};
}

struct Multiplier {
  char letter;
  uint64_t msat_per_unit_num;  // msat = amount * num / den
  uint64_t den;
};
// One bitcoin is 10^11 msat.
constexpr Multiplier MULTIPLIERS[] = {
    {'m', 100'000'000, 1}, {'u', 100'000, 1}, {'n', 100, 1}, {'p', 1, 10}};

// BOLT 11 reader: "if amount contains a non-digit OR is followed by anything except a
// multiplier: MUST fail the payment"; "if multiplier is p and the last decimal of amount
// is not 0: MUST fail the payment".
Result<std::optional<Msat>, InvoiceError> parse_amount(std::string_view text) {
  if (text.empty()) return std::optional<Msat>{};
  uint64_t num = 100'000'000'000, den = 1;
  char last = text.back();
  if (last < '0' || last > '9') {
    auto it = std::find_if(std::begin(MULTIPLIERS), std::end(MULTIPLIERS),
                           [&](const Multiplier& m) { return m.letter == last; });
    if (it == std::end(MULTIPLIERS)) {
      return invalid(InvoiceErrorKind::invalid_amount,
                     std::string("invalid multiplier '") + last + "'");
    }
    num = it->msat_per_unit_num, den = it->den;
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 20) {
    return invalid(InvoiceErrorKind::invalid_amount, "amount has no digits or too many");
  }
  if (text[0] == '0') {
    return invalid(InvoiceErrorKind::invalid_amount, "amount has a leading zero");
  }
  uint64_t value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') {
      return invalid(InvoiceErrorKind::invalid_amount, "amount contains a non-digit");
    }
    if (__builtin_mul_overflow(value, uint64_t{10}, &value) ||
        __builtin_add_overflow(value, uint64_t(ch - '0'), &value)) {
      return invalid(InvoiceErrorKind::invalid_amount, "amount overflows");
    }
  }
  if (den == 10 && value % 10 != 0) {
    return invalid(InvoiceErrorKind::sub_msat_precision,
                   "pico-bitcoin amount with a last digit other than 0");
  }
  uint64_t msat = 0;
  if (__builtin_mul_overflow(value / den, num, &msat)) {
    return invalid(InvoiceErrorKind::invalid_amount, "amount overflows");
  }
  return std::optional<Msat>(Msat(msat));
}

struct Hrp {
  std::string currency;
  std::optional<Msat> amount;
};

Result<Hrp, InvoiceError> parse_hrp(std::string_view hrp) {
  // BOLT 11 reader: "if it does NOT understand the prefix: MUST fail the payment."
  if (hrp.substr(0, 2) != "ln") {
    return invalid(InvoiceErrorKind::unknown_prefix, "human-readable part must start with ln");
  }
  hrp.remove_prefix(2);
  for (std::string_view currency : CURRENCIES) {
    if (hrp.substr(0, currency.size()) != currency) continue;
    std::string_view rest = hrp.substr(currency.size());
    // The amount starts with a digit; "lntbs" is signet, not testnet with amount "s".
    if (!rest.empty() && (rest[0] < '0' || rest[0] > '9')) continue;
    FULGUR_TRY(auto amount, parse_amount(rest));
    return Hrp{std::string(currency), amount};
  }
  return invalid(InvoiceErrorKind::unknown_prefix,
                 "unknown currency prefix in '" + std::string(hrp) + "'");
}

// SHA256(hrp as UTF-8 || data part without signature, regrouped to bytes, zero-padded).
Hash256 signing_hash(std::string_view hrp, std::span<const uint8_t> data) {
  Bytes message(hrp.begin(), hrp.end());
  append(message, *bitcoin::convert_bits(data, 5, 8, true));
  return crypto::sha256(message);
}

Result<std::vector<RawField>, InvoiceError> split_fields(std::span<const uint8_t> data) {
  std::vector<RawField> fields;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 3) {
      return invalid(InvoiceErrorKind::invalid_field, "truncated tagged field header");
    }
    size_t length = size_t{data[pos + 1]} * 32 + data[pos + 2];
    if (data.size() - pos - 3 < length) {
      return invalid(InvoiceErrorKind::invalid_field, "tagged field longer than the invoice");
    }
    auto begin = data.begin() + static_cast<long>(pos + 3);
    fields.push_back(RawField{data[pos], std::vector<uint8_t>(begin, begin + static_cast<long>(length))});
    pos += 3 + length;
  }
  return fields;
}

Result<void, InvoiceError> check_required(const Invoice& inv, bool have_payment_hash) {
  if (!have_payment_hash) {
    return invalid(InvoiceErrorKind::missing_payment_hash, "no valid payment hash (p) field");
  }
  // BOLT 11 reader (since payment_secret became compulsory): an invoice without a valid
  // `s` field MUST be refused.
  if (!inv.payment_secret) {
    return invalid(InvoiceErrorKind::missing_payment_secret,
                   "no valid payment secret (s) field");
  }
  // BOLT 11 writer: "MUST include either exactly one d or exactly one h field."
  if (!inv.description && !inv.description_hash) {
    return invalid(InvoiceErrorKind::missing_description, "neither d nor h field");
  }
  // BOLT 11 reader: "if the 9 field contains unknown even bits that are non-zero: MUST
  // fail the payment. SHOULD indicate the unknown bit to the user."
  if (auto bit = first_unknown_even_bit(inv.features)) {
    return invalid(InvoiceErrorKind::unknown_required_feature,
                   "unknown required feature bit " + std::to_string(*bit));
  }
  return {};
}

// BOLT 11: "if a valid n field is provided: MUST use the n field to validate the signature
// instead of performing signature recovery" -- and then the signature must be low-S.
// Without `n`, the payee is recovered and high-S is accepted: the recovery id of such an
// invoice belongs to the low-S form (see the spec's high-S example), so s is normalised
// first and the recovery id is kept.
Result<NodeId, InvoiceError> check_signature(const Invoice& inv, const Hash256& digest,
                                             ByteSpan sig65) {
  ByteSpan compact = sig65.first(64);
  int recovery_id = sig65[64];
  auto sig = crypto::Signature::from_compact(compact);
  if (!sig.ok() || recovery_id > 3) {
    return invalid(InvoiceErrorKind::invalid_signature, "signature is not recoverable");
  }
  if (inv.payee_node_id) {
    if (!sig->is_low_s()) {
      return invalid(InvoiceErrorKind::high_s_signature,
                     "non-canonical (high-S) signature with an n field");
    }
    auto key = crypto::PublicKey::from_node_id(*inv.payee_node_id);
    if (!key.ok() || !crypto::verify(*key, digest, *sig)) {
      return invalid(InvoiceErrorKind::invalid_signature, "signature does not match the n field");
    }
    return *inv.payee_node_id;
  }
  auto low_s = sig->normalized().to_compact();
  auto key = crypto::recover(digest, low_s, recovery_id);
  if (!key.ok()) {
    return invalid(InvoiceErrorKind::invalid_signature, "signature is not recoverable");
  }
  return key->node_id();
}

}  // namespace

const char* to_string(InvoiceErrorKind kind) {
  switch (kind) {
    case InvoiceErrorKind::bech32: return "bech32";
    case InvoiceErrorKind::unknown_prefix: return "unknown_prefix";
    case InvoiceErrorKind::invalid_amount: return "invalid_amount";
    case InvoiceErrorKind::sub_msat_precision: return "sub_msat_precision";
    case InvoiceErrorKind::too_short: return "too_short";
    case InvoiceErrorKind::invalid_field: return "invalid_field";
    case InvoiceErrorKind::missing_payment_hash: return "missing_payment_hash";
    case InvoiceErrorKind::missing_payment_secret: return "missing_payment_secret";
    case InvoiceErrorKind::missing_description: return "missing_description";
    case InvoiceErrorKind::unknown_required_feature: return "unknown_required_feature";
    case InvoiceErrorKind::invalid_signature: return "invalid_signature";
    case InvoiceErrorKind::high_s_signature: return "high_s_signature";
  }
  return "unknown";
}

bool Invoice::is_expired(uint64_t now_seconds) const {
  uint64_t deadline = 0;
  if (__builtin_add_overflow(timestamp, expiry_seconds(), &deadline)) return false;
  return now_seconds > deadline;
}

Result<Invoice, InvoiceError> decode_invoice(std::string_view text) {
  // BOLT 11 reader: "MUST parse the address as Bech32 ... (also without the character
  // limit)"; "if the checksum is incorrect: MUST fail the payment."
  auto decoded = bitcoin::bech32_decode(text, MAX_INVOICE_LENGTH);
  if (!decoded.ok()) return invalid(InvoiceErrorKind::bech32, decoded.error().message);
  if (decoded->encoding != bitcoin::Bech32Encoding::Bech32) {
    return invalid(InvoiceErrorKind::bech32, "invoice uses bech32m, not bech32");
  }
  FULGUR_TRY(Hrp hrp, parse_hrp(decoded->hrp));
  const std::vector<uint8_t>& data = decoded->data;
  if (data.size() < TIMESTAMP_GROUPS + SIGNATURE_GROUPS) {
    return invalid(InvoiceErrorKind::too_short, "too short for a timestamp and a signature");
  }
  Invoice inv;
  inv.currency = hrp.currency;
  inv.amount = hrp.amount;
  inv.timestamp = *detail::groups_to_uint(std::span(data).first(TIMESTAMP_GROUPS));
  std::span<const uint8_t> signed_part(data.data(), data.size() - SIGNATURE_GROUPS);
  FULGUR_TRY(inv.fields, split_fields(signed_part.subspan(TIMESTAMP_GROUPS)));
  bool have_payment_hash = false;
  for (const RawField& field : inv.fields) {
    FULGUR_TRY_STATUS(detail::apply_field(inv, have_payment_hash, field));
  }
  FULGUR_TRY_STATUS(check_required(inv, have_payment_hash));
  auto sig = groups_to_bytes(std::span(data).last(SIGNATURE_GROUPS));
  if (!sig || sig->size() != 65) {
    return invalid(InvoiceErrorKind::invalid_signature, "malformed signature");
  }
  FULGUR_TRY(inv.payee, check_signature(inv, signing_hash(decoded->hrp, signed_part), *sig));
  return inv;
}

std::string encode_amount(Msat amount) {
  uint64_t msat = amount.value();
  if (msat % 100'000'000'000 == 0) return std::to_string(msat / 100'000'000'000);
  for (const Multiplier& m : MULTIPLIERS) {
    if (m.den == 1 && msat % m.msat_per_unit_num == 0) {
      return std::to_string(msat / m.msat_per_unit_num) + m.letter;
    }
  }
  return std::to_string(msat) + "0p";
}

Result<std::string> encode_invoice(const Invoice& inv, const crypto::SecretKey& key) {
  if (inv.timestamp >> 35 != 0) return fail("timestamp does not fit in 35 bits");
  if (inv.amount && inv.amount->value() == 0) return fail("amount must be positive");
  if (inv.payee_node_id && *inv.payee_node_id != key.public_key().node_id()) {
    return fail("n field is not the signing key");
  }
  std::vector<RawField> fields = inv.fields;
  if (fields.empty()) {
    FULGUR_TRY(fields, build_fields(inv));
  }
  std::vector<uint8_t> data = detail::uint_to_groups(inv.timestamp, TIMESTAMP_GROUPS);
  for (const RawField& field : fields) {
    if (field.data.size() > 1023 || field.type > 31) return fail("tagged field too long");
    if (std::any_of(field.data.begin(), field.data.end(), [](uint8_t g) { return g > 31; })) {
      return fail("tagged field data must be 5-bit values");
    }
    data.push_back(field.type);
    data.push_back(static_cast<uint8_t>(field.data.size() >> 5));
    data.push_back(static_cast<uint8_t>(field.data.size() & 31));
    data.insert(data.end(), field.data.begin(), field.data.end());
  }
  std::string hrp = "ln" + inv.currency + (inv.amount ? encode_amount(*inv.amount) : "");
  crypto::RecoverableSignature sig = crypto::sign_recoverable(key, signing_hash(hrp, data));
  Bytes sig65(sig.compact.begin(), sig.compact.end());
  sig65.push_back(static_cast<uint8_t>(sig.recovery_id));
  auto sig_groups = bytes_to_groups(sig65);
  data.insert(data.end(), sig_groups.begin(), sig_groups.end());
  return bitcoin::bech32_encode(hrp, data, bitcoin::Bech32Encoding::Bech32);
}

}  // namespace fulgur::invoice
