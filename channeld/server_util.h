// What channeld's capnp methods share (server.cpp, server_payments.cpp): the error setter,
// a KJ promise a Node callback fulfils, and parsing a node id. Internal to the server.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/ids.h"
#include "common/result.h"
#include "crypto/keys.h"
#include "ipc/channeld.capnp.h"

namespace fulgur::channeld {

inline void set_error(ipc::schema::CallError::Builder e, const std::string& code,
                      const std::string& message) {
  e.setCode(code);
  e.setMessage(message);
}

// A KJ promise for a value a Node callback delivers later (or at once).
template <typename T>
struct Pending {
  kj::Promise<T> promise;
  std::function<void(T)> deliver;
};
template <typename T>
Pending<T> pending() {
  auto paf = kj::newPromiseAndFulfiller<T>();
  auto fulfiller = std::make_shared<kj::Own<kj::PromiseFulfiller<T>>>(kj::mv(paf.fulfiller));
  return {kj::mv(paf.promise), [fulfiller](T value) { (*fulfiller)->fulfill(kj::mv(value)); }};
}

inline Result<NodeId> parse_node_id(const std::string& text) {
  auto id = NodeId::from_hex(text);
  if (!id || !crypto::PublicKey::from_node_id(*id)) {
    return fail("node id must be a 33-byte compressed public key in hex");
  }
  return *id;
}

}  // namespace fulgur::channeld
