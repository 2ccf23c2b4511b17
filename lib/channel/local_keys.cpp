// Per-channel secret derivation from the node seed; see local_keys.h.
#include "channel/local_keys.h"

#include <string>

#include "crypto/hash.h"

namespace fulgur::channel {

namespace {
Hash256 derive(const crypto::Secret32& node_seed, const char* label, uint64_t key_index) {
  Bytes data;
  append(data, as_bytes(std::string("fulgur/channel/") + label));
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<uint8_t>(key_index >> (8 * i)));
  return crypto::hmac_sha256(node_seed.expose(), data);
}

SecretKey derive_key(const crypto::Secret32& node_seed, const char* label, uint64_t key_index) {
  Hash256 h = derive(node_seed, label, key_index);
  auto key = SecretKey::from_bytes(h.span());
  // A hash that is not a valid scalar has probability ~2^-128.
  FULGUR_ASSERT(key.ok());
  return std::move(key).value();
}
}  // namespace

LocalChannelSecrets derive_channel_secrets(const crypto::Secret32& node_seed, uint64_t key_index) {
  Hash256 seed = derive(node_seed, "shachain", key_index);
  return LocalChannelSecrets{
      derive_key(node_seed, "funding", key_index),
      BasepointSecrets{derive_key(node_seed, "revocation", key_index),
                       derive_key(node_seed, "payment", key_index),
                       derive_key(node_seed, "delayed_payment", key_index),
                       derive_key(node_seed, "htlc", key_index)},
      crypto::Secret32(seed.span())};
}

}  // namespace fulgur::channel
