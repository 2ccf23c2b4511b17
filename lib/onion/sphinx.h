// BOLT 4 Sphinx: building an onion_packet for a route of up to 20 hops, and peeling one
// layer at a hop. Pure computation: keys in, bytes out; payload meaning lives in payload.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "onion/failure_code.h"

namespace fulgur::onion {

constexpr size_t HOP_PAYLOADS_SIZE = 1300;
constexpr size_t HMAC_SIZE = 32;
// version (1) + public_key (33) + hop_payloads (1300) + hmac (32).
constexpr size_t ONION_PACKET_SIZE = 1 + 33 + HOP_PAYLOADS_SIZE + HMAC_SIZE;
constexpr size_t MAX_HOPS = 20;
constexpr uint8_t ONION_VERSION = 0;

// The key types of BOLT 4 "Key Generation" (plus ammag for returning errors).
enum class KeyType { Rho, Mu, Um, Pad, Ammag };

// HMAC-SHA256 with the key-type's name (no NUL) as key and the 32-byte secret as message.
crypto::Secret32 generate_key(KeyType type, std::span<const uint8_t, 32> secret);

// The 1366-byte onion_packet, as it travels in update_add_htlc.
struct OnionPacket {
  uint8_t version = ONION_VERSION;
  std::array<uint8_t, 33> public_key{};
  std::array<uint8_t, HOP_PAYLOADS_SIZE> hop_payloads{};
  std::array<uint8_t, HMAC_SIZE> hmac{};

  std::array<uint8_t, ONION_PACKET_SIZE> serialize() const;
  // Only the size is checked here; version and key are checked by peel_onion so that their
  // failures can be reported with the right failure code.
  static Result<OnionPacket> parse(ByteSpan bytes);
  // sha256_of_onion for the BADONION failures.
  Hash256 sha256() const;

  friend bool operator==(const OnionPacket&, const OnionPacket&) = default;
};

// One hop of a route: its node key and its TLV payload (without the BigSize length prefix).
struct OnionHop {
  crypto::PublicKey node_id;
  Bytes payload;
};

// What the origin keeps: the packet for the first hop and each hop's shared secret, to
// attribute a returned failure.
struct CreatedOnion {
  OnionPacket packet;
  std::vector<crypto::Secret32> shared_secrets;
};

// The bytes a hop's payload takes in hop_payloads: BigSize(length) + payload + HMAC.
size_t hop_size(size_t payload_length);

// Builds the onion. Errors: no hops, more than MAX_HOPS, a payload shorter than 2 bytes
// (BOLT 4: lengths 0 and 1 are reserved), or payloads that do not fit in 1300 bytes.
Result<CreatedOnion> create_onion(const crypto::SecretKey& session_key,
                                  std::span<const OnionHop> hops, ByteSpan associated_data);

// What a hop learns by peeling its layer.
struct PeeledOnion {
  Bytes payload;                      // this hop's TLV payload, without its length prefix
  crypto::Secret32 shared_secret;     // kept with the HTLC to wrap a returned failure
  std::optional<OnionPacket> next;    // the packet to forward; nothing at the final node
  bool is_final() const { return !next.has_value(); }
};

// Why a packet could not be peeled. BADONION codes mean the onion itself is unusable: the
// hop answers with update_fail_malformed_htlc (code + sha256_of_onion) instead of an
// encrypted failure, because it has no shared secret to encrypt with.
struct PeelError {
  FailureCode code = FailureCode::invalid_onion_hmac;
  Hash256 sha256_of_onion;
  std::string message;
  bool use_malformed() const { return is_bad_onion(code); }
};

// Peels one layer with this node's key. associated_data is the HTLC's payment_hash.
Result<PeeledOnion, PeelError> peel_onion(const crypto::SecretKey& node_key,
                                          const OnionPacket& packet, ByteSpan associated_data);

}  // namespace fulgur::onion
