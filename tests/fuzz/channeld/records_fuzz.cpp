// Fuzz target: what channeld decodes from its store and its peers: channel records (a
// decoded record re-encodes to its input), peer addresses, and an incoming HTLC's onion
// through the switch as channeld calls it (our node key, one outgoing channel). Input: a
// selector byte, then the bytes. (lib/payment's records have their own targets.)
#include "channeld/peers.h"
#include "channeld/store.h"
#include "common/assert.h"
#include "payment/htlc_switch.h"

using namespace fulgur;
using namespace fulgur::channeld;

namespace {
const crypto::SecretKey& node_key() {
  static const crypto::SecretKey key = *crypto::SecretKey::from_bytes(Bytes(32, 0x42));
  return key;
}

const payment::ChannelTable& table() {
  static const payment::ChannelTable t = [] {
    payment::ChannelTable out;
    payment::OutgoingChannel c;
    c.short_channel_id = ShortChannelId(1);
    c.peer = crypto::SecretKey::from_bytes(Bytes(32, 0x43))->public_key().node_id();
    c.peer_connected = true;
    c.usable = true;
    c.available_msat = Msat(1'000'000'000);
    out.upsert(c);
    return out;
  }();
  return t;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteSpan in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto r = decode_channel_value(7, in);
      // Version 1 (no short_channel_id) is read, and written back as version 2.
      if (r.ok() && in[0] == 2) FULGUR_ASSERT(encode_channel_value(*r) == Bytes(in.begin(), in.end()));
      break;
    }
    case 1: {
      auto u = PeerUri::parse(std::string_view(reinterpret_cast<const char*>(in.data()), in.size()));
      if (u.ok()) FULGUR_ASSERT(u->address.port != 0);
      break;
    }
    default: {
      payment::IncomingHtlc htlc{payment::HtlcKey{}, Msat(100'000), PaymentHash{},
                                 BlockHeight(1000), in, false};
      auto d = payment::decide_incoming(htlc, node_key(), table(), payment::SwitchConfig{},
                                        BlockHeight(500));
      // Nobody but the sender can make an onion for our key that forwards: anything else
      // is a decision, never a crash.
      (void)d;
      break;
    }
  }
  return 0;
}
