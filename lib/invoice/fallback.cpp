// Fallback address strings for BOLT 11 `f` fields.
#include "invoice/fallback.h"

#include <algorithm>

#include "crypto/hash.h"

namespace fulgur::invoice {

std::optional<bitcoin::Network> network_of(std::string_view currency) {
  if (currency == "bc") return bitcoin::Network::Main;
  if (currency == "tb") return bitcoin::Network::Testnet;
  if (currency == "tbs") return bitcoin::Network::Signet;
  if (currency == "bcrt") return bitcoin::Network::Regtest;
  return std::nullopt;
}

std::string fallback_type(const Fallback& fallback) {
  if (fallback.version == 17) return "p2pkh";
  if (fallback.version == 18) return "p2sh";
  if (fallback.version == 0) return fallback.program.size() == 20 ? "p2wpkh" : "p2wsh";
  if (fallback.version == 1 && fallback.program.size() == 32) return "p2tr";
  return "witness_v" + std::to_string(fallback.version);
}

std::string base58check_encode(uint8_t version, ByteSpan payload) {
  static constexpr char ALPHABET[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  Bytes data(1 + payload.size() + 4);
  data[0] = version;
  std::copy(payload.begin(), payload.end(), data.begin() + 1);
  data.resize(1 + payload.size());
  Hash256 check = crypto::sha256d(data);
  data.insert(data.end(), check.begin(), check.begin() + 4);
  // Repeated division of the big-endian number by 58.
  std::string out;
  Bytes number = data;
  size_t start = 0;
  while (start < number.size() && number[start] == 0) ++start;
  size_t leading_zeros = start;
  while (start < number.size()) {
    unsigned remainder = 0;
    for (size_t i = start; i < number.size(); ++i) {
      unsigned value = remainder * 256 + number[i];
      number[i] = static_cast<uint8_t>(value / 58);
      remainder = value % 58;
    }
    out.push_back(ALPHABET[remainder]);
    while (start < number.size() && number[start] == 0) ++start;
  }
  out.append(leading_zeros, '1');
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::string> fallback_address(const Fallback& fallback, bitcoin::Network network) {
  bool main = network == bitcoin::Network::Main;
  if (fallback.version == 17 || fallback.version == 18) {
    if (fallback.program.size() != 20) return fail("legacy fallback hash must be 20 bytes");
    uint8_t prefix = fallback.version == 17 ? (main ? 0x00 : 0x6f) : (main ? 0x05 : 0xc4);
    return base58check_encode(prefix, fallback.program);
  }
  return bitcoin::encode_segwit_address(network, fallback.version, fallback.program);
}

}  // namespace fulgur::invoice
