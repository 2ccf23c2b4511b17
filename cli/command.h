// The shape every fulgur-cli subcommand shares: a registration function per command group
// adds CLI11 subcommands; each subcommand's action returns JSON or a CliError. main.cpp
// prints the JSON on stdout, or the error object and a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

#include "common/result.h"

namespace fulgur::cli {

// What went wrong, as printed: {"error": {"code": ..., "message": ...}}.
struct CliError {
  std::string code;     // stable machine-readable name, e.g. "no_node", "rpc_failed"
  std::string message;  // for people
  int exit_code = 1;
};

using CommandResult = Result<nlohmann::json, CliError>;

inline Unexpected<CliError> cli_fail(std::string code, std::string message, int exit_code = 1) {
  return {CliError{std::move(code), std::move(message), exit_code}};
}

// Options every subcommand sees, and the action the parsed subcommand chose.
struct Context {
  std::filesystem::path datadir;
  std::function<CommandResult(const Context&)> action;
};

// Adds a subcommand whose action is `run`; returns it so the caller can add options.
CLI::App* add_command(CLI::App& app, Context& ctx, const std::string& name,
                      const std::string& description,
                      std::function<CommandResult(const Context&)> run);

// Exit code and message for "nothing is listening at this datadir".
inline constexpr int EXIT_NO_NODE = 2;
CliError no_node_error(const std::filesystem::path& datadir);

// One registration function per command group; each lives in its own file.
void register_node_commands(CLI::App& app, Context& ctx);  // getinfo, stop
void register_invoice_commands(CLI::App& app, Context& ctx);  // decodeinvoice
// connect, listpeers, openchannel, listchannels, listonchain, close, newaddr, listfunds,
// dev-signed-commitment, dev-broadcast-revoked
void register_channel_commands(CLI::App& app, Context& ctx);
// invoice, listinvoices, pay, keysend, listpayments, listforwards
void register_payment_commands(CLI::App& app, Context& ctx);

}  // namespace fulgur::cli
