// Reports a broken contract on stderr and aborts; see assert.h.
#include "common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace fulgur::detail {
void contract_failure(const char* kind, const char* expr, const char* file, int line) {
  std::fprintf(stderr, "fulgur: %s failed: %s at %s:%d\n", kind, expr, file, line);
  std::abort();
}
}  // namespace fulgur::detail
