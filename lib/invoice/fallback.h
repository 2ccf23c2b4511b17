// BOLT 11 `f` fallback addresses shown as Bitcoin addresses: segwit (bech32/bech32m via
// lib/bitcoin) and the legacy P2PKH / P2SH forms (Base58Check).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bitcoin/bech32.h"
#include "common/result.h"
#include "invoice/invoice.h"

namespace fulgur::invoice {

// The network an invoice's currency prefix names (bc, tb, tbs, bcrt), if known.
std::optional<bitcoin::Network> network_of(std::string_view currency);

// "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr" or "witness_v<N>".
std::string fallback_type(const Fallback& fallback);

// The address string; errors for a program that no address can carry.
Result<std::string> fallback_address(const Fallback& fallback, bitcoin::Network network);

// Base58Check (version byte + payload + 4-byte double-SHA256 checksum).
std::string base58check_encode(uint8_t version, ByteSpan payload);

}  // namespace fulgur::invoice
