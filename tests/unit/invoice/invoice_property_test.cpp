// Property: random invoices survive encode -> decode -> encode unchanged, and the payee is
// recovered as the signing key.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "invoice/invoice.h"

using namespace fulgur;
using namespace fulgur::invoice;

namespace {
template <typename Fixed>
Fixed random_fixed() {
  auto bytes = *rc::gen::container<std::vector<uint8_t>>(Fixed::SIZE, rc::gen::arbitrary<uint8_t>());
  return *Fixed::from_span(bytes);
}
}  // namespace

RC_GTEST_PROP(InvoiceProperty, RandomInvoicesRoundTrip, ()) {
  auto key = std::move(crypto::SecretKey::from_bytes(Bytes(32, 0x33))).value();
  Invoice inv;
  inv.currency = *rc::gen::element<std::string>("bc", "tb", "tbs", "bcrt");
  if (*rc::gen::arbitrary<bool>()) {
    inv.amount = Msat(*rc::gen::inRange<uint64_t>(1, uint64_t{1} << 60));
  }
  inv.timestamp = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 35);
  inv.payment_hash = random_fixed<PaymentHash>();
  inv.payment_secret = random_fixed<PaymentSecret>();
  if (*rc::gen::arbitrary<bool>()) {
    inv.description = *rc::gen::container<std::string>(rc::gen::inRange<char>(32, 127));
  } else {
    inv.description_hash = random_fixed<Hash256>();
  }
  if (*rc::gen::arbitrary<bool>()) inv.payee_node_id = key.public_key().node_id();
  if (*rc::gen::arbitrary<bool>()) inv.expiry = *rc::gen::arbitrary<uint64_t>();
  if (*rc::gen::arbitrary<bool>()) inv.min_final_cltv_expiry_delta = *rc::gen::inRange<uint64_t>(0, 5000);
  if (*rc::gen::arbitrary<bool>()) {
    inv.fallbacks.push_back(Fallback{*rc::gen::element<uint8_t>(0, 17, 18), Bytes(20, 7)});
  }
  const size_t hops = *rc::gen::inRange<size_t>(0, 4);
  if (hops > 0) {
    RouteHint route;
    for (size_t i = 0; i < hops; ++i) {
      RouteHintHop hop;
      hop.pubkey = key.public_key().node_id();
      hop.short_channel_id = ShortChannelId(*rc::gen::arbitrary<uint64_t>());
      hop.fee_base_msat = *rc::gen::arbitrary<uint32_t>();
      hop.fee_proportional_millionths = *rc::gen::arbitrary<uint32_t>();
      hop.cltv_expiry_delta = *rc::gen::arbitrary<uint16_t>();
      route.push_back(hop);
    }
    inv.route_hints.push_back(route);
  }
  inv.features = Features::from_bits({8, 14});  // var_onion_optin, payment_secret
  for (size_t bit : *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, 40))) {
    if (bit % 2 == 1) inv.features.set_bit(2 * bit + 101);  // unknown odd bits  // odd (unknown odd bits are allowed)
  }
  if (*rc::gen::arbitrary<bool>()) {
    inv.metadata = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
  }

  auto text = encode_invoice(inv, key);
  RC_ASSERT(text.ok());
  auto back = decode_invoice(*text);
  RC_ASSERT(back.ok());
  RC_ASSERT(back->payee == key.public_key().node_id());
  RC_ASSERT(back->currency == inv.currency);
  RC_ASSERT(back->amount == inv.amount);
  RC_ASSERT(back->timestamp == inv.timestamp);
  RC_ASSERT(back->payment_hash == inv.payment_hash);
  RC_ASSERT(back->payment_secret == inv.payment_secret);
  RC_ASSERT(back->description == inv.description);
  RC_ASSERT(back->description_hash == inv.description_hash);
  RC_ASSERT(back->payee_node_id == inv.payee_node_id);
  RC_ASSERT(back->expiry == inv.expiry);
  RC_ASSERT(back->min_final_cltv_expiry_delta == inv.min_final_cltv_expiry_delta);
  RC_ASSERT(back->fallbacks == inv.fallbacks);
  RC_ASSERT(back->route_hints == inv.route_hints);
  RC_ASSERT(back->features == inv.features);
  RC_ASSERT(back->metadata == inv.metadata);
  auto again = encode_invoice(*back, key);
  RC_ASSERT(again.ok());
  RC_ASSERT(*again == *text);
}
