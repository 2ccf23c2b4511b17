// Internal to lib/invoice: UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), for the `d` field.
#pragma once

#include "common/bytes.h"

namespace fulgur::invoice::detail {
bool is_valid_utf8(ByteSpan bytes);
}
