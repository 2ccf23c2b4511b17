// Starting, stopping and reaping an l1sim process for the integration tests.
#include "l1sim_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

extern char** environ;

namespace fulgur::test {

namespace fs = std::filesystem;

L1simProcess::L1simProcess(fs::path datadir) : m_datadir(std::move(datadir)) {
  if (m_datadir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "l1sim-test-XXXXXX").string();
    m_datadir = ::mkdtemp(tmpl.data());
    m_owns_dir = true;
  }
  fs::remove(m_datadir / "regtest" / "rpcport");
  std::string dir_arg = "--datadir=" + m_datadir.string();
  const char* argv[] = {L1SIM_PATH, dir_arg.c_str(), "--rpcport=0", "--loglevel=warn", nullptr};
  int rc = ::posix_spawn(&m_pid, L1SIM_PATH, nullptr, nullptr, const_cast<char**>(argv), environ);
  if (rc != 0) throw std::runtime_error("cannot start l1sim");
  // Wait for the port file (written once the socket listens) and the cookie.
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(m_datadir / "regtest" / "rpcport");
    int port = 0;
    if (in >> port && port > 0 && fs::exists(m_datadir / "regtest" / ".cookie")) {
      m_port = static_cast<uint16_t>(port);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("l1sim did not start");
}

chain::RpcConfig L1simProcess::config() const {
  chain::RpcConfig config;
  config.port = m_port;
  config.cookie_file = (m_datadir / "regtest" / ".cookie").string();
  config.read_timeout_ms = 30000;
  return config;
}

chain::BitcoindL1 L1simProcess::client() const { return chain::BitcoindL1(config()); }

void L1simProcess::stop() {
  if (m_pid <= 0) return;
  (void)client().stop();
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "l1sim did not stop; killing it";
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

L1simProcess::~L1simProcess() {
  stop();
  if (m_owns_dir) {
    std::error_code ec;
    fs::remove_all(m_datadir, ec);
  }
}

}  // namespace fulgur::test
