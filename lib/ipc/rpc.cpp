// RpcServer and RpcConnection (see rpc.h).
#include "ipc/rpc.h"

namespace fulgur::ipc {

RpcServer::RpcServer(capnp::Capability::Client bootstrap)
    : m_server(kj::heap<capnp::TwoPartyServer>(kj::mv(bootstrap))) {}

RpcServer::~RpcServer() {
  m_listener = nullptr;  // no new connections
  m_server = nullptr;    // ends every connection
}

Result<std::unique_ptr<RpcServer>> RpcServer::listen(uv_loop_t* loop,
                                                     const std::filesystem::path& path,
                                                     capnp::Capability::Client bootstrap) {
  std::unique_ptr<RpcServer> server(new RpcServer(kj::mv(bootstrap)));
  capnp::TwoPartyServer* two_party = server->m_server.get();
  FULGUR_TRY(server->m_listener,
             UvListener::bind(loop, path, [two_party](kj::Own<UvStream> stream) {
               two_party->accept(kj::mv(stream));
             }));
  return server;
}

RpcConnection::RpcConnection(kj::Own<UvStream> stream)
    : m_stream(kj::mv(stream)), m_client(kj::heap<capnp::TwoPartyClient>(*m_stream)) {}

kj::Promise<kj::Own<RpcConnection>> connect_rpc(uv_loop_t* loop, const std::string& path) {
  return connect_unix(loop, path).then([](kj::Own<UvStream> stream) {
    return kj::heap<RpcConnection>(kj::mv(stream));
  });
}

}  // namespace fulgur::ipc
