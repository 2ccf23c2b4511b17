// The logging interface the core calls without knowing the backend. The core formats with
// fmt and hands lines to a LogSink; daemons plug in a sink that writes through spdlog,
// tests a sink that records. No sink means nothing is logged. Never log a secret.
#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>
#include <utility>

namespace fulgur {

enum class LogLevel { Trace, Debug, Info, Warn, Error };

const char* to_string(LogLevel level);

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual bool enabled(LogLevel level) const = 0;
  virtual void write(LogLevel level, std::string_view component, std::string_view message) = 0;
};

// A cheap handle: a sink (may be null) and a component name ("wire", "channel 1a2b…").
class Logger {
 public:
  Logger() = default;
  Logger(LogSink* sink, std::string component) : m_sink(sink), m_component(std::move(component)) {}

  Logger child(std::string_view suffix) const {
    return Logger(m_sink, m_component + "/" + std::string(suffix));
  }
  bool enabled(LogLevel level) const { return m_sink != nullptr && m_sink->enabled(level); }

  template <typename... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
    if (!enabled(level)) return;
    m_sink->write(level, m_component, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void trace(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::Trace, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void debug(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::Debug, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::Info, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void warn(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::Warn, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void error(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::Error, f, std::forward<Args>(a)...); }

 private:
  LogSink* m_sink = nullptr;
  std::string m_component;
};

}  // namespace fulgur
