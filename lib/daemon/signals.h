// SIGTERM and SIGINT as libuv signal handles: `on_signal` runs on the loop, never in a
// signal handler. Destroying the watcher closes the handles.
#pragma once

#include <uv.h>

#include <functional>
#include <vector>

namespace fulgur::daemon {

class SignalWatcher {
 public:
  SignalWatcher(uv_loop_t* loop, std::function<void(int signum)> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::function<void(int)> m_on_signal;
  std::vector<uv_signal_t*> m_handles;
};

}  // namespace fulgur::daemon
