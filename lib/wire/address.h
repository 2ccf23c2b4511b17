// BOLT 7 address descriptors: the `addresses` of node_announcement and the `remote_addr` of
// init (ipv4, ipv6, deprecated Tor v2, Tor v3, DNS hostname), parsed and encoded. Pure
// bytes; nothing here resolves or connects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::wire {

enum class AddressType : uint8_t { Ipv4 = 1, Ipv6 = 2, TorV2 = 3, TorV3 = 4, Dns = 5 };

struct Address {
  AddressType type = AddressType::Ipv4;
  Bytes addr;  // 4, 16, 10 or 35 bytes, or the hostname's ASCII bytes
  uint16_t port = 0;

  friend bool operator==(const Address&, const Address&) = default;
};

struct ParsedAddresses {
  std::vector<Address> addresses;
  // An unknown descriptor type was met; it and everything after it were ignored.
  bool stopped_at_unknown = false;
};

// Errors (PeerAction::Warn) when a known descriptor is cut short or a hostname is not ASCII.
// BOLT 7: the receiver "SHOULD ignore the first `address descriptor` that does NOT match
// the types defined above" (its length is unknown, so parsing stops there).
Result<ParsedAddresses> parse_addresses(ByteSpan bytes);
// One descriptor that must fill `bytes` exactly (init's remote_addr).
Result<Address> parse_address(ByteSpan bytes);
// Descriptors in the given order. A hostname over 255 bytes is a caller bug.
Bytes encode_addresses(const std::vector<Address>& addresses);

// "203.0.113.7:9735", "[2001:db8:0:0:0:0:0:1]:9735", "host.example:9735"; onion addresses
// in hex (no base32 here).
std::string to_string(const Address& address);

}  // namespace fulgur::wire
