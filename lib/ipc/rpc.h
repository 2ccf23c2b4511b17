// Cap'n Proto two-party RPC over the libuv glue: a server that serves one bootstrap
// capability on a Unix socket, and a client connection to one.
#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "ipc/event_loop.h"
#include "ipc/uv_stream.h"

namespace fulgur::ipc {

// Serves `bootstrap` to every client of the socket at `path` (mode 0600). A client that
// disconnects, even mid-call, only ends its own calls. Destroying the server closes the
// socket and every connection.
class RpcServer {
 public:
  static Result<std::unique_ptr<RpcServer>> listen(uv_loop_t* loop,
                                                   const std::filesystem::path& path,
                                                   capnp::Capability::Client bootstrap);
  ~RpcServer();

 private:
  explicit RpcServer(capnp::Capability::Client bootstrap);
  // Declared first so that connections go before the listener that made them.
  kj::Own<capnp::TwoPartyServer> m_server;
  std::unique_ptr<UvListener> m_listener;
};

// A client connection: the stream, the RPC system on it and the server's bootstrap.
class RpcConnection {
 public:
  explicit RpcConnection(kj::Own<UvStream> stream);
  template <typename T>
  typename T::Client bootstrap() {
    return m_client->bootstrap().castAs<T>();
  }
  // Resolves when the server goes away.
  kj::Promise<void> on_disconnect() { return m_client->onDisconnect(); }

 private:
  kj::Own<UvStream> m_stream;
  kj::Own<capnp::TwoPartyClient> m_client;
};

// Connects to the server at `path`; rejects (DISCONNECTED) when nothing listens there.
kj::Promise<kj::Own<RpcConnection>> connect_rpc(uv_loop_t* loop, const std::string& path);

}  // namespace fulgur::ipc
