// BOLT 11 tagged fields: decoding each into an Invoice, and building them from one.
#include "invoice/fields.h"

#include "bitcoin/bech32.h"
#include "crypto/keys.h"
#include "invoice/utf8.h"
#include "wire/codec.h"

namespace fulgur::invoice::detail {
namespace {

Unexpected<InvoiceError> bad_field(const char* name, std::string why) {
  return Unexpected<InvoiceError>{
      InvoiceError{InvoiceErrorKind::invalid_field, std::string(name) + " field: " + why}};
}

constexpr size_t ROUTE_HOP_SIZE = 33 + 8 + 4 + 4 + 2;

Result<RouteHint, InvoiceError> decode_route(ByteSpan bytes) {
  if (bytes.empty() || bytes.size() % ROUTE_HOP_SIZE != 0) {
    return bad_field("r", "length is not a whole number of 51-byte hops");
  }
  RouteHint route;
  wire::Reader in(bytes);
  while (!in.empty()) {
    RouteHintHop hop;
    ByteSpan key = *in.bytes(33);
    if (!crypto::PublicKey::parse(key).ok()) return bad_field("r", "pubkey is not a valid point");
    hop.pubkey = *NodeId::from_span(key);
    hop.short_channel_id = ShortChannelId(*in.u64());
    hop.fee_base_msat = *in.u32();
    hop.fee_proportional_millionths = *in.u32();
    hop.cltv_expiry_delta = *in.u16();
    route.push_back(hop);
  }
  return route;
}

// BOLT 11 `f`: "MUST skip over ... an f field with unknown version"; a known version whose
// program no address could carry is skipped the same way.
std::optional<Fallback> decode_fallback(std::span<const uint8_t> data) {
  if (data.empty()) return std::nullopt;
  Fallback fallback;
  fallback.version = data[0];
  auto program = groups_to_bytes(data.subspan(1));
  if (!program) return std::nullopt;
  fallback.program = *program;
  size_t size = program->size();
  if (fallback.version == 17 || fallback.version == 18) {
    if (size != 20) return std::nullopt;
  } else if (fallback.version <= 16) {
    if (size < 2 || size > 40) return std::nullopt;
    if (fallback.version == 0 && size != 20 && size != 32) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return fallback;
}

template <typename Fixed>
std::optional<Fixed> fixed_field(const RawField& field, size_t groups) {
  // BOLT 11: skip `p`, `h`, `s` or `n` fields that do not have data_lengths of 52, 52, 52
  // or 53.
  if (field.data.size() != groups) return std::nullopt;
  auto bytes = groups_to_bytes(field.data);
  if (!bytes) return std::nullopt;
  return Fixed::from_span(*bytes);
}

Result<void, InvoiceError> apply_bytes_field(Invoice& invoice, const RawField& field) {
  auto bytes = groups_to_bytes(field.data);
  const char* name = field.type == tag::d ? "d" : field.type == tag::r ? "r" : "m";
  if (!bytes) return bad_field(name, "non-zero padding bits");
  if (field.type == tag::d) {
    // BOLT 11 (writer): "MUST set d to a valid UTF-8 string."
    if (!is_valid_utf8(*bytes)) return bad_field("d", "description is not valid UTF-8");
    if (!invoice.description) invoice.description = std::string(bytes->begin(), bytes->end());
  } else if (field.type == tag::r) {
    auto route = decode_route(*bytes);
    if (!route.ok()) return Unexpected<InvoiceError>{std::move(route).error()};
    invoice.route_hints.push_back(*route);
  } else if (!invoice.metadata) {
    invoice.metadata = *bytes;
  }
  return {};
}

Result<void, InvoiceError> apply_number_field(Invoice& invoice, const RawField& field) {
  auto value = groups_to_uint(field.data);
  const char* name = field.type == tag::x ? "x" : "c";
  if (!value) return bad_field(name, "value does not fit in 64 bits");
  auto& target = field.type == tag::x ? invoice.expiry : invoice.min_final_cltv_expiry_delta;
  if (!target) target = *value;
  return {};
}

}  // namespace

std::optional<uint64_t> groups_to_uint(std::span<const uint8_t> groups) {
  uint64_t value = 0;
  for (uint8_t g : groups) {
    if (value >> 59 != 0) return std::nullopt;
    value = (value << 5) | g;
  }
  return value;
}

std::vector<uint8_t> uint_to_groups(uint64_t value, size_t width) {
  std::vector<uint8_t> out;
  for (uint64_t v = value; v != 0; v >>= 5) out.insert(out.begin(), static_cast<uint8_t>(v & 31));
  while (out.size() < width) out.insert(out.begin(), 0);
  return out;
}

std::optional<Bytes> groups_to_bytes(std::span<const uint8_t> groups) {
  return bitcoin::convert_bits(groups, 5, 8, false);
}

std::vector<uint8_t> bytes_to_groups(ByteSpan bytes) {
  return *bitcoin::convert_bits(bytes, 8, 5, true);
}

Result<void, InvoiceError> apply_field(Invoice& invoice, bool& have_payment_hash,
                                       const RawField& field) {
  switch (field.type) {
    case tag::p:
      // BOLT 11 (payer): "SHOULD use the first p field that it did NOT skip".
      if (!have_payment_hash) {
        if (auto hash = fixed_field<PaymentHash>(field, 52)) {
          invoice.payment_hash = *hash;
          have_payment_hash = true;
        }
      }
      return {};
    case tag::s:
      if (!invoice.payment_secret) invoice.payment_secret = fixed_field<PaymentSecret>(field, 52);
      return {};
    case tag::h:
      if (!invoice.description_hash) invoice.description_hash = fixed_field<Hash256>(field, 52);
      return {};
    case tag::n:
      if (!invoice.payee_node_id) {
        auto id = fixed_field<NodeId>(field, 53);
        if (id && crypto::PublicKey::parse(id->span()).ok()) invoice.payee_node_id = id;
      }
      return {};
    case tag::d:
    case tag::r:
    case tag::m: return apply_bytes_field(invoice, field);
    case tag::x:
    case tag::c: return apply_number_field(invoice, field);
    case tag::f:
      if (auto fallback = decode_fallback(field.data)) invoice.fallbacks.push_back(*fallback);
      return {};
    case tag::nine:
      // Only the first `9` field is the invoice's feature vector.
      if (invoice.features.empty()) invoice.features = features_from_groups(field.data);
      return {};
    default:
      // BOLT 11: "MUST skip over unknown fields".
      invoice.unknown_fields.push_back(field);
      return {};
  }
}

}  // namespace fulgur::invoice::detail

namespace fulgur::invoice {

using detail::bytes_to_groups;
using detail::uint_to_groups;
namespace tag = detail::tag;

Result<std::vector<RawField>> build_fields(const Invoice& inv) {
  std::vector<RawField> fields;
  auto add = [&](uint8_t type, std::vector<uint8_t> data) {
    fields.push_back(RawField{type, std::move(data)});
  };
  add(tag::p, bytes_to_groups(inv.payment_hash.span()));
  if (inv.payment_secret) add(tag::s, bytes_to_groups(inv.payment_secret->span()));
  if (inv.description) add(tag::d, bytes_to_groups(as_bytes(*inv.description)));
  if (inv.description_hash) add(tag::h, bytes_to_groups(inv.description_hash->span()));
  if (inv.payee_node_id) add(tag::n, bytes_to_groups(inv.payee_node_id->span()));
  if (inv.expiry) add(tag::x, uint_to_groups(*inv.expiry));
  if (inv.min_final_cltv_expiry_delta) add(tag::c, uint_to_groups(*inv.min_final_cltv_expiry_delta));
  for (const Fallback& fallback : inv.fallbacks) {
    std::vector<uint8_t> data{fallback.version};
    auto program = bytes_to_groups(fallback.program);
    data.insert(data.end(), program.begin(), program.end());
    add(tag::f, std::move(data));
  }
  for (const RouteHint& route : inv.route_hints) {
    wire::Writer out;
    for (const RouteHintHop& hop : route) {
      out.bytes(hop.pubkey.span());
      out.u64(hop.short_channel_id.to_u64());
      out.u32(hop.fee_base_msat);
      out.u32(hop.fee_proportional_millionths);
      out.u16(hop.cltv_expiry_delta);
    }
    add(tag::r, bytes_to_groups(out.data()));
  }
  // BOLT 11: if `9` has no set bits the writer "MUST omit the 9 field altogether".
  if (!inv.features.empty()) add(tag::nine, features_to_groups(inv.features));
  if (inv.metadata) add(tag::m, bytes_to_groups(*inv.metadata));
  for (const RawField& unknown : inv.unknown_fields) fields.push_back(unknown);
  for (const RawField& field : fields) {
    if (field.data.size() > 1023) {
      return fail("field " + std::to_string(field.type) + " is longer than 1023 groups");
    }
  }
  return fields;
}

}  // namespace fulgur::invoice
