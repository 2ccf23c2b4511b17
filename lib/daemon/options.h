// Options every Fulgur process shares (data directory, network, log level) and the way
// they are read: <datadir>/fulgur.conf (INI) first, the command line overriding it.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "common/result.h"

namespace fulgur::daemon {

struct CommonOptions {
  std::filesystem::path datadir;
  std::filesystem::path conf;     // empty: <datadir>/fulgur.conf when it exists
  std::string network = "regtest";
  std::string log_level = "info";  // trace, debug, info, warn, error
  bool supervised = false;         // started by fulgurd: exit when fulgurd dies
};

// The data directory when none is given: $HOME/.fulgur.
std::filesystem::path default_datadir();

// Adds the common options to `app` (a daemon adds its own options before parsing).
void add_common_options(CLI::App& app, CommonOptions& options);

// Parses argv: finds --datadir/--conf first, then reads the config file (unknown keys are
// ignored: one fulgur.conf serves every daemon) with the command line taking precedence.
// Returns the exit code to use when parsing ended the program (--help, bad arguments).
std::optional<int> parse(CLI::App& app, CommonOptions& options, int argc, char** argv);

// Creates <datadir> (0700), <datadir>/rpc (0700) and <datadir>/logs.
Status prepare_datadir(const std::filesystem::path& datadir);

}  // namespace fulgur::daemon
