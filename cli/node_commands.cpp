// The node command group: getinfo and stop, answered by fulgurd over Cap'n Proto.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "command.h"

namespace fulgur::cli {
namespace {

// True when something accepts connections on the supervisor's socket.
bool node_listening(const std::filesystem::path& datadir) {
  auto path = (datadir / "rpc" / "fulgurd.sock").string();
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

CommandResult getinfo(const Context& ctx) {
  if (!node_listening(ctx.datadir)) return Unexpected{no_node_error(ctx.datadir)};
  return cli_fail("not_implemented", "getinfo over RPC is not built yet");
}

CommandResult stop(const Context& ctx) {
  if (!node_listening(ctx.datadir)) return Unexpected{no_node_error(ctx.datadir)};
  return cli_fail("not_implemented", "stop over RPC is not built yet");
}

}  // namespace

void register_node_commands(CLI::App& app, Context& ctx) {
  add_command(app, ctx, "getinfo", "the node's id, network and each daemon's status", getinfo);
  add_command(app, ctx, "stop", "stop every process of the node cleanly", stop);
}

}  // namespace fulgur::cli
