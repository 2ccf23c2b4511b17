// Fuzz target: short_channel_id text parsing; a parsed id prints back to a parseable form.
#include <string>

#include "common/assert.h"
#include "common/ids.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto scid = fulgur::ShortChannelId::parse(text);
  if (scid.ok()) {
    auto again = fulgur::ShortChannelId::parse(scid->to_string());
    FULGUR_ASSERT(again.ok() && *again == *scid);
  }
  return 0;
}
