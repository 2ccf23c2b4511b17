// fulgur-cli: the user's command line. Reading order: command.h (how a subcommand is
// shaped), node_commands.cpp (getinfo, stop, through fulgurd), channeld_call.h +
// channel_commands.cpp (peers, channels, wallet, through channeld), payment_commands.cpp +
// route_json.h (invoices, payments, forwards), invoice_commands.cpp + invoice_json.h
// (decodeinvoice).
// Prints JSON on stdout; on failure a JSON error object, and exits non-zero.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

#include "command.h"

namespace {

std::filesystem::path default_datadir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".fulgur";
}

int print_error(const fulgur::cli::CliError& error) {
  nlohmann::json out = {{"error", {{"code", error.code}, {"message", error.message}}}};
  std::cout << out.dump(2) << "\n";
  if (error.code == "no_node") std::cerr << error.message << "\n";
  return error.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fulgur-cli: talk to a running Fulgur node; prints JSON", "fulgur-cli"};
  fulgur::cli::Context ctx;
  ctx.datadir = default_datadir();
  app.add_option("--datadir", ctx.datadir, "the node's data directory")
      ->capture_default_str();
  app.require_subcommand(1, 1);
  app.fallthrough();  // --datadir may also follow the subcommand
  fulgur::cli::register_node_commands(app, ctx);
  fulgur::cli::register_invoice_commands(app, ctx);
  fulgur::cli::register_channel_commands(app, ctx);
  fulgur::cli::register_payment_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return print_error({"bad_arguments", e.what(), 1});
  }
  if (!ctx.action) return print_error({"bad_arguments", "no command given", 1});
  ctx.datadir = std::filesystem::absolute(ctx.datadir);
  auto result = ctx.action(ctx);
  if (!result) return print_error(result.error());
  std::cout << result.value().dump(2) << "\n";
  return 0;
}
