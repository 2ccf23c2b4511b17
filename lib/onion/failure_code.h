// BOLT 4 failure codes: the flag bits and every defined code with its name. The data each
// code carries, and the return-packet encryption, live in failure.h.
#pragma once

#include <cstdint>
#include <optional>

namespace fulgur::onion {

// BOLT 4: "The top byte of failure_code can be read as a set of flags".
constexpr uint16_t BADONION = 0x8000;  // unparsable onion encrypted by sending peer
constexpr uint16_t PERM = 0x4000;      // permanent failure (otherwise transient)
constexpr uint16_t NODE = 0x2000;      // node failure (otherwise channel)
constexpr uint16_t UPDATE = 0x1000;    // new channel update enclosed

// Named as the spec names them.
enum class FailureCode : uint16_t {
  invalid_realm = PERM | 1,
  temporary_node_failure = NODE | 2,
  permanent_node_failure = PERM | NODE | 2,
  required_node_feature_missing = PERM | NODE | 3,
  invalid_onion_version = BADONION | PERM | 4,
  invalid_onion_hmac = BADONION | PERM | 5,
  invalid_onion_key = BADONION | PERM | 6,
  temporary_channel_failure = UPDATE | 7,
  permanent_channel_failure = PERM | 8,
  required_channel_feature_missing = PERM | 9,
  unknown_next_peer = PERM | 10,
  amount_below_minimum = UPDATE | 11,
  fee_insufficient = UPDATE | 12,
  incorrect_cltv_expiry = UPDATE | 13,
  expiry_too_soon = UPDATE | 14,
  incorrect_or_unknown_payment_details = PERM | 15,
  final_incorrect_cltv_expiry = 18,
  final_incorrect_htlc_amount = 19,
  channel_disabled = UPDATE | 20,
  expiry_too_far = 21,
  invalid_onion_payload = PERM | 22,
  mpp_timeout = 23,
  invalid_onion_blinding = BADONION | PERM | 24,
};

// Every code above, in the spec's order (tests and fuzzers iterate it).
inline constexpr FailureCode ALL_FAILURE_CODES[] = {
    FailureCode::invalid_realm,
    FailureCode::temporary_node_failure,
    FailureCode::permanent_node_failure,
    FailureCode::required_node_feature_missing,
    FailureCode::invalid_onion_version,
    FailureCode::invalid_onion_hmac,
    FailureCode::invalid_onion_key,
    FailureCode::temporary_channel_failure,
    FailureCode::permanent_channel_failure,
    FailureCode::required_channel_feature_missing,
    FailureCode::unknown_next_peer,
    FailureCode::amount_below_minimum,
    FailureCode::fee_insufficient,
    FailureCode::incorrect_cltv_expiry,
    FailureCode::expiry_too_soon,
    FailureCode::incorrect_or_unknown_payment_details,
    FailureCode::final_incorrect_cltv_expiry,
    FailureCode::final_incorrect_htlc_amount,
    FailureCode::channel_disabled,
    FailureCode::expiry_too_far,
    FailureCode::invalid_onion_payload,
    FailureCode::mpp_timeout,
    FailureCode::invalid_onion_blinding,
};

constexpr uint16_t to_u16(FailureCode code) { return static_cast<uint16_t>(code); }
constexpr bool is_bad_onion(FailureCode code) { return (to_u16(code) & BADONION) != 0; }
constexpr bool is_permanent(uint16_t code) { return (code & PERM) != 0; }
constexpr bool is_node_failure(uint16_t code) { return (code & NODE) != 0; }
constexpr bool has_update(uint16_t code) { return (code & UPDATE) != 0; }

// The spec's name ("fee_insufficient").
const char* to_string(FailureCode code);
// The known code with this value, if any.
std::optional<FailureCode> failure_code_from_u16(uint16_t value);

}  // namespace fulgur::onion
