// The wire-level value types that BOLT messages carry beyond lib/common's: a 33-byte
// point and a 64-byte compact signature (both validated when decoded), the 1366-byte onion
// packet and a few fixed byte strings, each its own type.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"

namespace fulgur::crypto {
class PublicKey;
class Signature;
}  // namespace fulgur::crypto

namespace fulgur::wire {

struct PointTag : PlainDisplay {};
struct SignatureTag : PlainDisplay {};
struct OnionPacketTag : PlainDisplay {};
struct SecretBytesTag : PlainDisplay {};
struct AliasTag : PlainDisplay {};
struct RgbColorTag : PlainDisplay {};
struct TruncatedHmacsTag : PlainDisplay {};

// `point`: a compressed secp256k1 point; decoding rejects anything not on the curve.
using Point = FixedBytes<33, PointTag>;
// `signature`: 64-byte compact ECDSA (r || s); decoding rejects r or s >= the group order.
using Signature = FixedBytes<64, SignatureTag>;
// `chain_hash`: the genesis block hash, in internal byte order.
using ChainHash = BlockHash;
// BOLT 4 onion_routing_packet (1 + 33 + 1300 + 32 bytes).
constexpr size_t ONION_PACKET_SIZE = 1366;
using OnionPacket = FixedBytes<ONION_PACKET_SIZE, OnionPacketTag>;
// A revealed per-commitment secret (revoke_and_ack, channel_reestablish): no longer secret.
using PerCommitmentSecret = FixedBytes<32, SecretBytesTag>;
// node_announcement's alias (UTF-8, zero padded) and rgb_color.
using Alias = FixedBytes<32, AliasTag>;
using RgbColor = FixedBytes<3, RgbColorTag>;
// BOLT 4 attribution data: 210 HMACs truncated to 4 bytes.
using TruncatedHmacs = FixedBytes<840, TruncatedHmacsTag>;

// A TLV record with no data whose presence is the information (require_confirmed_inputs).
struct Flag {
  friend bool operator==(Flag, Flag) = default;
};

// Bitcoin mainnet's chain_hash (the genesis block hash, internal byte order).
ChainHash mainnet_chain_hash();
ChainHash testnet_chain_hash();
ChainHash signet_chain_hash();
ChainHash regtest_chain_hash();

// Conversions to and from lib/crypto's validated types.
Result<crypto::PublicKey> to_public_key(const Point& point);
Point to_point(const crypto::PublicKey& key);
Result<crypto::Signature> to_crypto_signature(const Signature& sig);
Signature to_wire_signature(const crypto::Signature& sig);

// True when `point` is a valid compressed point (what decoding requires).
bool is_valid_point(const Point& point);
// True when r and s are below the group order (what decoding requires).
bool is_valid_signature(const Signature& sig);

}  // namespace fulgur::wire
