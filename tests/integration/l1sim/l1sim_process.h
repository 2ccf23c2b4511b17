// Runs the real l1sim binary for a test: a fresh data directory, a kernel-chosen loopback
// port (read back from <datadir>/regtest/rpcport), cookie auth; stopped and reaped at the
// end so no process is left behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "chain/bitcoind.h"

namespace fulgur::test {

class L1simProcess {
 public:
  // Starts l1sim on `datadir` (created when empty: a fresh temporary directory).
  explicit L1simProcess(std::filesystem::path datadir = {});
  ~L1simProcess();
  L1simProcess(const L1simProcess&) = delete;
  L1simProcess& operator=(const L1simProcess&) = delete;

  // Stops over RPC and waits for the process; the data directory stays.
  void stop();
  // A new client (cookie auth), as many as a test wants.
  chain::BitcoindL1 client() const;
  chain::RpcConfig config() const;
  uint16_t port() const { return m_port; }
  const std::filesystem::path& datadir() const { return m_datadir; }
  // Keep the data directory when this object dies (for restart tests).
  void keep_datadir() { m_owns_dir = false; }

 private:
  std::filesystem::path m_datadir;
  bool m_owns_dir = false;
  pid_t m_pid = -1;
  uint16_t m_port = 0;
};

}  // namespace fulgur::test
