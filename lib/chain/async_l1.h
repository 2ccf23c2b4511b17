// Runs blocking L1 calls off a libuv loop: each call runs on libuv's thread pool
// (uv_queue_work) and its result is delivered on the loop thread (the after-work callback),
// so a daemon's loop never waits for bitcoind. The wrapped L1 must be safe to call from
// several threads at once (BitcoindL1 is: one connection per call).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <type_traits>

#include "chain/l1.h"

namespace fulgur::chain {

class AsyncL1 {
 public:
  // `loop` and `l1` must outlive this object and every call still in flight.
  AsyncL1(uv_loop_t* loop, L1& l1) : m_loop(loop), m_l1(l1) {}
  AsyncL1(const AsyncL1&) = delete;
  AsyncL1& operator=(const AsyncL1&) = delete;
  // Requires no call in flight: run the loop until pending() is zero first.
  ~AsyncL1() { FULGUR_REQUIRE(m_pending == 0); }

  // Runs `work(l1)` on the thread pool, then `done(result)` on the loop thread.
  // Example: async.run([](L1& l1) { return l1.get_block_count(); },
  //                    [](ChainResult<uint32_t> height) { ... });
  template <typename Work, typename Done>
  void run(Work work, Done done) {
    using R = std::invoke_result_t<Work, L1&>;
    auto* job = new Job<R>(std::move(work), std::move(done), m_l1);
    job->owner = this;
    job->req.data = job;
    ++m_pending;
    int rc = uv_queue_work(m_loop, &job->req, &Job<R>::on_work, &Job<R>::on_after);
    FULGUR_ASSERT(rc == 0);  // fails only for a null callback
  }

  size_t pending() const { return m_pending; }
  uv_loop_t* loop() const { return m_loop; }

 private:
  template <typename R>
  struct Job {
    Job(std::function<R(L1&)> w, std::function<void(R)> d, L1& l)
        : work(std::move(w)), done(std::move(d)), l1(l) {}
    uv_work_t req{};
    std::function<R(L1&)> work;
    std::function<void(R)> done;
    L1& l1;
    std::optional<R> result;
    AsyncL1* owner = nullptr;

    static void on_work(uv_work_t* req) {
      auto* job = static_cast<Job*>(req->data);
      job->result.emplace(job->work(job->l1));
    }
    static void on_after(uv_work_t* req, int status) {
      std::unique_ptr<Job> job(static_cast<Job*>(req->data));
      --job->owner->m_pending;
      if (status == UV_ECANCELED || !job->result) {
        job->done(R(Unexpected<ChainError>{
            {ChainErrorKind::Transport, 0, "call cancelled: the loop is closing"}}));
        return;
      }
      job->done(std::move(*job->result));
    }
  };

  uv_loop_t* m_loop;
  L1& m_l1;
  size_t m_pending = 0;
};

}  // namespace fulgur::chain
