// channeld: the channel daemon (node identity, peers, channels, direct payments).
// Reading order: options.h (what it is told), node.h (what it does: everything lives in the
// Node, on this process's one loop), server.h + lib/ipc/channeld.capnp (what it answers),
// lib/daemon/runner.h (the daemon's life).
#include "chain/bitcoind.h"
#include "channeld/options.h"
#include "channeld/server.h"
#include "daemon/runner.h"

int main(int argc, char** argv) {
  using namespace fulgur;
  channeld::ChanneldOptions options;
  daemon::DaemonSpec spec{
      "channeld", "channeld: the channel daemon (node identity, peers, channels, payments)",
      "channels", [&](CLI::App& app) { channeld::add_channeld_options(app, options); }};
  return daemon::run_daemon(
      spec, argc, argv, [&](daemon::DaemonContext& ctx) -> Result<capnp::Capability::Client> {
        FULGUR_TRY(auto config, channeld::node_config(options, ctx.options));
        struct Parts {
          std::unique_ptr<chain::BitcoindL1> l1;  // declared first: outlives the node
          std::unique_ptr<channeld::Node> node;
        };
        auto parts = std::make_shared<Parts>();
        if (auto rpc = channeld::l1_config(options)) {
          parts->l1 = std::make_unique<chain::BitcoindL1>(*rpc);
        }
        parts->node = std::make_unique<channeld::Node>(ctx.loop, std::move(config), *ctx.store,
                                                       parts->l1.get(), ctx.log);
        ctx.owned = parts;
        ctx.on_stop = [parts](std::function<void()> done) { parts->node->stop(std::move(done)); };
        FULGUR_TRY_STATUS(parts->node->start());
        return capnp::Capability::Client(kj::heap<channeld::ChanneldServer>(ctx.state, *parts->node));
      });
}
