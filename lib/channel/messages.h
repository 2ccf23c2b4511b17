// The BOLT 2 messages the channel state machine consumes and produces, as plain structs
// named and laid out as the spec names them. TRANSITIONAL: lib/wire's declarative message
// table (issue 2) is not on main yet; once it lands these become aliases of its structs
// (the field names already match), and the codec is theirs. Nothing here encodes bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/units.h"

namespace fulgur::channel::msg {

struct PointTag : PlainDisplay {};
struct SigTag : PlainDisplay {};
struct SecretTag : PlainDisplay {};
// A compressed secp256k1 point as received: validated by the machine when it is used.
using Point = FixedBytes<33, PointTag>;
// 64-byte compact ECDSA signature as received.
using Sig = FixedBytes<64, SigTag>;
// A revealed per-commitment secret (no longer secret once sent).
using PerCommitmentSecret = FixedBytes<32, SecretTag>;

// BOLT 9 channel_type feature bits this machine negotiates.
inline constexpr unsigned FEATURE_STATIC_REMOTEKEY = 12;
inline constexpr unsigned FEATURE_ANCHORS_ZERO_FEE_HTLC_TX = 22;

struct OpenChannel {
  BlockHash chain_hash;
  ChannelId temporary_channel_id;
  Sat funding_satoshis;
  Msat push_msat;
  Sat dust_limit_satoshis;
  Msat max_htlc_value_in_flight_msat;
  Sat channel_reserve_satoshis;
  Msat htlc_minimum_msat;
  FeeratePerKw feerate_per_kw;
  uint16_t to_self_delay = 0;
  uint16_t max_accepted_htlcs = 0;
  Point funding_pubkey;
  Point revocation_basepoint;
  Point payment_basepoint;
  Point delayed_payment_basepoint;
  Point htlc_basepoint;
  Point first_per_commitment_point;
  uint8_t channel_flags = 0;
  Bytes upfront_shutdown_script;
  std::optional<Bytes> channel_type;  // TLV 1: feature bits, big-endian bitfield
};

struct AcceptChannel {
  ChannelId temporary_channel_id;
  Sat dust_limit_satoshis;
  Msat max_htlc_value_in_flight_msat;
  Sat channel_reserve_satoshis;
  Msat htlc_minimum_msat;
  uint32_t minimum_depth = 0;
  uint16_t to_self_delay = 0;
  uint16_t max_accepted_htlcs = 0;
  Point funding_pubkey;
  Point revocation_basepoint;
  Point payment_basepoint;
  Point delayed_payment_basepoint;
  Point htlc_basepoint;
  Point first_per_commitment_point;
  Bytes upfront_shutdown_script;
  std::optional<Bytes> channel_type;
};

struct FundingCreated {
  ChannelId temporary_channel_id;
  Txid funding_txid;
  uint16_t funding_output_index = 0;
  Sig signature;
};

struct FundingSigned {
  ChannelId channel_id;
  Sig signature;
};

struct ChannelReady {
  ChannelId channel_id;
  Point second_per_commitment_point;
};

struct UpdateAddHtlc {
  ChannelId channel_id;
  uint64_t id = 0;
  Msat amount_msat;
  PaymentHash payment_hash;
  uint32_t cltv_expiry = 0;
  Bytes onion_routing_packet;  // 1366 bytes on the wire; opaque here
  friend bool operator==(const UpdateAddHtlc&, const UpdateAddHtlc&) = default;
};

struct UpdateFulfillHtlc {
  ChannelId channel_id;
  uint64_t id = 0;
  Preimage payment_preimage;
  friend bool operator==(const UpdateFulfillHtlc&, const UpdateFulfillHtlc&) = default;
};

struct UpdateFailHtlc {
  ChannelId channel_id;
  uint64_t id = 0;
  Bytes reason;
  friend bool operator==(const UpdateFailHtlc&, const UpdateFailHtlc&) = default;
};

struct UpdateFailMalformedHtlc {
  ChannelId channel_id;
  uint64_t id = 0;
  Hash256 sha256_of_onion;
  uint16_t failure_code = 0;
  friend bool operator==(const UpdateFailMalformedHtlc&, const UpdateFailMalformedHtlc&) = default;
};

struct UpdateFee {
  ChannelId channel_id;
  FeeratePerKw feerate_per_kw;
  friend bool operator==(const UpdateFee&, const UpdateFee&) = default;
};

struct CommitmentSigned {
  ChannelId channel_id;
  Sig signature;
  std::vector<Sig> htlc_signatures;
};

struct RevokeAndAck {
  ChannelId channel_id;
  PerCommitmentSecret per_commitment_secret;
  Point next_per_commitment_point;
};

struct Shutdown {
  ChannelId channel_id;
  Bytes scriptpubkey;
};

struct ClosingSigned {
  ChannelId channel_id;
  Sat fee_satoshis;
  Sig signature;
};

struct ChannelReestablish {
  ChannelId channel_id;
  uint64_t next_commitment_number = 0;
  uint64_t next_revocation_number = 0;
  PerCommitmentSecret your_last_per_commitment_secret;
  Point my_current_per_commitment_point;
};

struct Error {
  ChannelId channel_id;
  Bytes data;
};

struct Warning {
  ChannelId channel_id;
  Bytes data;
};

using Message = std::variant<OpenChannel, AcceptChannel, FundingCreated, FundingSigned,
                             ChannelReady, UpdateAddHtlc, UpdateFulfillHtlc, UpdateFailHtlc,
                             UpdateFailMalformedHtlc, CommitmentSigned, RevokeAndAck, UpdateFee,
                             Shutdown, ClosingSigned, ChannelReestablish, Error, Warning>;

// The spec's name of a message, for logs and errors.
const char* name_of(const Message& m);

}  // namespace fulgur::channel::msg
