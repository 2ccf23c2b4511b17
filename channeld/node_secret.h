// The node's root secret: 32 random bytes created at first start in <datadir>/node_secret
// (mode 0600) and read at every start. Everything secret the node holds derives from it:
// the node key (identity, BOLT 8 static key, onion key) and the channel seed (every
// channel's keys, by key index). Must not: log or print a secret.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace fulgur::channeld {

struct NodeSecrets {
  crypto::SecretKey node_key;
  crypto::Secret32 channel_seed;
};

// Derives both from a root secret: HMAC-SHA256(root, "fulgur/node_key") (re-hashed with
// a counter in the ~2^-128 case it is not a valid scalar) and HMAC-SHA256(root,
// "fulgur/channel_seed").
NodeSecrets derive_node_secrets(const crypto::Secret32& root);

// Reads <path>, or creates it (0600, fsync'ed, in a directory that must exist) when it is
// missing. Errors for a file of the wrong size or mode wider than 0600, so that a damaged
// or exposed secret is never used silently.
Result<crypto::Secret32> load_or_create_root_secret(const std::filesystem::path& path);

}  // namespace fulgur::channeld
