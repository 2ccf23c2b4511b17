// The supervisor's core: starts each daemon with uv_spawn, restarts one that dies (with
// exponential backoff; after too many crashes in a row it stops the node and says why),
// stops them all with SIGTERM (SIGKILL after a timeout), and reports on each.
#pragma once

#include <kj/async.h>
#include <uv.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "ipc/fulgurd.capnp.h"

namespace fulgur::node {

namespace schema = ::fulgur::ipc::schema;

struct SupervisorOptions {
  std::filesystem::path datadir;
  std::vector<std::string> child_args;  // passed to every daemon after its program path
  uint32_t max_crashes = 5;             // crashes in a row before the node stops
  uint64_t backoff_ms = 100;            // first restart delay; doubles per crash in a row
  uint64_t max_backoff_ms = 5000;
  uint64_t stable_ms = 60000;           // a daemon up this long has its crash streak reset
  uint64_t stop_timeout_ms = 10000;     // SIGTERM, then SIGKILL after this long
  uint64_t status_timeout_ms = 1000;    // a status query that takes longer is reported failed
};

struct ChildSpec {
  std::string name;               // "channeld"
  std::filesystem::path program;  // absolute path of the executable
};

class Supervisor {
 public:
  // `on_stopped(exit_code, reason)` runs once every daemon has exited after stop_all().
  Supervisor(uv_loop_t* loop, Logger log, SupervisorOptions options, std::vector<ChildSpec> specs,
             std::function<void(int, const std::string&)> on_stopped);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  void start_all();
  void stop_all(int exit_code, const std::string& reason);
  // Fills `daemons` with every child's state and its live status answer.
  kj::Promise<void> report(capnp::List<schema::ChildEntry>::Builder daemons);
  size_t child_count() const { return m_children.size(); }

 private:
  struct Child;
  void spawn(Child& child);
  void exited(Child& child, int64_t exit_status, int term_signal);
  void schedule_restart(Child& child);
  void check_all_stopped();
  kj::Promise<void> query(Child& child, schema::ChildEntry::Builder entry);

  uv_loop_t* m_loop;
  Logger m_log;
  SupervisorOptions m_options;
  std::vector<std::unique_ptr<Child>> m_children;
  std::function<void(int, const std::string&)> m_on_stopped;
  bool m_stopping = false;
  int m_exit_code = 0;
  std::string m_reason;
  uv_timer_t* m_kill_timer;
};

}  // namespace fulgur::node
