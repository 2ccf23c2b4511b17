// The node command group: getinfo and stop, answered by fulgurd over Cap'n Proto.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "command.h"
#include "ipc/channeld.capnp.h"
#include "ipc/fulgurd.capnp.h"
#include "ipc/rpc.h"

namespace fulgur::cli {
namespace {

namespace schema = ::fulgur::ipc::schema;

constexpr int STOP_WAIT_MS = 60000;

std::filesystem::path socket_path(const Context& ctx) {
  return ctx.datadir / "rpc" / "fulgurd.sock";
}

const char* to_string(schema::Health health) {
  switch (health) {
    case schema::Health::OK: return "ok";
    case schema::Health::DEGRADED: return "degraded";
    case schema::Health::FAILING: return "failing";
  }
  return "unknown";
}

const char* to_string(schema::ChildState state) {
  switch (state) {
    case schema::ChildState::STARTING: return "starting";
    case schema::ChildState::RUNNING: return "running";
    case schema::ChildState::RESTARTING: return "restarting";
    case schema::ChildState::STOPPED: return "stopped";
    case schema::ChildState::FAILED: return "failed";
  }
  return "unknown";
}

nlohmann::json to_json(schema::DaemonStatus::Reader status) {
  return {{"name", status.getName().cStr()},     {"version", status.getVersion().cStr()},
          {"pid", status.getPid()},              {"uptime_ms", status.getUptimeMs()},
          {"health", to_string(status.getHealth())}, {"detail", status.getDetail().cStr()}};
}

nlohmann::json to_json(schema::NodeStatus::Reader node) {
  nlohmann::json daemons = nlohmann::json::array();
  for (auto entry : node.getDaemons()) {
    nlohmann::json d = {{"name", entry.getName().cStr()},
                        {"state", to_string(entry.getState())},
                        {"pid", entry.getPid()},
                        {"restarts", entry.getRestarts()},
                        {"last_exit", entry.getLastExit().cStr()}};
    if (entry.getAnswered()) {
      d["status"] = to_json(entry.getStatus());
    } else {
      d["error"] = entry.getError().cStr();
    }
    daemons.push_back(std::move(d));
  }
  std::string node_id = node.getNodeId();
  return {{"node_id", node_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(node_id)},
          {"network", node.getNetwork().cStr()},
          {"datadir", node.getDatadir().cStr()},
          {"fulgurd", to_json(node.getSupervisor())},
          {"daemons", std::move(daemons)}};
}

// Runs `call(client, wait_scope)` against the node's fulgurd; RPC failures become errors.
template <typename F>
CommandResult with_node(const Context& ctx, F&& call) {
  if (!ipc::unix_socket_answers(socket_path(ctx))) return Unexpected{no_node_error(ctx.datadir)};
  try {
    ipc::EventLoop loop;
    auto conn = ipc::connect_rpc(loop.uv(), socket_path(ctx).string()).wait(loop.wait_scope());
    auto client = conn->bootstrap<schema::Fulgurd>();
    return call(client, loop);
  } catch (const kj::Exception& e) {
    return cli_fail("rpc_failed", e.getDescription().cStr());
  }
}

// channeld's own summary (listen address, L1 tip, peers, channels); null while it is down.
nlohmann::json channeld_info(const Context& ctx, ipc::EventLoop& loop) {
  auto path = ctx.datadir / "rpc" / "channeld.sock";
  if (!ipc::unix_socket_answers(path)) return nullptr;
  try {
    auto conn = ipc::connect_rpc(loop.uv(), path.string()).wait(loop.wait_scope());
    auto info = conn->bootstrap<schema::Channeld>().getInfoRequest().send().wait(loop.wait_scope());
    auto i = info.getInfo();
    std::string listen = i.getListenAddress();
    return {{"listen_address", listen.empty() ? nlohmann::json(nullptr) : nlohmann::json(listen)},
            {"block_height", i.getBlockHeight()},
            {"connected_peers", i.getConnectedPeers()},
            {"active_channels", i.getActiveChannels()},
            {"l1_status", i.getL1Status().cStr()}};
  } catch (const kj::Exception&) {
    return nullptr;
  }
}

CommandResult getinfo(const Context& ctx) {
  return with_node(ctx, [&ctx](schema::Fulgurd::Client& client, ipc::EventLoop& loop) {
    auto response = client.nodeStatusRequest().send().wait(loop.wait_scope());
    auto out = to_json(response.getNode());
    out["channeld"] = channeld_info(ctx, loop);
    return CommandResult(std::move(out));
  });
}

// True once no fulgurd holds the datadir's lock (it exits after its daemons).
bool node_gone(const Context& ctx) {
  int fd = ::open((ctx.datadir / "fulgurd.lock").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return true;
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

CommandResult stop(const Context& ctx) {
  return with_node(ctx, [&ctx](schema::Fulgurd::Client& client, ipc::EventLoop& loop) {
    try {
      client.stopRequest().send().wait(loop.wait_scope());
    } catch (const kj::Exception& e) {
      // The node may close the connection as it goes; that is what we asked for.
      if (e.getType() != kj::Exception::Type::DISCONNECTED) throw;
    }
    for (int waited = 0; waited < STOP_WAIT_MS; waited += 50) {
      if (node_gone(ctx)) return CommandResult(nlohmann::json{{"stopped", true}});
      ipc::after_ms(loop.uv(), 50).wait(loop.wait_scope());
    }
    return CommandResult(cli_fail("stop_timeout", "the node did not stop within 60 s"));
  });
}

}  // namespace

void register_node_commands(CLI::App& app, Context& ctx) {
  add_command(app, ctx, "getinfo", "the node's id, network and each daemon's status", getinfo);
  add_command(app, ctx, "stop", "stop every process of the node cleanly and wait for it", stop);
}

}  // namespace fulgur::cli
