// BOLT 7 address descriptors.
#include "wire/address.h"

#include "common/assert.h"
#include "common/hex.h"
#include "wire/codec.h"

namespace fulgur::wire {

namespace {
// Fixed address lengths by type; 0 for a hostname (length-prefixed) or an unknown type.
size_t fixed_length(uint8_t type) {
  switch (type) {
    case 1: return 4;
    case 2: return 16;
    case 3: return 10;
    case 4: return 35;
    default: return 0;
  }
}

bool is_known(uint8_t type) { return type >= 1 && type <= 5; }

Result<Address> read_one(Reader& r, uint8_t type) {
  Address out;
  out.type = static_cast<AddressType>(type);
  size_t len = fixed_length(type);
  if (type == 5) {
    auto hostname_len = r.u8();
    if (!hostname_len) return fail("address: hostname length missing", PeerAction::Warn);
    len = *hostname_len;
  }
  auto addr = r.bytes(len);
  auto port = addr ? r.u16() : Result<uint16_t>(fail("truncated"));
  // BOLT #7: "if `addrlen` is insufficient to hold the address descriptors of the known
  // types: SHOULD send a `warning`".
  if (!addr || !port) return fail("address descriptor truncated", PeerAction::Warn);
  out.addr.assign(addr->begin(), addr->end());
  out.port = *port;
  if (type == 5) {
    // BOLT #7: "`hostname` bytes MUST be ASCII characters."
    for (uint8_t c : out.addr) {
      if (c < 0x21 || c > 0x7e) return fail("address: hostname is not ASCII", PeerAction::Warn);
    }
  }
  return out;
}
}  // namespace

Result<ParsedAddresses> parse_addresses(ByteSpan bytes) {
  Reader r(bytes);
  ParsedAddresses out;
  while (!r.empty()) {
    uint8_t type = *r.u8();
    if (!is_known(type)) {
      out.stopped_at_unknown = true;
      break;
    }
    FULGUR_TRY(Address a, read_one(r, type));
    out.addresses.push_back(std::move(a));
  }
  return out;
}

Result<Address> parse_address(ByteSpan bytes) {
  Reader r(bytes);
  auto type = r.u8();
  if (!type || !is_known(*type)) return fail("unknown address type", PeerAction::Warn);
  FULGUR_TRY(Address a, read_one(r, *type));
  if (!r.empty()) return fail("trailing bytes after address", PeerAction::Warn);
  return a;
}

Bytes encode_addresses(const std::vector<Address>& addresses) {
  Writer w;
  for (const auto& a : addresses) {
    w.u8(static_cast<uint8_t>(a.type));
    if (a.type == AddressType::Dns) {
      FULGUR_REQUIRE(a.addr.size() <= 255);
      w.u8(static_cast<uint8_t>(a.addr.size()));
    } else {
      FULGUR_REQUIRE(a.addr.size() == fixed_length(static_cast<uint8_t>(a.type)));
    }
    w.bytes(a.addr);
    w.u16(a.port);
  }
  return w.take();
}

std::string to_string(const Address& a) {
  std::string host;
  switch (a.type) {
    case AddressType::Ipv4:
      for (size_t i = 0; i < a.addr.size(); ++i) host += (i ? "." : "") + std::to_string(a.addr[i]);
      break;
    case AddressType::Ipv6: {
      static const char* DIGITS = "0123456789abcdef";
      host = "[";
      for (size_t i = 0; i + 1 < a.addr.size(); i += 2) {
        unsigned group = (unsigned(a.addr[i]) << 8) | a.addr[i + 1];
        std::string g;
        do {
          g.insert(g.begin(), DIGITS[group & 0xf]);
          group >>= 4;
        } while (group != 0);
        host += (i ? ":" : "") + g;
      }
      host += "]";
      break;
    }
    case AddressType::TorV2:
    case AddressType::TorV3: host = "onion:" + to_hex(a.addr); break;
    case AddressType::Dns: host.assign(a.addr.begin(), a.addr.end()); break;
  }
  return host + ":" + std::to_string(a.port);
}

}  // namespace fulgur::wire
