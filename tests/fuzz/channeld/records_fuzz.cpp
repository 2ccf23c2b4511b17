// Fuzz target: what channeld decodes from its store and its user: channel and payment
// records (a decoded record re-encodes to its input), peer addresses, and an incoming
// HTLC's onion judged as the final node. Input: a selector byte, then the bytes.
#include "channeld/keysend.h"
#include "channeld/peers.h"
#include "channeld/store.h"
#include "common/assert.h"

using namespace fulgur;
using namespace fulgur::channeld;

namespace {
const crypto::SecretKey& node_key() {
  static const crypto::SecretKey key = *crypto::SecretKey::from_bytes(Bytes(32, 0x42));
  return key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteSpan in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto r = decode_channel_value(7, in);
      if (r.ok()) FULGUR_ASSERT(encode_channel_value(*r) == Bytes(in.begin(), in.end()));
      break;
    }
    case 1: {
      auto p = decode_payment(PaymentHash{}, in);
      if (p.ok()) FULGUR_ASSERT(encode_payment(*p) == Bytes(in.begin(), in.end()));
      break;
    }
    case 2: {
      auto u = PeerUri::parse(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
      if (u.ok()) FULGUR_ASSERT(u->address.port != 0);
      break;
    }
    default: {
      auto d = decide_incoming(node_key(), Msat(1000), PaymentHash{}, BlockHeight(100), in,
                               BlockHeight(50), 18);
      FULGUR_ASSERT(d.kind != IncomingDecision::Kind::Fulfill);  // nobody knows the preimage
      break;
    }
  }
  return 0;
}
