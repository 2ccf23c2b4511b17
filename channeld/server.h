// channeld's capnp server (lib/ipc/channeld.capnp): status/stop/subscribe from lib/daemon,
// and every channeld method, each a thin call into the Node whose result it copies out
// (server.cpp: node, peers, channels, wallet; server_payments.cpp: payments, invoices,
// forwards; server_util.h: what both share).
// Must not: hold logic beyond argument parsing and result copying.
#pragma once

#include "channeld/node.h"
#include "daemon/status.h"
#include "ipc/channeld.capnp.h"

namespace fulgur::channeld {

class ChanneldServer final : public daemon::DaemonServer<ipc::schema::Channeld> {
 public:
  ChanneldServer(daemon::DaemonState& state, Node& node) : DaemonServer(state), m_node(node) {}

  kj::Promise<void> getInfo(GetInfoContext context) override;
  kj::Promise<void> connect(ConnectContext context) override;
  kj::Promise<void> listPeers(ListPeersContext context) override;
  kj::Promise<void> openChannel(OpenChannelContext context) override;
  kj::Promise<void> listChannels(ListChannelsContext context) override;
  kj::Promise<void> close(CloseContext context) override;
  kj::Promise<void> newAddress(NewAddressContext context) override;
  kj::Promise<void> listFunds(ListFundsContext context) override;
  // Payments (server_payments.cpp).
  kj::Promise<void> keysend(KeysendContext context) override;
  kj::Promise<void> listPayments(ListPaymentsContext context) override;
  kj::Promise<void> invoice(InvoiceContext context) override;
  kj::Promise<void> listInvoices(ListInvoicesContext context) override;
  kj::Promise<void> pay(PayContext context) override;
  kj::Promise<void> listForwards(ListForwardsContext context) override;
  kj::Promise<void> devSignedCommitment(DevSignedCommitmentContext context) override;
  kj::Promise<void> devBroadcastRevoked(DevBroadcastRevokedContext context) override;

 private:
  Node& m_node;
};

}  // namespace fulgur::channeld
