// SpdlogSink (see log_sink.h).
#include "daemon/log_sink.h"

#include <spdlog/sinks/basic_file_sink.h>

namespace fulgur::daemon {
namespace {
spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
  }
  return spdlog::level::info;
}
}  // namespace

bool SpdlogSink::enabled(LogLevel level) const { return m_logger->should_log(to_spdlog(level)); }

void SpdlogSink::write(LogLevel level, std::string_view component, std::string_view message) {
  m_logger->log(to_spdlog(level), "[{}] {}", component, message);
}

Result<std::unique_ptr<SpdlogSink>> open_file_log(const std::string& name,
                                                  const std::filesystem::path& file,
                                                  const std::string& level) {
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), false);
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(spdlog::level::from_str(level));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n[%P] %v");
    logger->flush_on(spdlog::level::info);
    return std::make_unique<SpdlogSink>(std::move(logger));
  } catch (const spdlog::spdlog_ex& e) {
    return fail("cannot open log " + file.string() + ": " + e.what());
  }
}

}  // namespace fulgur::daemon
