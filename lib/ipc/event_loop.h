// One thread, one loop: libuv runs the thread and KJ's event loop rides on top of it through
// UvEventPort (the approach node-capnp took). KJ work queued by capnp RPC is run from a
// uv_idle callback; KJ's Promise::wait() (tests, the command line) drives libuv itself.
#pragma once

#include <kj/async.h>
#include <uv.h>

#include <atomic>

namespace fulgur::ipc {

// KJ's interfaces have no virtual destructor (kj::Own knows the concrete type).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class UvEventPort final : public kj::EventPort {
 public:
  explicit UvEventPort(uv_loop_t* loop);
  ~UvEventPort();
  UvEventPort(const UvEventPort&) = delete;
  UvEventPort& operator=(const UvEventPort&) = delete;

  // Must be called once the kj::EventLoop built on this port exists.
  void attach(kj::EventLoop& kj_loop) { m_kj_loop = &kj_loop; }

  bool wait() override;   // one blocking libuv iteration
  bool poll() override;   // one non-blocking libuv iteration
  void setRunnable(bool runnable) override;  // KJ has work: make libuv call it soon
  void wake() const override;                // thread-safe: uv_async_send

  // Closes the libuv handles the port owns (before uv_loop_close).
  void close();

 private:
  static void on_idle(uv_idle_t* idle);
  bool consume_woken();

  uv_loop_t* m_loop;
  kj::EventLoop* m_kj_loop = nullptr;
  uv_idle_t* m_idle;    // heap: freed in its close callback
  uv_async_t* m_async;  // heap: freed in its close callback
  bool m_in_kj_wait = false;
  bool m_closed = false;
  mutable std::atomic<bool> m_woken{false};
};
#pragma GCC diagnostic pop

// A libuv loop with KJ on top, current on this thread while the object lives. Creating one
// ignores SIGPIPE for the process (a vanished peer is an error, not a death).
// Objects holding libuv handles (streams, listeners, timers) must be destroyed before it.
class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uv_loop_t* uv() { return &m_uv; }
  kj::WaitScope& wait_scope() { return *m_wait_scope; }

  // Runs until stop() is called or nothing is left to wait for.
  void run();
  void stop();

 private:
  uv_loop_t m_uv;
  kj::Own<UvEventPort> m_port;
  kj::Own<kj::EventLoop> m_kj;
  kj::Own<kj::WaitScope> m_wait_scope;
};

// A promise fulfilled after `ms` milliseconds of this loop's clock; dropping it cancels the
// timer.
kj::Promise<void> after_ms(uv_loop_t* loop, uint64_t ms);

}  // namespace fulgur::ipc
