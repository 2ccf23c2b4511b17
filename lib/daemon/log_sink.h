// fulgur::LogSink over spdlog: the core logs through Logger, daemons write the lines to
// <datadir>/logs/<name>.log (and stderr when asked).
#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/log.h"
#include "common/result.h"

namespace fulgur::daemon {

class SpdlogSink final : public LogSink {
 public:
  explicit SpdlogSink(std::shared_ptr<spdlog::logger> logger) : m_logger(std::move(logger)) {}
  bool enabled(LogLevel level) const override;
  void write(LogLevel level, std::string_view component, std::string_view message) override;
  spdlog::logger& logger() { return *m_logger; }

 private:
  std::shared_ptr<spdlog::logger> m_logger;
};

// A logger named `name` appending to `file` at `level` ("info", ...), flushed on every line
// at info and above. Fails when the file cannot be opened.
Result<std::unique_ptr<SpdlogSink>> open_file_log(const std::string& name,
                                                  const std::filesystem::path& file,
                                                  const std::string& level);

}  // namespace fulgur::daemon
