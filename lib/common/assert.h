// Contract checks that stay on in release builds.
// FULGUR_REQUIRE: the caller broke this function's contract (a bug in the caller).
// FULGUR_ASSERT: one of our own invariants broke (a bug here).
// Both abort: the supervisor restarts the daemon from durable state. Bad input from a
// peer, a user or L1 is never checked with these; it gets a Result error instead.
#pragma once

namespace fulgur::detail {
[[noreturn]] void contract_failure(const char* kind, const char* expr, const char* file, int line);
}

#define FULGUR_REQUIRE(cond)                                                                       \
  ((cond) ? static_cast<void>(0)                                                                  \
          : ::fulgur::detail::contract_failure("REQUIRE", #cond, __FILE__, __LINE__))
#define FULGUR_ASSERT(cond)                                                                        \
  ((cond) ? static_cast<void>(0)                                                                  \
          : ::fulgur::detail::contract_failure("ASSERT", #cond, __FILE__, __LINE__))
