// The channel command group: peers, channels and the L1 wallet, answered by channeld over
// Cap'n Proto (lib/ipc/channeld.capnp). Each command prints JSON; an error from channeld
// becomes {"error": {"code", "message"}} with the code channeld chose.
#include <memory>

#include "channeld_call.h"

namespace fulgur::cli {
namespace {

namespace schema = ::fulgur::ipc::schema;
using nlohmann::json;

json to_json(schema::PeerEntry::Reader p) {
  return {{"node_id", p.getNodeId().cStr()},
          {"connected", p.getConnected()},
          {"inbound", p.getInbound()},
          {"remote_address", p.getRemoteAddress().cStr()},
          {"dial_address", p.getDialAddress().cStr()},
          {"features", p.getFeatures().cStr()},
          {"channels", p.getChannels()}};
}

json to_json(schema::OnchainState::Reader o) {
  auto text_or_null = [](capnp::Text::Reader t) {
    return t.size() == 0 ? json(nullptr) : json(t.cStr());
  };
  json outputs = json::array();
  for (auto x : o.getOutputs()) {
    outputs.push_back({{"outpoint", x.getOutpoint().cStr()},
                       {"role", x.getRole().cStr()},
                       {"amount_sat", x.getAmountSat()},
                       {"status", x.getStatus().cStr()},
                       {"spent_by", text_or_null(x.getSpentBy())}});
  }
  json claims = json::array();
  for (auto x : o.getClaims()) {
    claims.push_back({{"txid", x.getTxid().cStr()},
                      {"kind", x.getKind().cStr()},
                      {"status", x.getConfirmations() > 0 ? "confirmed" : "pending"},
                      {"confirmations", x.getConfirmations()},
                      {"amount_sat", x.getAmountSat()}});
  }
  return {{"phase", o.getPhase().cStr()},
          {"spend_kind", text_or_null(o.getSpendKind())},
          {"spend_txid", text_or_null(o.getSpendTxid())},
          {"spend_height", o.getSpendHeight()},
          {"spend_confirmations", o.getSpendConfirmations()},
          {"outputs", outputs},
          {"claims", claims},
          {"confirmed_sat", o.getConfirmedSat()},
          {"pending_sat", o.getPendingSat()}};
}

json to_json(schema::ChannelEntry::Reader c) {
  json htlcs = json::array();
  for (auto h : c.getHtlcs()) {
    htlcs.push_back({{"direction", h.getOffered() ? "out" : "in"},
                     {"id", h.getId()},
                     {"amount_msat", h.getAmountMsat()},
                     {"payment_hash", h.getPaymentHash().cStr()},
                     {"cltv_expiry", h.getCltvExpiry()}});
  }
  auto text_or_null = [](capnp::Text::Reader t) {
    return t.size() == 0 ? json(nullptr) : json(t.cStr());
  };
  json out = {{"channel_id", c.getChannelId().cStr()},
          {"peer_id", c.getPeerId().cStr()},
          {"state", c.getState().cStr()},
          {"channel_type", c.getChannelType().cStr()},
          {"opener", c.getOpener().cStr()},
          {"funding_txid", text_or_null(c.getFundingTxid())},
          {"funding_output", c.getFundingOutput()},
          {"funding_sat", c.getFundingSat()},
          {"funding_depth", c.getFundingDepth()},
          {"short_channel_id", text_or_null(c.getShortChannelId())},
          {"to_us_msat", c.getToUsMsat()},
          {"to_them_msat", c.getToThemMsat()},
          {"push_msat", c.getPushMsat()},
          {"feerate_per_kw", c.getFeeratePerKw()},
          {"htlcs", htlcs},
          {"peer_connected", c.getPeerConnected()},
          {"closing_txid", text_or_null(c.getClosingTxid())},
          {"closing_fee_sat", c.getClosingFeeSat()},
          {"local_commitment_number", c.getLocalCommitmentNumber()}};
  out["onchain"] = c.getHasOnchain() ? to_json(c.getOnchain()) : json(nullptr);
  return out;
}

}  // namespace

void register_channel_commands(CLI::App& app, Context& ctx) {
  auto uri = std::make_shared<std::string>();
  add_command(app, ctx, "connect", "connect to a peer: nodeid@host:port (numeric host)",
              [uri](const Context& c) {
                return with_channeld(c, QUICK_MS, [&](schema::Channeld::Client& client) {
                  auto req = client.connectRequest();
                  req.setUri(*uri);
                  return req.send().then([](auto r) -> CommandResult {
                    if (auto e = error_of(r.getError())) return Unexpected{*e};
                    return json{{"peer", to_json(r.getPeer())}};
                  });
                });
              })
      ->add_option("uri", *uri, "nodeid@host:port")->required();

  add_command(app, ctx, "listpeers", "peers connected now or remembered", [](const Context& c) {
    return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
      return client.listPeersRequest().send().then([](auto r) -> CommandResult {
        json peers = json::array();
        for (auto p : r.getPeers()) peers.push_back(to_json(p));
        return json{{"peers", peers}};
      });
    });
  });

  struct OpenArgs {
    std::string node_id;
    uint64_t amount_sat = 0;
    uint64_t push_msat = 0;
    std::string type = "static_remotekey";
    uint64_t timeout_s = 120;
  };
  auto open = std::make_shared<OpenArgs>();
  auto* open_cmd = add_command(
      app, ctx, "openchannel",
      "open a channel with a connected peer, funded from the L1 wallet; waits for the funding "
      "transaction to be broadcast",
      [open](const Context& c) {
        return with_channeld(c, open->timeout_s * 1000, [&](schema::Channeld::Client& client) {
          auto req = client.openChannelRequest();
          req.setNodeId(open->node_id);
          req.setAmountSat(open->amount_sat);
          req.setPushMsat(open->push_msat);
          req.setChannelType(open->type);
          return req.send().then([](auto r) -> CommandResult {
            if (auto e = error_of(r.getError())) return Unexpected{*e};
            return json{{"channel", to_json(r.getChannel())}};
          });
        });
      });
  open_cmd->add_option("nodeid", open->node_id, "the peer's node id")->required();
  open_cmd->add_option("amount_sat", open->amount_sat, "channel capacity in satoshis")->required();
  open_cmd->add_option("--push-msat", open->push_msat, "given to the peer at opening");
  open_cmd->add_option("--type", open->type, "static_remotekey or anchors")
      ->check(CLI::IsMember({"static_remotekey", "anchors"}))
      ->capture_default_str();
  open_cmd->add_option("--timeout-s", open->timeout_s, "how long to wait")->capture_default_str();

  add_command(app, ctx, "listchannels", "every channel with its state, balances and HTLCs",
              [](const Context& c) {
                return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
                  return client.listChannelsRequest().send().then([](auto r) -> CommandResult {
                    json channels = json::array();
                    for (auto ch : r.getChannels()) channels.push_back(to_json(ch));
                    return json{{"channels", channels}};
                  });
                });
              });

  add_command(app, ctx, "listonchain",
              "the on-chain resolution (BOLT 5) of every channel whose funding output is "
              "spent: what spent it, each output, each claim (kind, txid, confirmations, "
              "amount) and the totals swept to our wallet",
              [](const Context& c) {
                return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
                  return client.listChannelsRequest().send().then([](auto r) -> CommandResult {
                    json channels = json::array();
                    for (auto ch : r.getChannels()) {
                      if (!ch.getHasOnchain() || ch.getOnchain().getPhase() == "watching") continue;
                      json entry = to_json(ch.getOnchain());
                      entry["channel_id"] = ch.getChannelId().cStr();
                      entry["state"] = ch.getState().cStr();
                      entry["funding_sat"] = ch.getFundingSat();
                      channels.push_back(std::move(entry));
                    }
                    return json{{"channels", channels}};
                  });
                });
              });

  struct CloseArgs {
    std::string channel_id;
    bool force = false;
    uint64_t timeout_s = 120;
  };
  auto close = std::make_shared<CloseArgs>();
  auto* close_cmd = add_command(
      app, ctx, "close",
      "close a channel: mutual (waits for the closing transaction) or --force (broadcasts our "
      "commitment)",
      [close](const Context& c) {
        return with_channeld(c, close->timeout_s * 1000, [&](schema::Channeld::Client& client) {
          auto req = client.closeRequest();
          req.setChannelId(close->channel_id);
          req.setForce(close->force);
          return req.send().then([](auto r) -> CommandResult {
            if (auto e = error_of(r.getError())) return Unexpected{*e};
            json out{{"closing_txid", r.getClosingTxid().cStr()},
                     {"channel", to_json(r.getChannel())}};
            if (r.hasNote() && r.getNote().size() > 0) out["note"] = r.getNote().cStr();
            return out;
          });
        });
      });
  close_cmd->add_option("channel_id", close->channel_id, "the channel id (hex)")->required();
  close_cmd->add_flag("--force", close->force, "broadcast our latest commitment now");
  close_cmd->add_option("--timeout-s", close->timeout_s, "how long to wait")->capture_default_str();

  add_command(app, ctx, "newaddr", "a new address of the L1 wallet", [](const Context& c) {
    return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
      return client.newAddressRequest().send().then([](auto r) -> CommandResult {
        if (auto e = error_of(r.getError())) return Unexpected{*e};
        return json{{"address", r.getAddress().cStr()}};
      });
    });
  });

  add_command(app, ctx, "listfunds", "the L1 wallet's outputs and our side of every channel",
              [](const Context& c) {
                return with_channeld(c, QUICK_MS, [](schema::Channeld::Client& client) {
                  return client.listFundsRequest().send().then([](auto r) -> CommandResult {
                    if (auto e = error_of(r.getError())) return Unexpected{*e};
                    json outputs = json::array();
                    uint64_t total = 0;
                    for (auto o : r.getOutputs()) {
                      total += o.getAmountSat();
                      outputs.push_back({{"txid", o.getTxid().cStr()},
                                         {"vout", o.getVout()},
                                         {"amount_sat", o.getAmountSat()},
                                         {"address", o.getAddress().cStr()},
                                         {"confirmations", o.getConfirmations()}});
                    }
                    json channels = json::array();
                    for (auto ch : r.getChannels()) {
                      channels.push_back({{"channel_id", ch.getChannelId().cStr()},
                                          {"peer_id", ch.getPeerId().cStr()},
                                          {"state", ch.getState().cStr()},
                                          {"our_amount_msat", ch.getOurAmountMsat()},
                                          {"funding_sat", ch.getFundingSat()}});
                    }
                    return json{{"outputs", outputs},
                                {"onchain_total_sat", total},
                                {"channels", channels}};
                  });
                });
              });

  auto cheat = std::make_shared<std::string>();
  add_command(app, ctx, "dev-signed-commitment",
              "DEVELOPMENT ONLY (channeld with dev-allow-cheat=1): our current commitment, "
              "fully signed, NOT broadcast",
              [cheat](const Context& c) {
                return with_channeld(c, QUICK_MS, [&](schema::Channeld::Client& client) {
                  auto req = client.devSignedCommitmentRequest();
                  req.setChannelId(*cheat);
                  return req.send().then([](auto r) -> CommandResult {
                    if (auto e = error_of(r.getError())) return Unexpected{*e};
                    return json{{"tx", r.getTx().cStr()},
                                {"txid", r.getTxid().cStr()},
                                {"commitment_number", r.getCommitmentNumber()}};
                  });
                });
              })
      ->add_option("channel_id", *cheat, "the channel id (hex)")->required();

  auto revoked = std::make_shared<std::string>();
  add_command(app, ctx, "dev-broadcast-revoked",
              "DEVELOPMENT ONLY (channeld with dev-allow-cheat=1): broadcasts our newest "
              "REVOKED commitment (cheating: the peer's penalty takes the whole channel)",
              [revoked](const Context& c) {
                return with_channeld(c, QUICK_MS, [&](schema::Channeld::Client& client) {
                  auto req = client.devBroadcastRevokedRequest();
                  req.setChannelId(*revoked);
                  return req.send().then([](auto r) -> CommandResult {
                    if (auto e = error_of(r.getError())) return Unexpected{*e};
                    return json{{"txid", r.getTxid().cStr()},
                                {"commitment_number", r.getCommitmentNumber()}};
                  });
                });
              })
      ->add_option("channel_id", *revoked, "the channel id (hex)")->required();
}

}  // namespace fulgur::cli
