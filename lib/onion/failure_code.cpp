// Names of the BOLT 4 failure codes.
#include "onion/failure_code.h"

namespace fulgur::onion {

const char* to_string(FailureCode code) {
  switch (code) {
    case FailureCode::invalid_realm: return "invalid_realm";
    case FailureCode::temporary_node_failure: return "temporary_node_failure";
    case FailureCode::permanent_node_failure: return "permanent_node_failure";
    case FailureCode::required_node_feature_missing: return "required_node_feature_missing";
    case FailureCode::invalid_onion_version: return "invalid_onion_version";
    case FailureCode::invalid_onion_hmac: return "invalid_onion_hmac";
    case FailureCode::invalid_onion_key: return "invalid_onion_key";
    case FailureCode::temporary_channel_failure: return "temporary_channel_failure";
    case FailureCode::permanent_channel_failure: return "permanent_channel_failure";
    case FailureCode::required_channel_feature_missing: return "required_channel_feature_missing";
    case FailureCode::unknown_next_peer: return "unknown_next_peer";
    case FailureCode::amount_below_minimum: return "amount_below_minimum";
    case FailureCode::fee_insufficient: return "fee_insufficient";
    case FailureCode::incorrect_cltv_expiry: return "incorrect_cltv_expiry";
    case FailureCode::expiry_too_soon: return "expiry_too_soon";
    case FailureCode::incorrect_or_unknown_payment_details:
      return "incorrect_or_unknown_payment_details";
    case FailureCode::final_incorrect_cltv_expiry: return "final_incorrect_cltv_expiry";
    case FailureCode::final_incorrect_htlc_amount: return "final_incorrect_htlc_amount";
    case FailureCode::channel_disabled: return "channel_disabled";
    case FailureCode::expiry_too_far: return "expiry_too_far";
    case FailureCode::invalid_onion_payload: return "invalid_onion_payload";
    case FailureCode::mpp_timeout: return "mpp_timeout";
    case FailureCode::invalid_onion_blinding: return "invalid_onion_blinding";
  }
  return "unknown";
}

std::optional<FailureCode> failure_code_from_u16(uint16_t value) {
  for (FailureCode code : ALL_FAILURE_CODES) {
    if (to_u16(code) == value) return code;
  }
  return std::nullopt;
}

}  // namespace fulgur::onion
