// Shared plumbing of fulgur-cli subcommands (see command.h).
#include "command.h"

namespace fulgur::cli {

CLI::App* add_command(CLI::App& app, Context& ctx, const std::string& name,
                      const std::string& description,
                      std::function<CommandResult(const Context&)> run) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->callback([&ctx, run = std::move(run)] { ctx.action = run; });
  return sub;
}

CliError no_node_error(const std::filesystem::path& datadir) {
  return CliError{"no_node", "no node running at " + datadir.string(), EXIT_NO_NODE};
}

}  // namespace fulgur::cli
