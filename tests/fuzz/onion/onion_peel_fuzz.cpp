// Fuzz target: peeling an onion_packet from a peer (version, key, HMAC, length prefix).
// Random packets almost never carry a valid HMAC, so the input is also used as the payload
// of a packet built for this node, which reaches the parsing after the HMAC check.
#include <algorithm>

#include "common/assert.h"
#include "onion/payload.h"
#include "onion/sphinx.h"

using namespace fulgur;
using namespace fulgur::onion;

namespace {
const crypto::SecretKey& node_key() {
  static const crypto::SecretKey key =
      std::move(crypto::SecretKey::from_bytes(Bytes(32, 0x42))).value();
  return key;
}
const crypto::SecretKey& session_key() {
  static const crypto::SecretKey key =
      std::move(crypto::SecretKey::from_bytes(Bytes(32, 0x41))).value();
  return key;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  Bytes ad(32, 0x42);
  // 1. The raw input as a packet (padded to size when short).
  Bytes raw(input.begin(), input.end());
  raw.resize(ONION_PACKET_SIZE, 0);
  auto packet = OnionPacket::parse(raw);
  FULGUR_ASSERT(packet.ok());
  auto peeled = peel_onion(node_key(), *packet, ad);
  if (!peeled.ok()) FULGUR_ASSERT(peeled.error().sha256_of_onion == packet->sha256());

  // 2. A valid packet for this node carrying the input as its payload.
  if (size >= 2 && size <= 1200) {
    std::vector<OnionHop> hops{{node_key().public_key(), Bytes(input.begin(), input.end())}};
    auto created = create_onion(session_key(), hops, ad);
    FULGUR_ASSERT(created.ok());
    auto mine = peel_onion(node_key(), created->packet, ad);
    FULGUR_ASSERT(mine.ok() && mine->is_final() && mine->payload == hops[0].payload);
    auto payload = decode_hop_payload(mine->payload);
    if (payload.ok()) FULGUR_ASSERT(decode_hop_payload(encode_hop_payload(*payload)).ok());
  }
  return 0;
}
