// The house rule of DESIGN §2, enforced: lib/'s protocol folders do no I/O and read no
// clock. Any file there that includes an I/O header (libuv, LMDB, capnp/kj, sockets,
// threads, files, HTTP) or calls a clock fails this test, naming the file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {
const std::vector<std::string> PROTOCOL_FOLDERS = {"common",  "crypto", "wire",  "noise",
                                                   "bitcoin", "channel", "onion", "invoice",
                                                   "payment", "gossip", "route",  "tower"};

const std::regex IO_INCLUDE(
    R"(^\s*#\s*include\s*[<"](uv\.h|uv/|lmdb\.h|capnp/|kj/|sys/socket\.h|sys/stat\.h|netinet/|)"
    R"(arpa/|netdb\.h|unistd\.h|fcntl\.h|thread|mutex|future|condition_variable|fstream|)"
    R"(filesystem|cstdio|stdio\.h|iostream|chrono|ctime|time\.h|sys/time\.h|curl/|httplib\.h|)"
    R"(spdlog/)[">])");
const std::regex CLOCK_CALL(
    R"((system_clock|steady_clock|high_resolution_clock)\s*::\s*now|\btime\s*\(\s*(NULL|nullptr|0)\s*\)|)"
    R"(\bgettimeofday\s*\(|\bclock_gettime\s*\(|\bfopen\s*\(|\bsocket\s*\()");

// Files allowed an exception, with the reason. Keep this list short.
bool allowed(const fs::path& file) {
  // Contract failures print to stderr just before aborting.
  return file.filename() == "assert.cpp" && file.parent_path().filename() == "common";
}

std::vector<std::string> violations_in(const fs::path& root) {
  std::vector<std::string> found;
  for (const auto& folder : PROTOCOL_FOLDERS) {
    fs::path dir = root / "lib" / folder;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
      if (allowed(entry.path())) continue;
      std::ifstream in(entry.path());
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (std::regex_search(line, IO_INCLUDE) || std::regex_search(line, CLOCK_CALL)) {
          found.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + line);
        }
      }
    }
  }
  return found;
}
}  // namespace

TEST(Layering, ProtocolCoreDoesNoIo) {
  auto found = violations_in(FULGUR_SOURCE_DIR);
  std::string report;
  for (const auto& v : found) report += "\n  " + v;
  EXPECT_TRUE(found.empty()) << "I/O or clock use in lib/'s protocol core:" << report;
}

TEST(Layering, CheckerCatchesViolations) {
  // The checker itself must fire on what it is meant to forbid.
  fs::path root = fs::temp_directory_path() / ("fulgur-layering-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(root / "lib" / "channel");
  {
    std::ofstream(root / "lib" / "channel" / "bad.cpp")
        << "#include <uv.h>\n#include \"lmdb.h\"\n#include <thread>\nint f() { return "
           "std::chrono::steady_clock::now().time_since_epoch().count(); }\n";
    std::ofstream(root / "lib" / "channel" / "good.cpp") << "#include <vector>\nint g();\n";
  }
  auto found = violations_in(root);
  fs::remove_all(root);
  EXPECT_EQ(found.size(), 4u);
}
