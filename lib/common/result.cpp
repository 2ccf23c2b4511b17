// Names of peer actions, for logs and error messages.
#include "common/result.h"

namespace fulgur {
const char* to_string(PeerAction action) {
  switch (action) {
    case PeerAction::None: return "none";
    case PeerAction::Ignore: return "ignore";
    case PeerAction::Warn: return "warn";
    case PeerAction::Disconnect: return "disconnect";
    case PeerAction::FailChannel: return "fail_channel";
  }
  return "?";
}
}  // namespace fulgur
