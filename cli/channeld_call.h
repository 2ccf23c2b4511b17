// One call to channeld over Cap'n Proto for a fulgur-cli command (channel_commands.cpp,
// payment_commands.cpp): connect to <datadir>/rpc/channeld.sock, run the request, bound the
// wait, turn RPC failures and channeld's CallError into the CLI's JSON errors.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "command.h"
#include "ipc/channeld.capnp.h"
#include "ipc/rpc.h"

namespace fulgur::cli {

inline constexpr uint64_t QUICK_MS = 30'000;

inline std::filesystem::path channeld_socket(const Context& ctx) {
  return ctx.datadir / "rpc" / "channeld.sock";
}

// Runs `call(client)` against channeld; RPC failures become errors. `timeout_ms` bounds the
// whole call (a payment waits for its outcome).
template <typename F>
CommandResult with_channeld(const Context& ctx, uint64_t timeout_ms, F&& call) {
  if (!ipc::unix_socket_answers(channeld_socket(ctx))) {
    if (!ipc::unix_socket_answers(ctx.datadir / "rpc" / "fulgurd.sock")) {
      return Unexpected{no_node_error(ctx.datadir)};
    }
    return cli_fail("channeld_unavailable", "channeld is not answering (restarting?)");
  }
  try {
    ipc::EventLoop loop;
    auto conn = ipc::connect_rpc(loop.uv(), channeld_socket(ctx).string()).wait(loop.wait_scope());
    auto client = conn->bootstrap<ipc::schema::Channeld>();
    kj::Promise<CommandResult> answer = call(client);
    auto timeout = ipc::after_ms(loop.uv(), timeout_ms).then([timeout_ms]() {
      return CommandResult(cli_fail("timeout", "no answer within " +
                                                   std::to_string(timeout_ms / 1000) + " s"));
    });
    return answer.exclusiveJoin(kj::mv(timeout)).wait(loop.wait_scope());
  } catch (const kj::Exception& e) {
    return cli_fail("rpc_failed", e.getDescription().cStr());
  }
}

inline std::optional<CliError> error_of(ipc::schema::CallError::Reader e) {
  if (e.getCode().size() == 0) return std::nullopt;
  return CliError{e.getCode().cStr(), e.getMessage().cStr(), 1};
}

}  // namespace fulgur::cli
