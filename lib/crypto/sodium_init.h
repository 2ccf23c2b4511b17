// Internal: libsodium must be initialised once before use (it picks the fastest
// implementation of each primitive for this CPU). Cheap after the first call.
#pragma once

namespace fulgur::crypto {
void ensure_sodium();
}
