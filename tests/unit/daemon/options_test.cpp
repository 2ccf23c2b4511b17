// Options: fulgur.conf in the data directory is read, the command line overrides it,
// unknown keys (other daemons' settings) are ignored, bad values are refused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/options.h"

namespace fulgur::daemon {
namespace {

struct Args {
  std::vector<std::string> strings;
  std::vector<char*> argv;
  explicit Args(std::vector<std::string> s) : strings(std::move(s)) {
    for (auto& a : strings) argv.push_back(a.data());
  }
  int argc() const { return static_cast<int>(argv.size()); }
};

class Options : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fulgur-o-XXXXXX").string();
    m_dir = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::optional<int> parse_args(std::vector<std::string> args, CommonOptions& options) {
    CLI::App app{"test"};
    add_common_options(app, options);
    Args a(std::move(args));
    return parse(app, options, a.argc(), a.argv.data());
  }
  std::filesystem::path m_dir;
};

TEST_F(Options, ConfigFileIsReadAndCommandLineWins) {
  std::ofstream(m_dir / "fulgur.conf") << "network=signet\nlog-level=debug\nsome-other-key=1\n";
  CommonOptions options;
  auto exit = parse_args({"d", "--datadir", m_dir.string(), "--log-level", "warn"}, options);
  ASSERT_FALSE(exit.has_value());
  EXPECT_EQ(options.network, "signet");   // from the file
  EXPECT_EQ(options.log_level, "warn");   // the command line overrides the file
  EXPECT_EQ(options.datadir, m_dir);
}

TEST_F(Options, MissingDefaultConfigIsFineButAMissingExplicitOneIsNot) {
  CommonOptions options;
  EXPECT_FALSE(parse_args({"d", "--datadir", m_dir.string()}, options).has_value());
  EXPECT_EQ(options.network, "regtest");
  CommonOptions again;
  auto exit = parse_args({"d", "--datadir", m_dir.string(), "--conf", "/nonexistent.conf"},
                         again);
  ASSERT_TRUE(exit.has_value());
  EXPECT_NE(*exit, 0);
}

TEST_F(Options, BadNetworkIsRefused) {
  CommonOptions options;
  auto exit = parse_args({"d", "--datadir", m_dir.string(), "--network", "moon"}, options);
  ASSERT_TRUE(exit.has_value());
  EXPECT_NE(*exit, 0);
}

TEST_F(Options, PrepareDatadirMakesPrivateDirectories) {
  auto datadir = m_dir / "node";
  ASSERT_TRUE(prepare_datadir(datadir));
  struct stat st{};
  ASSERT_EQ(::stat(datadir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((datadir / "rpc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::is_directory(datadir / "logs"));
}

}  // namespace
}  // namespace fulgur::daemon
