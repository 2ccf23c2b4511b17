// The secrets this node holds for one channel (funding key, the four basepoint secrets and
// the shachain seed), derived from the node's seed and the channel's key index, so that a
// channel's persisted record never contains a secret: only the index.
#pragma once

#include <cstdint>

#include "channel/keys.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace fulgur::channel {

struct LocalChannelSecrets {
  SecretKey funding_secret;
  BasepointSecrets basepoint_secrets;
  crypto::Secret32 shachain_seed;
};

// HMAC-SHA256(node_seed, "fulgur/channel/" label || key_index) per secret.
LocalChannelSecrets derive_channel_secrets(const crypto::Secret32& node_seed, uint64_t key_index);

}  // namespace fulgur::channel
