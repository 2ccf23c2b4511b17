// SignalWatcher (see signals.h).
#include "daemon/signals.h"

#include <csignal>

namespace fulgur::daemon {

SignalWatcher::SignalWatcher(uv_loop_t* loop, std::function<void(int)> on_signal)
    : m_on_signal(std::move(on_signal)) {
  for (int signum : {SIGTERM, SIGINT}) {
    auto* handle = new uv_signal_t;
    uv_signal_init(loop, handle);
    handle->data = this;
    uv_signal_start(handle, [](uv_signal_t* h, int sig) {
      static_cast<SignalWatcher*>(h->data)->m_on_signal(sig);
    }, signum);
    // Signals alone must not keep the loop running once everything else has stopped.
    uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    m_handles.push_back(handle);
  }
}

SignalWatcher::~SignalWatcher() {
  for (auto* handle : m_handles) {
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  }
}

}  // namespace fulgur::daemon
