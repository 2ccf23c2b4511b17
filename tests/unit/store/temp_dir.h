// A temporary directory removed at the end of a test.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace fulgur::test {
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fulgur-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};
}  // namespace fulgur::test
