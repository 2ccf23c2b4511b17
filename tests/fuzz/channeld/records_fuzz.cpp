// Fuzz target: what channeld decodes from its store and its user: channel and payment
// records (a decoded record re-encodes to its input) and peer addresses. Input: a selector
// byte, then the bytes. (Incoming onions are lib/payment's and lib/onion's targets.)
#include "channeld/peers.h"
#include "channeld/store.h"
#include "common/assert.h"

using namespace fulgur;
using namespace fulgur::channeld;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteSpan in(data + 1, size - 1);
  switch (data[0] % 3) {
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
    default: {
      auto u = PeerUri::parse(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
      if (u.ok()) FULGUR_ASSERT(u->address.port != 0);
      break;
    }
  }
  return 0;
}
