// channeld's capnp methods (see server.h): parse, call the Node, copy the answer out. A
// Node callback fulfils a KJ promise; the results are written when it resolves.
#include "channeld/server.h"
#include "channeld/server_util.h"

#include <memory>

#include "bitcoin/bech32.h"

namespace fulgur::channeld {

namespace schema = ::fulgur::ipc::schema;

namespace {

std::string type_name(channel::ChannelType t) {
  return t == channel::ChannelType::Anchors ? "anchors" : "static_remotekey";
}

void fill_peer(schema::PeerEntry::Builder out, const PeerInfo& p, size_t channels) {
  out.setNodeId(p.id.to_hex());
  out.setConnected(p.connected);
  out.setInbound(p.inbound);
  out.setRemoteAddress(p.remote_address);
  out.setDialAddress(p.dial ? p.dial->to_string() : "");
  out.setFeatures(p.connected ? p.features.to_string() : "");
  out.setChannels(static_cast<uint32_t>(channels));
}

void fill_onchain(schema::OnchainState::Builder out, const OnchainView& v) {
  out.setPhase(v.phase);
  out.setSpendKind(v.spend_kind);
  out.setSpendTxid(v.spend_txid ? v.spend_txid->to_hex() : "");
  out.setSpendHeight(v.spend_height);
  out.setSpendConfirmations(v.spend_confirmations);
  auto outputs = out.initOutputs(static_cast<unsigned>(v.outputs.size()));
  for (unsigned i = 0; i < outputs.size(); ++i) {
    const auto& o = v.outputs[i];
    outputs[i].setOutpoint(o.outpoint);
    outputs[i].setRole(o.role);
    outputs[i].setAmountSat(o.amount.value());
    outputs[i].setStatus(o.status);
    outputs[i].setSpentBy(o.spent_by ? o.spent_by->to_hex() : "");
  }
  auto claims = out.initClaims(static_cast<unsigned>(v.claims.size()));
  for (unsigned i = 0; i < claims.size(); ++i) {
    const auto& c = v.claims[i];
    claims[i].setTxid(c.txid.to_hex());
    claims[i].setKind(c.kind);
    claims[i].setConfirmations(c.confirmations);
    claims[i].setAmountSat(c.amount.value());
  }
  out.setConfirmedSat(v.confirmed_sat.value());
  out.setPendingSat(v.pending_sat.value());
}

void fill_channel(schema::ChannelEntry::Builder out, const ChannelView& v) {
  const auto& s = v.state;
  out.setChannelId(s.channel_id.to_hex());
  out.setPeerId(v.peer.to_hex());
  out.setState(channel::to_string(s.phase));
  out.setChannelType(type_name(s.type));
  out.setOpener(s.is_opener ? "local" : "remote");
  bool funded = !s.funding_txid.is_zero();
  out.setFundingTxid(funded ? s.funding_txid.to_hex() : "");
  out.setFundingOutput(s.funding_output_index);
  out.setFundingSat(s.funding_amount.value());
  out.setFundingDepth(v.funding_depth);
  out.setShortChannelId(v.short_channel_id ? v.short_channel_id->to_string() : "");
  out.setToUsMsat(s.local_commit.spec.to_us.value());
  out.setToThemMsat(s.local_commit.spec.to_them.value());
  out.setFeeratePerKw(s.local_commit.spec.feerate.value());
  auto htlcs = out.initHtlcs(static_cast<unsigned>(s.local_commit.spec.htlcs.size()));
  for (unsigned i = 0; i < htlcs.size(); ++i) {
    const auto& h = s.local_commit.spec.htlcs[i];
    htlcs[i].setOffered(h.offered_by_us);
    htlcs[i].setId(h.id);
    htlcs[i].setAmountMsat(h.amount.value());
    htlcs[i].setPaymentHash(h.payment_hash.to_hex());
    htlcs[i].setCltvExpiry(h.cltv_expiry);
  }
  out.setPeerConnected(v.peer_connected);
  out.setClosingTxid(v.closing_txid ? v.closing_txid->to_hex() : "");
  out.setClosingFeeSat(v.closing_fee.value());
  out.setLocalCommitmentNumber(s.local_commit.number);
  out.setPushMsat(s.push_msat.value());
  out.setHasOnchain(v.onchain.has_value());
  if (v.onchain) fill_onchain(out.initOnchain(), *v.onchain);
}

}  // namespace

kj::Promise<void> ChanneldServer::getInfo(GetInfoContext context) {
  auto info = context.getResults().initInfo();
  info.setNodeId(m_node.node_id().to_hex());
  uint16_t port = m_node.listen_port();
  info.setListenAddress(port == 0 ? "" : PeerAddress{m_node.config().bind_host, port}.to_string());
  info.setNetwork(bitcoin::to_string(m_node.config().network));
  info.setBlockHeight(m_node.height().value());
  size_t connected = 0;
  for (const auto& p : m_node.peers().list()) connected += p.connected ? 1 : 0;
  info.setConnectedPeers(static_cast<uint32_t>(connected));
  info.setActiveChannels(static_cast<uint32_t>(m_node.active_channels()));
  info.setL1Status(m_node.l1_status());
  return kj::READY_NOW;
}

kj::Promise<void> ChanneldServer::connect(ConnectContext context) {
  auto uri = PeerUri::parse(context.getParams().getUri().cStr());
  if (!uri) {
    set_error(context.getResults().initError(), "bad_argument", uri.error().message);
    return kj::READY_NOW;
  }
  auto p = pending<Status>();
  m_node.connect(*uri, p.deliver);
  NodeId id = uri->id;
  return p.promise.then([this, context, id](Status s) mutable {
    if (!s) return set_error(context.getResults().initError(), "connect_failed", s.error().message);
    for (const auto& peer : m_node.peers().list()) {
      if (peer.id == id) {
        fill_peer(context.getResults().initPeer(), peer, m_node.channel_count_with(id));
      }
    }
  });
}

kj::Promise<void> ChanneldServer::listPeers(ListPeersContext context) {
  auto peers = m_node.peers().list();
  auto out = context.getResults().initPeers(static_cast<unsigned>(peers.size()));
  for (unsigned i = 0; i < peers.size(); ++i) {
    fill_peer(out[i], peers[i], m_node.channel_count_with(peers[i].id));
  }
  return kj::READY_NOW;
}

kj::Promise<void> ChanneldServer::openChannel(OpenChannelContext context) {
  auto params = context.getParams();
  auto id = parse_node_id(params.getNodeId().cStr());
  std::string type_text = params.getChannelType().cStr();
  auto results = context.getResults();
  if (!id) {
    set_error(results.initError(), "bad_argument", id.error().message);
    return kj::READY_NOW;
  }
  channel::ChannelType type = channel::ChannelType::StaticRemoteKey;
  if (type_text == "anchors") {
    type = channel::ChannelType::Anchors;
  } else if (!type_text.empty() && type_text != "static_remotekey") {
    set_error(results.initError(), "bad_argument",
              "channel type must be static_remotekey or anchors, not " + type_text);
    return kj::READY_NOW;
  }
  if (!m_node.peers().connected(*id)) {
    set_error(results.initError(), "not_connected", "not connected to " + id->to_hex());
    return kj::READY_NOW;
  }
  auto p = pending<Result<Node::OpenResult>>();
  m_node.open_channel(*id, Sat(params.getAmountSat()), Msat(params.getPushMsat()), type, p.deliver);
  return p.promise.then([this, context](Result<Node::OpenResult> r) mutable {
    auto out = context.getResults();
    if (!r) return set_error(out.initError(), "open_failed", r.error().message);
    if (auto v = m_node.channel_view(r->key_index)) fill_channel(out.initChannel(), *v);
  });
}

kj::Promise<void> ChanneldServer::listChannels(ListChannelsContext context) {
  auto channels = m_node.list_channels();
  auto out = context.getResults().initChannels(static_cast<unsigned>(channels.size()));
  for (unsigned i = 0; i < channels.size(); ++i) fill_channel(out[i], channels[i]);
  return kj::READY_NOW;
}

kj::Promise<void> ChanneldServer::close(CloseContext context) {
  auto params = context.getParams();
  auto id = ChannelId::from_hex(params.getChannelId().cStr());
  if (!id) {
    set_error(context.getResults().initError(), "bad_argument",
              "channel id must be 32 bytes of hex");
    return kj::READY_NOW;
  }
  if (!m_node.find_channel(*id)) {
    set_error(context.getResults().initError(), "unknown_channel", "no channel " + id->to_hex());
    return kj::READY_NOW;
  }
  auto p = pending<Result<Node::CloseResult>>();
  m_node.close_channel(*id, params.getForce(), p.deliver);
  return p.promise.then([this, context](Result<Node::CloseResult> r) mutable {
    auto results = context.getResults();
    if (!r) return set_error(results.initError(), "close_failed", r.error().message);
    results.setClosingTxid(r->closing_txid.to_hex());
    results.setNote(r->note);
    if (auto v = m_node.channel_view(r->key_index)) fill_channel(results.initChannel(), *v);
    if (!r->broadcast_error.empty()) {
      set_error(results.initError(), "broadcast_failed", r->broadcast_error);
    }
  });
}

kj::Promise<void> ChanneldServer::newAddress(NewAddressContext context) {
  auto p = pending<Result<std::string>>();
  m_node.new_address(p.deliver);
  return p.promise.then([context](Result<std::string> r) mutable {
    auto results = context.getResults();
    if (!r) return set_error(results.initError(), "wallet_failed", r.error().message);
    results.setAddress(*r);
  });
}

kj::Promise<void> ChanneldServer::listFunds(ListFundsContext context) {
  auto p = pending<Result<std::vector<chain::Utxo>>>();
  m_node.list_unspent(p.deliver);
  return p.promise.then([this, context](Result<std::vector<chain::Utxo>> r) mutable {
    auto results = context.getResults();
    if (!r) return set_error(results.initError(), "wallet_failed", r.error().message);
    auto outputs = results.initOutputs(static_cast<unsigned>(r->size()));
    for (unsigned i = 0; i < outputs.size(); ++i) {
      const auto& u = (*r)[i];
      outputs[i].setTxid(u.txid.to_hex());
      outputs[i].setVout(u.vout);
      outputs[i].setAmountSat(u.amount.value());
      outputs[i].setAddress(u.address);
      outputs[i].setConfirmations(u.confirmations);
    }
    auto channels = m_node.list_channels();
    auto out = results.initChannels(static_cast<unsigned>(channels.size()));
    for (unsigned i = 0; i < out.size(); ++i) {
      const auto& v = channels[i];
      out[i].setChannelId(v.state.channel_id.to_hex());
      out[i].setPeerId(v.peer.to_hex());
      out[i].setState(channel::to_string(v.state.phase));
      out[i].setOurAmountMsat(v.state.local_commit.spec.to_us.value());
      out[i].setFundingSat(v.state.funding_amount.value());
    }
  });
}

kj::Promise<void> ChanneldServer::devSignedCommitment(DevSignedCommitmentContext context) {
  auto results = context.getResults();
  auto id = ChannelId::from_hex(context.getParams().getChannelId().cStr());
  if (!id) {
    set_error(results.initError(), "bad_argument", "channel id must be 32 bytes of hex");
    return kj::READY_NOW;
  }
  if (!m_node.config().dev_allow_cheat) {
    set_error(results.initError(), "not_allowed",
              "dev-signed-commitment needs channeld started with dev-allow-cheat=1 "
              "(development only)");
    return kj::READY_NOW;
  }
  if (!m_node.find_channel(*id)) {
    set_error(results.initError(), "unknown_channel", "no channel " + id->to_hex());
    return kj::READY_NOW;
  }
  auto c = m_node.dev_signed_commitment(*id);
  if (!c) {
    set_error(results.initError(), "no_commitment", c.error().message);
    return kj::READY_NOW;
  }
  results.setTx(to_hex(c->tx));
  results.setTxid(c->txid.to_hex());
  results.setCommitmentNumber(c->commitment_number);
  return kj::READY_NOW;
}

kj::Promise<void> ChanneldServer::devBroadcastRevoked(DevBroadcastRevokedContext context) {
  auto results = context.getResults();
  auto id = ChannelId::from_hex(context.getParams().getChannelId().cStr());
  if (!id) {
    set_error(results.initError(), "bad_argument", "channel id must be 32 bytes of hex");
    return kj::READY_NOW;
  }
  if (!m_node.config().dev_allow_cheat) {
    set_error(results.initError(), "not_allowed",
              "dev-broadcast-revoked needs channeld started with dev-allow-cheat=1 "
              "(development only)");
    return kj::READY_NOW;
  }
  if (!m_node.find_channel(*id)) {
    set_error(results.initError(), "unknown_channel", "no channel " + id->to_hex());
    return kj::READY_NOW;
  }
  auto p = pending<Result<Node::SignedCommitment>>();
  m_node.dev_broadcast_revoked(*id, p.deliver);
  return p.promise.then([context](Result<Node::SignedCommitment> r) mutable {
    auto out = context.getResults();
    if (!r) {
      bool none = r.error().message.find("no revoked commitment") != std::string::npos;
      return set_error(out.initError(), none ? "no_commitment" : "broadcast_failed",
                       r.error().message);
    }
    out.setTxid(r->txid.to_hex());
    out.setCommitmentNumber(r->commitment_number);
  });
}

}  // namespace fulgur::channeld
