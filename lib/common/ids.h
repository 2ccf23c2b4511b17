// Identifiers: hashes, transaction ids, channel ids, node ids, payment hashes and
// preimages, and the short channel id. Each is its own type; none converts to another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace fulgur {

struct Hash256Tag : PlainDisplay {};
struct Hash160Tag : PlainDisplay {};
struct TxidTag : ReversedDisplay {};
struct BlockHashTag : ReversedDisplay {};
struct ChannelIdTag : PlainDisplay {};
struct NodeIdTag : PlainDisplay {};
struct PaymentHashTag : PlainDisplay {};
struct PreimageTag : PlainDisplay {};
struct PaymentSecretTag : PlainDisplay {};

using Hash256 = FixedBytes<32, Hash256Tag>;
using Hash160 = FixedBytes<20, Hash160Tag>;
// Stored in internal byte order; printed reversed, as Bitcoin does.
using Txid = FixedBytes<32, TxidTag>;
using BlockHash = FixedBytes<32, BlockHashTag>;
using ChannelId = FixedBytes<32, ChannelIdTag>;
// A node's identity: its compressed secp256k1 public key (33 bytes). crypto::PublicKey is
// the validated point; a NodeId is its serialization, ordered bytewise as BOLT 7 orders
// node_id_1 < node_id_2.
using NodeId = FixedBytes<33, NodeIdTag>;
using PaymentHash = FixedBytes<32, PaymentHashTag>;
using Preimage = FixedBytes<32, PreimageTag>;
// BOLT 11 `s` / BOLT 4 payment_data: the secret the payer echoes to the payee.
using PaymentSecret = FixedBytes<32, PaymentSecretTag>;

// BOLT 7: block height (3 bytes), transaction index (3 bytes), output index (2 bytes).
class ShortChannelId {
 public:
  static constexpr uint32_t MAX_BLOCK = 0xffffff;
  static constexpr uint32_t MAX_TX_INDEX = 0xffffff;

  constexpr ShortChannelId() = default;
  constexpr explicit ShortChannelId(uint64_t packed) : m_packed(packed) {}

  // Nothing if block or tx index do not fit in 24 bits.
  static std::optional<ShortChannelId> from_parts(uint32_t block, uint32_t tx_index,
                                                  uint16_t output_index);
  // Parses "BLOCKxTXxOUT" (e.g. "539268x845x1"), decimal, each part in range.
  static Result<ShortChannelId> parse(std::string_view text);

  constexpr uint64_t to_u64() const { return m_packed; }
  constexpr uint32_t block() const { return static_cast<uint32_t>(m_packed >> 40); }
  constexpr uint32_t tx_index() const { return static_cast<uint32_t>(m_packed >> 16) & 0xffffff; }
  constexpr uint16_t output_index() const { return static_cast<uint16_t>(m_packed & 0xffff); }
  std::string to_string() const;

  friend constexpr auto operator<=>(ShortChannelId, ShortChannelId) = default;

 private:
  uint64_t m_packed = 0;
};

}  // namespace fulgur
