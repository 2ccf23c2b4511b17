// Printing of units: the number and its unit, no separators.
#include "common/units.h"

namespace fulgur {
std::string to_string(Msat msat) { return std::to_string(msat.value()) + "msat"; }
std::string to_string(Sat sat) { return std::to_string(sat.value()) + "sat"; }
std::string to_string(FeeratePerKw feerate) { return std::to_string(feerate.value()) + "perkw"; }
std::string to_string(BlockHeight height) { return std::to_string(height.value()); }
std::string to_string(CltvDelta delta) { return std::to_string(delta.value()) + "blocks"; }
}  // namespace fulgur
