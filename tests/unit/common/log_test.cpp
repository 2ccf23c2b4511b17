// The logging interface: formatting, levels, components, and silence without a sink.
#include <gtest/gtest.h>

#include <vector>

#include "common/log.h"

using namespace fulgur;

namespace {
struct RecordingSink : LogSink {
  LogLevel min = LogLevel::Info;
  std::vector<std::string> lines;
  bool enabled(LogLevel level) const override { return level >= min; }
  void write(LogLevel level, std::string_view component, std::string_view message) override {
    lines.push_back(std::string(to_string(level)) + " " + std::string(component) + ": " +
                    std::string(message));
  }
};
}  // namespace

TEST(Log, FormatsAndFiltersByLevel) {
  RecordingSink sink;
  Logger log(&sink, "wire");
  log.debug("hidden {}", 1);
  log.info("peer {} sent {} bytes", "abc", 42);
  log.child("noise").warn("bad mac");
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0], "info wire: peer abc sent 42 bytes");
  EXPECT_EQ(sink.lines[1], "warn wire/noise: bad mac");
}

TEST(Log, NoSinkLogsNothing) {
  Logger log;
  EXPECT_FALSE(log.enabled(LogLevel::Error));
  log.error("nobody hears {}", 1);
}
