// Fee formula, failure encryption at the erring node, and the HTLC store key.
#include "payment/types.h"

#include "onion/failure.h"
#include "wire/codec.h"

namespace fulgur::payment {

std::optional<Msat> forwarding_fee(Msat fee_base_msat, uint32_t fee_proportional_millionths,
                                   Msat amount_to_forward) {
  // amount * ppm / 1e6 without a 128-bit product: with amount = q * 1e6 + r, the floor is
  // q * ppm + floor(r * ppm / 1e6), and r * ppm < 1e6 * 2^32 cannot overflow.
  const uint64_t q = amount_to_forward.value() / 1000000;
  const uint64_t r = amount_to_forward.value() % 1000000;
  auto whole = Msat(q).checked_mul(fee_proportional_millionths);
  if (!whole) return std::nullopt;
  auto proportional = whole->checked_add(Msat(r * fee_proportional_millionths / 1000000));
  if (!proportional) return std::nullopt;
  return fee_base_msat.checked_add(*proportional);
}

const HtlcKey& htlc_of(const Resolution& resolution) {
  return std::visit([](const auto& r) -> const HtlcKey& { return r.htlc; }, resolution);
}

Fail fail_with(const HtlcKey& htlc, const crypto::Secret32& shared_secret,
               const onion::FailureMessage& message) {
  auto packet = onion::create_failure_packet(shared_secret, onion::encode_failure_message(message));
  // Our own failure messages are a few hundred bytes at most (a channel_update is the
  // largest field), far below update_fail_htlc's limit.
  FULGUR_ASSERT(packet.ok());
  return Fail{htlc, std::move(packet).value(), message.code};
}

Bytes encode_htlc_key(const HtlcKey& key) {
  wire::Writer w(40);
  w.bytes(key.channel_id.span());
  w.u64(key.htlc_id);
  return w.take();
}

}  // namespace fulgur::payment
