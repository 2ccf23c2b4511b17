// Common options and config file reading (see options.h).
#include "daemon/options.h"

#include <sys/stat.h>

#include <cstdlib>
#include <optional>

namespace fulgur::daemon {

std::filesystem::path default_datadir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".fulgur";
}

void add_common_options(CLI::App& app, CommonOptions& options) {
  options.datadir = default_datadir();
  app.add_option("--datadir", options.datadir, "the node's data directory")->capture_default_str();
  app.add_option("--network", options.network, "regtest, signet, testnet or mainnet")
      ->check(CLI::IsMember({"regtest", "signet", "testnet", "mainnet"}))
      ->capture_default_str();
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("--supervised", options.supervised, "started by fulgurd (exit when it dies)");
}

namespace {
// Finds the value of `--name X` or `--name=X` in argv without parsing anything else.
std::optional<std::string> scan(int argc, char** argv, const std::string& name) {
  std::optional<std::string> found;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == name && i + 1 < argc) {
      found = argv[++i];
    } else if (arg.rfind(name + "=", 0) == 0) {
      found = arg.substr(name.size() + 1);
    }
  }
  return found;
}
}  // namespace

std::optional<int> parse(CLI::App& app, CommonOptions& options, int argc, char** argv) {
  auto given_datadir = scan(argc, argv, "--datadir");
  std::filesystem::path datadir =
      given_datadir ? std::filesystem::path(*given_datadir) : default_datadir();
  auto conf = scan(argc, argv, "--conf");
  std::filesystem::path conf_path =
      conf ? std::filesystem::path(*conf) : datadir / "fulgur.conf";
  // An explicit --conf must exist; the default one is optional.
  app.set_config("--conf", conf_path.string(), "config file (INI)", conf.has_value());
  app.allow_config_extras(true);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  options.conf = conf_path;
  options.datadir = std::filesystem::absolute(options.datadir);
  return std::nullopt;
}

Status prepare_datadir(const std::filesystem::path& datadir) {
  for (const auto& dir : {datadir, datadir / "rpc", datadir / "logs"}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());
  }
  // Only the owner may reach the sockets (DESIGN §3).
  for (const auto& dir : {datadir, datadir / "rpc"}) {
    if (::chmod(dir.c_str(), 0700) != 0) return fail("cannot chmod 0700 " + dir.string());
  }
  return {};
}

}  // namespace fulgur::daemon
