// BOLT 9's feature table and the rules over it.
#include "wire/features.h"

#include <algorithm>
#include <array>

#include "common/assert.h"

namespace fulgur::wire {

namespace {
constexpr uint8_t I = static_cast<uint8_t>(FeatureContext::Init);
constexpr uint8_t N = static_cast<uint8_t>(FeatureContext::NodeAnnouncement);
constexpr uint8_t INV = static_cast<uint8_t>(FeatureContext::Invoice);
constexpr uint8_t T = static_cast<uint8_t>(FeatureContext::ChannelType);

// BOLT #9's table: bits, name, context, dependencies. ASSUMED rows have no context.
constexpr std::array<FeatureInfo, 23> FEATURES = {{
    {Feature::option_data_loss_protect, "option_data_loss_protect", 0, true, std::nullopt},
    {Feature::option_upfront_shutdown_script, "option_upfront_shutdown_script", I | N, false,
     std::nullopt},
    // No context and not ASSUMED in the current table; nodes still set it in init and
    // node_announcement, so it is known there.
    {Feature::gossip_queries, "gossip_queries", 0, true, std::nullopt},
    {Feature::var_onion_optin, "var_onion_optin", 0, true, std::nullopt},
    {Feature::gossip_queries_ex, "gossip_queries_ex", I | N, false, std::nullopt},
    {Feature::option_static_remotekey, "option_static_remotekey", 0, true, std::nullopt},
    {Feature::payment_secret, "payment_secret", 0, true, std::nullopt},
    {Feature::basic_mpp, "basic_mpp", I | N | INV, false, Feature::payment_secret},
    {Feature::option_support_large_channel, "option_support_large_channel", I | N, false,
     std::nullopt},
    {Feature::option_anchors, "option_anchors", I | N | T, false, std::nullopt},
    {Feature::option_route_blinding, "option_route_blinding", I | N | INV, false, std::nullopt},
    {Feature::option_shutdown_anysegwit, "option_shutdown_anysegwit", I | N, false,
     std::nullopt},
    {Feature::option_dual_fund, "option_dual_fund", I | N, false, std::nullopt},
    {Feature::option_quiesce, "option_quiesce", I | N, false, std::nullopt},
    {Feature::option_attribution_data, "option_attribution_data", I | N | INV, false,
     std::nullopt},
    {Feature::option_onion_messages, "option_onion_messages", I | N, false, std::nullopt},
    {Feature::option_provide_storage, "option_provide_storage", I | N, false, std::nullopt},
    {Feature::option_channel_type, "option_channel_type", 0, true, std::nullopt},
    {Feature::option_scid_alias, "option_scid_alias", I | N | T, false, std::nullopt},
    {Feature::option_payment_metadata, "option_payment_metadata", INV, false, std::nullopt},
    {Feature::option_zeroconf, "option_zeroconf", I | N | T, false, Feature::option_scid_alias},
    {Feature::option_simple_close, "option_simple_close", I | N, false,
     Feature::option_shutdown_anysegwit},
    {Feature::option_splice, "option_splice", I | N, false, std::nullopt},
}};

constexpr bool table_in_bit_order() {
  for (size_t i = 1; i < FEATURES.size(); ++i) {
    if (even_bit(FEATURES[i - 1].feature) >= even_bit(FEATURES[i].feature)) return false;
  }
  return true;
}
static_assert(table_in_bit_order());

bool allowed_in(const FeatureInfo& info, FeatureContext context) {
  return info.assumed || (info.contexts & static_cast<uint8_t>(context)) != 0;
}
}  // namespace

std::span<const FeatureInfo> all_features() { return FEATURES; }

const FeatureInfo* feature_info(size_t bit) {
  size_t even = bit & ~size_t{1};
  for (const auto& info : FEATURES) {
    if (even_bit(info.feature) == even) return &info;
  }
  return nullptr;
}

const FeatureInfo& feature_info(Feature f) {
  const FeatureInfo* info = feature_info(even_bit(f));
  FULGUR_ASSERT(info != nullptr);
  return *info;
}

std::string_view feature_name(Feature f) { return feature_info(f).name; }

FeatureBits FeatureBits::from_wire(ByteSpan bytes) {
  FeatureBits out;
  out.m_le.assign(bytes.rbegin(), bytes.rend());
  out.trim();
  return out;
}

FeatureBits FeatureBits::from_bits(std::initializer_list<size_t> bits) {
  FeatureBits out;
  for (size_t bit : bits) out.set_bit(bit);
  return out;
}

Bytes FeatureBits::to_wire() const { return Bytes(m_le.rbegin(), m_le.rend()); }

bool FeatureBits::has_bit(size_t bit) const {
  size_t byte = bit / 8;
  return byte < m_le.size() && (m_le[byte] >> (bit % 8)) & 1;
}

void FeatureBits::set_bit(size_t bit) {
  FULGUR_REQUIRE(bit < MAX_BITS);
  size_t byte = bit / 8;
  if (byte >= m_le.size()) m_le.resize(byte + 1, 0);
  m_le[byte] = static_cast<uint8_t>(m_le[byte] | (1u << (bit % 8)));
}

void FeatureBits::clear_bit(size_t bit) {
  size_t byte = bit / 8;
  if (byte >= m_le.size()) return;
  m_le[byte] = static_cast<uint8_t>(m_le[byte] & ~(1u << (bit % 8)));
  trim();
}

std::vector<size_t> FeatureBits::set_bits() const {
  std::vector<size_t> out;
  for (size_t byte = 0; byte < m_le.size(); ++byte) {
    for (size_t i = 0; i < 8; ++i) {
      if ((m_le[byte] >> i) & 1) out.push_back(byte * 8 + i);
    }
  }
  return out;
}

bool FeatureBits::empty() const { return m_le.empty(); }

FeatureBits FeatureBits::operator|(const FeatureBits& other) const {
  FeatureBits out;
  out.m_le.resize(std::max(m_le.size(), other.m_le.size()), 0);
  for (size_t i = 0; i < out.m_le.size(); ++i) {
    uint8_t a = i < m_le.size() ? m_le[i] : 0;
    uint8_t b = i < other.m_le.size() ? other.m_le[i] : 0;
    out.m_le[i] = static_cast<uint8_t>(a | b);
  }
  return out;
}

bool operator==(const FeatureBits& a, const FeatureBits& b) { return a.m_le == b.m_le; }

void FeatureBits::trim() {
  while (!m_le.empty() && m_le.back() == 0) m_le.pop_back();
}

std::string FeatureBits::to_string() const {
  std::string out;
  for (size_t bit : set_bits()) {
    if (!out.empty()) out += ' ';
    const FeatureInfo* info = feature_info(bit);
    out += info != nullptr ? std::string(info->name) : "unknown";
    out += "/" + std::to_string(bit);
  }
  return out;
}

std::vector<size_t> unknown_bits(const FeatureBits& features, FeatureContext context) {
  std::vector<size_t> out;
  for (size_t bit : features.set_bits()) {
    const FeatureInfo* info = feature_info(bit);
    if (info == nullptr || !allowed_in(*info, context)) out.push_back(bit);
  }
  return out;
}

std::optional<MissingDependency> missing_dependency(const FeatureBits& features) {
  for (const auto& info : FEATURES) {
    if (info.dependency && features.offers(info.feature) && !features.offers(*info.dependency)) {
      return MissingDependency{info.feature, *info.dependency};
    }
  }
  return std::nullopt;
}

Status check_peer_init_features(const FeatureBits& features) {
  for (size_t bit : unknown_bits(features, FeatureContext::Init)) {
    // BOLT #1: "upon receiving unknown _odd_ feature bits that are non-zero: MUST ignore
    // the bit"; "upon receiving unknown _even_ feature bits that are non-zero: MUST close
    // the connection".
    if (bit % 2 == 0) {
      return fail("peer requires unknown feature bit " + std::to_string(bit),
                  PeerAction::Disconnect);
    }
  }
  // BOLT #1: "if the feature vector does not set all known, transitive dependencies: MUST
  // close the connection".
  if (auto missing = missing_dependency(features)) {
    return fail("peer sets " + std::string(feature_name(missing->feature)) + " without " +
                    std::string(feature_name(missing->dependency)),
                PeerAction::Disconnect);
  }
  return {};
}

Status check_own_features(const FeatureBits& features, FeatureContext context) {
  // BOLT #9: "MUST NOT set feature bits it does not support"; "MUST NOT set feature bits in
  // fields not specified by the table above".
  if (auto unknown = unknown_bits(features, context); !unknown.empty()) {
    return fail("feature bit " + std::to_string(unknown.front()) + " is not defined here");
  }
  // BOLT #9: "MUST NOT set both the optional and mandatory bits".
  for (size_t bit : features.set_bits()) {
    if (bit % 2 == 0 && features.has_bit(bit + 1)) {
      return fail("both bits of feature pair " + std::to_string(bit) + " are set");
    }
  }
  // BOLT #9: "MUST set all transitive feature dependencies".
  if (auto missing = missing_dependency(features)) {
    return fail(std::string(feature_name(missing->feature)) + " needs " +
                std::string(feature_name(missing->dependency)));
  }
  return {};
}

bool negotiated(const FeatureBits& local, const FeatureBits& remote, Feature f) {
  return (local.offers(f) && remote.offers(f)) || local.is_required(f);
}

FeatureBits ChannelType::to_features() const {
  FeatureBits out;
  out.set_required(Feature::option_static_remotekey);
  if (anchors) out.set_required(Feature::option_anchors);
  if (scid_alias) out.set_required(Feature::option_scid_alias);
  if (zeroconf) out.set_required(Feature::option_zeroconf);
  return out;
}

Result<ChannelType> parse_channel_type(ByteSpan bytes) {
  FeatureBits bits = FeatureBits::from_wire(bytes);
  ChannelType type;
  type.anchors = bits.has_bit(even_bit(Feature::option_anchors));
  type.scid_alias = bits.has_bit(even_bit(Feature::option_scid_alias));
  type.zeroconf = bits.has_bit(even_bit(Feature::option_zeroconf));
  // BOLT #2: "Channel types are an explicit enumeration ... not an arbitrary combination";
  // the receiver MUST fail the channel if "the `channel_type` is not suitable". The
  // sender "MUST use the smallest bitmap possible", so leading zero bytes are refused too.
  if (!(type.to_features() == bits) || (!bytes.empty() && bytes[0] == 0)) {
    return fail("channel_type " + bits.to_string() + " is not a defined channel type",
                PeerAction::FailChannel);
  }
  return type;
}

Bytes encode_channel_type(const ChannelType& type) { return type.to_features().to_wire(); }

}  // namespace fulgur::wire
