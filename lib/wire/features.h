// BOLT 9 feature bits: the named features with their contexts and dependencies, feature
// vectors (parse, serialize, set and test bits), "it's OK to be odd", and the checks a
// node makes on a peer's init features and on its own vectors; BOLT 2 channel types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::wire {

// Each feature by its even (compulsory) bit; the odd bit above it is the optional one.
enum class Feature : uint16_t {
  option_data_loss_protect = 0,
  option_upfront_shutdown_script = 4,
  gossip_queries = 6,
  var_onion_optin = 8,
  gossip_queries_ex = 10,
  option_static_remotekey = 12,
  payment_secret = 14,
  basic_mpp = 16,
  option_support_large_channel = 18,
  option_anchors = 22,
  option_route_blinding = 24,
  option_shutdown_anysegwit = 26,
  option_dual_fund = 28,
  option_quiesce = 34,
  option_attribution_data = 36,
  option_onion_messages = 38,
  option_provide_storage = 42,
  option_channel_type = 44,
  option_scid_alias = 46,
  option_payment_metadata = 48,
  option_zeroconf = 50,
  option_simple_close = 60,
  option_splice = 62,
};

// Where a feature may be presented (BOLT 9's Context column), as bit flags.
enum class FeatureContext : uint8_t {
  Init = 1,                  // I: the init message
  NodeAnnouncement = 2,      // N
  ChannelAnnouncement = 4,   // C
  Invoice = 8,               // 9: BOLT 11 invoices
  BlindedPath = 16,          // B: allowed_features of a blinded path
  ChannelType = 32,          // T: the channel_type TLV of open_channel / accept_channel
};

struct FeatureInfo {
  Feature feature;
  std::string_view name;
  uint8_t contexts;  // FeatureContext flags; 0 for ASSUMED features
  bool assumed;      // BOLT 9 "ASSUMED": every node has it; its bits may still be set
  std::optional<Feature> dependency;
};

// Every feature BOLT 9 names, in bit order.
std::span<const FeatureInfo> all_features();
// The feature owning `bit` (either bit of its pair), or null for an unassigned bit.
const FeatureInfo* feature_info(size_t bit);
const FeatureInfo& feature_info(Feature f);
std::string_view feature_name(Feature f);

constexpr size_t even_bit(Feature f) { return static_cast<size_t>(f); }
constexpr size_t odd_bit(Feature f) { return static_cast<size_t>(f) + 1; }

// A feature vector. On the wire it is big-endian with bit 0 the least significant bit of
// the last byte (BOLT 1 init, BOLT 7 announcements, channel_type).
class FeatureBits {
 public:
  // The largest bit a vector may hold: a 65535-byte field (BOLT 1 message limit).
  static constexpr size_t MAX_BITS = 65535 * 8;

  FeatureBits() = default;
  static FeatureBits from_wire(ByteSpan bytes);
  static FeatureBits from_bits(std::initializer_list<size_t> bits);
  // BOLT #1: "SHOULD use the minimum length required to represent the `features` field".
  Bytes to_wire() const;

  bool has_bit(size_t bit) const;
  void set_bit(size_t bit);
  void clear_bit(size_t bit);
  std::vector<size_t> set_bits() const;
  bool empty() const;

  // Offered (as either bit), required (the even bit; BOLT 9: "if both the optional and the
  // mandatory feature bits in a pair are set, the feature should be treated as mandatory").
  bool offers(Feature f) const { return has_bit(even_bit(f)) || has_bit(odd_bit(f)); }
  bool is_required(Feature f) const { return has_bit(even_bit(f)); }
  void set_optional(Feature f) { clear_bit(even_bit(f)), set_bit(odd_bit(f)); }
  void set_required(Feature f) { clear_bit(odd_bit(f)), set_bit(even_bit(f)); }

  // BOLT #1: "MUST combine (bitwise OR) the two feature bitmaps into one logical features".
  FeatureBits operator|(const FeatureBits& other) const;
  friend bool operator==(const FeatureBits& a, const FeatureBits& b);

  std::string to_string() const;  // "var_onion_optin/8 basic_mpp/17 unknown/101"

 private:
  void trim();
  Bytes m_le;  // little-endian bytes: m_le[0] holds bits 0..7; no trailing zero bytes
};

// Bits set in `features` that the receiver must treat as unknown in `context`: bits of no
// named feature, and bits of features not defined for that context. ASSUMED features are
// known everywhere (old nodes still set them).
std::vector<size_t> unknown_bits(const FeatureBits& features, FeatureContext context);

// The first feature set in `features` whose dependency is not set, with that dependency.
struct MissingDependency {
  Feature feature;
  Feature dependency;
};
std::optional<MissingDependency> missing_dependency(const FeatureBits& features);

// BOLT 1 init: the checks on a peer's combined (globalfeatures | features) vector. An
// unknown even bit or a missing dependency: PeerAction::Disconnect.
Status check_peer_init_features(const FeatureBits& features);

// The checks on a vector we are about to send in `context`: only features defined for the
// context (or ASSUMED), never both bits of a pair, every dependency set. A failure is our
// own configuration error (PeerAction::None).
Status check_own_features(const FeatureBits& features, FeatureContext context);

// BOLT 1: "A feature is *negotiated* if either both peers offered it, or the local node
// offered it as even".
bool negotiated(const FeatureBits& local, const FeatureBits& remote, Feature f);

// BOLT 2 defined channel types: option_static_remotekey, or option_anchors with it, each
// optionally with option_scid_alias and/or option_zeroconf.
struct ChannelType {
  bool anchors = false;
  bool scid_alias = false;
  bool zeroconf = false;

  FeatureBits to_features() const;
  friend bool operator==(const ChannelType&, const ChannelType&) = default;
};
// Errors (PeerAction::FailChannel: "the `channel_type` is not suitable") for anything
// but a defined type.
Result<ChannelType> parse_channel_type(ByteSpan bytes);
Bytes encode_channel_type(const ChannelType& type);

}  // namespace fulgur::wire
