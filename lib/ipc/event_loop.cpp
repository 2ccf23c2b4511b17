// UvEventPort, EventLoop and timers: KJ on libuv (see event_loop.h).
#include "ipc/event_loop.h"

#include <kj/debug.h>
#include <signal.h>

namespace fulgur::ipc {

UvEventPort::UvEventPort(uv_loop_t* loop)
    : m_loop(loop), m_idle(new uv_idle_t), m_async(new uv_async_t) {
  uv_idle_init(loop, m_idle);
  m_idle->data = this;
  uv_async_init(loop, m_async, [](uv_async_t*) {});  // waking is its only job
  uv_unref(reinterpret_cast<uv_handle_t*>(m_async));  // must not keep the loop alive
}

UvEventPort::~UvEventPort() { KJ_ASSERT(m_closed, "UvEventPort destroyed without close()"); }

void UvEventPort::close() {
  if (m_closed) return;
  m_closed = true;
  uv_close(reinterpret_cast<uv_handle_t*>(m_idle),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(m_async),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

bool UvEventPort::consume_woken() { return m_woken.exchange(false); }

bool UvEventPort::wait() {
  // KJ calls this from Promise::wait() when its queue is empty: block in libuv until
  // some handle fires (which typically fulfills a promise and queues KJ work).
  // KJ's queue is empty here, but it only tells the port so (setRunnable(false)) once the
  // wait is over: an idle handle left running would make uv_run return at once, and the
  // wait would spin on the CPU. Stop it for this turn; KJ still counts on it afterwards.
  m_in_kj_wait = true;
  auto* idle = reinterpret_cast<uv_handle_t*>(m_idle);
  bool idle_was_active = !m_closed && uv_is_active(idle) != 0;
  if (idle_was_active) uv_idle_stop(m_idle);
  uv_run(m_loop, UV_RUN_ONCE);
  if (idle_was_active && !m_closed) uv_idle_start(m_idle, &UvEventPort::on_idle);
  m_in_kj_wait = false;
  return consume_woken();
}

bool UvEventPort::poll() {
  m_in_kj_wait = true;
  uv_run(m_loop, UV_RUN_NOWAIT);
  m_in_kj_wait = false;
  return consume_woken();
}

void UvEventPort::setRunnable(bool runnable) {
  if (m_closed) return;
  // An active idle handle makes libuv poll without blocking and call on_idle each turn.
  if (runnable) {
    uv_idle_start(m_idle, &UvEventPort::on_idle);
  } else {
    uv_idle_stop(m_idle);
  }
}

void UvEventPort::on_idle(uv_idle_t* idle) {
  auto* port = static_cast<UvEventPort*>(idle->data);
  // Inside Promise::wait() KJ runs its own queue when wait()/poll() returns.
  if (port->m_in_kj_wait || port->m_kj_loop == nullptr) return;
  port->m_kj_loop->run();  // calls setRunnable(false) once the queue is empty
}

void UvEventPort::wake() const {
  m_woken.store(true);
  uv_async_send(m_async);
}

EventLoop::EventLoop() {
  // A peer that vanishes makes write() fail with EPIPE; without this the kernel's SIGPIPE
  // would kill the whole process instead.
  ::signal(SIGPIPE, SIG_IGN);
  KJ_ASSERT(uv_loop_init(&m_uv) == 0);
  m_port = kj::heap<UvEventPort>(&m_uv);
  m_kj = kj::heap<kj::EventLoop>(*m_port);
  m_port->attach(*m_kj);
  m_wait_scope = kj::heap<kj::WaitScope>(*m_kj);
}

EventLoop::~EventLoop() {
  m_wait_scope = nullptr;
  m_kj = nullptr;
  m_port->close();
  // Let close callbacks of every handle still open run, then free the loop.
  uv_walk(&m_uv, [](uv_handle_t* h, void*) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }, nullptr);
  uv_run(&m_uv, UV_RUN_DEFAULT);
  uv_loop_close(&m_uv);
  m_port = nullptr;
}

void EventLoop::run() { uv_run(&m_uv, UV_RUN_DEFAULT); }

void EventLoop::stop() { uv_stop(&m_uv); }

namespace {
// Adapter for kj::newAdaptedPromise: the timer lives as long as the promise.
class TimerAdapter {
 public:
  TimerAdapter(kj::PromiseFulfiller<void>& fulfiller, uv_loop_t* loop, uint64_t ms)
      : m_timer(new uv_timer_t) {
    uv_timer_init(loop, m_timer);
    m_timer->data = &fulfiller;
    uv_timer_start(m_timer, [](uv_timer_t* t) {
      static_cast<kj::PromiseFulfiller<void>*>(t->data)->fulfill();
    }, ms, 0);
  }
  ~TimerAdapter() {
    uv_close(reinterpret_cast<uv_handle_t*>(m_timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  TimerAdapter(const TimerAdapter&) = delete;
  TimerAdapter& operator=(const TimerAdapter&) = delete;

 private:
  uv_timer_t* m_timer;
};
}  // namespace

kj::Promise<void> after_ms(uv_loop_t* loop, uint64_t ms) {
  return kj::newAdaptedPromise<void, TimerAdapter>(loop, ms);
}

}  // namespace fulgur::ipc
