// Property: an onion for a random route of 1..20 hops with random payloads peels hop by
// hop into exactly those payloads, and a failure from any hop is attributed to it.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "onion/failure.h"
#include "onion/sphinx.h"

using namespace fulgur;
using namespace fulgur::onion;

namespace {
crypto::SecretKey key_from_seed(uint64_t seed) {
  std::array<uint8_t, 32> bytes{};
  for (size_t i = 0; i < 8; ++i) bytes[i + 1] = static_cast<uint8_t>(seed >> (8 * i));
  bytes[31] = 1;  // never zero, always below the group order
  return std::move(crypto::SecretKey::from_bytes(bytes)).value();
}
}  // namespace

RC_GTEST_PROP(OnionProperty, RandomRoutesPeelHopByHop, ()) {
  const size_t hop_count = *rc::gen::inRange<size_t>(1, MAX_HOPS + 1);
  // Payload sizes that together fit in 1300 bytes.
  size_t budget = HOP_PAYLOADS_SIZE;
  std::vector<crypto::SecretKey> node_keys;
  std::vector<OnionHop> hops;
  for (size_t i = 0; i < hop_count; ++i) {
    size_t left_for_others = (hop_count - i - 1) * hop_size(2);
    size_t max_payload = std::min<size_t>(budget - left_for_others - 35, 600);
    size_t len = *rc::gen::inRange<size_t>(2, max_payload + 1);
    Bytes payload = *rc::gen::container<Bytes>(len, rc::gen::arbitrary<uint8_t>());
    node_keys.push_back(key_from_seed(*rc::gen::arbitrary<uint64_t>()));
    hops.push_back({node_keys.back().public_key(), payload});
    budget -= hop_size(len);
  }
  Bytes associated_data = *rc::gen::container<Bytes>(32, rc::gen::arbitrary<uint8_t>());
  auto session = key_from_seed(*rc::gen::arbitrary<uint64_t>());
  auto created = create_onion(session, hops, associated_data);
  RC_ASSERT(created.ok());

  OnionPacket packet = created->packet;
  std::vector<crypto::Secret32> hop_secrets;
  for (size_t i = 0; i < hop_count; ++i) {
    auto peeled = peel_onion(node_keys[i], packet, associated_data);
    RC_ASSERT(peeled.ok());
    RC_ASSERT(peeled->payload == hops[i].payload);
    RC_ASSERT(peeled->is_final() == (i + 1 == hop_count));
    RC_ASSERT(peeled->shared_secret == created->shared_secrets[i]);
    hop_secrets.push_back(peeled->shared_secret.clone());
    if (peeled->next) packet = *peeled->next;
  }

  // A failure from a random hop, wrapped by the hops before it, is attributed to it.
  const size_t failing = *rc::gen::inRange<size_t>(0, hop_count);
  FailureMessage failure(FailureCode::temporary_channel_failure);
  failure.channel_update = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
  if (failure.channel_update.size() > 500) failure.channel_update.resize(500);
  auto error = create_failure_packet(hop_secrets[failing], encode_failure_message(failure));
  RC_ASSERT(error.ok());
  for (size_t hop = failing; hop-- > 0;) wrap_failure_packet(hop_secrets[hop], *error);
  auto decrypted = decrypt_failure_packet(created->shared_secrets, *error);
  RC_ASSERT(decrypted.ok());
  RC_ASSERT(decrypted->hop_index == failing);
  RC_ASSERT(decrypted->message == failure);
}
