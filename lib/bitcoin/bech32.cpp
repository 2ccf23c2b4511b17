// Bech32/bech32m (BIP 173, BIP 350) and segwit addresses.
#include "bitcoin/bech32.h"

#include <array>

namespace fulgur::bitcoin {

namespace {

constexpr const char* CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t BECH32_CONST = 1;
constexpr uint32_t BECH32M_CONST = 0x2bc830a3;
constexpr size_t CHECKSUM_LENGTH = 6;

constexpr std::array<int8_t, 128> charset_reverse() {
  std::array<int8_t, 128> rev{};
  for (auto& v : rev) v = -1;
  for (int i = 0; i < 32; ++i) rev[static_cast<uint8_t>(CHARSET[i])] = static_cast<int8_t>(i);
  return rev;
}
constexpr std::array<int8_t, 128> CHARSET_REV = charset_reverse();

// BIP 173's BCH checksum generator.
uint32_t polymod(const std::vector<uint8_t>& values) {
  constexpr std::array<uint32_t, 5> GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                           0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= GEN[static_cast<size_t>(i)];
  }
  return chk;
}

std::vector<uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

uint32_t encoding_constant(Bech32Encoding encoding) {
  switch (encoding) {
    case Bech32Encoding::Bech32: return BECH32_CONST;
    case Bech32Encoding::Bech32m: return BECH32M_CONST;
  }
  return BECH32_CONST;
}

}  // namespace

std::string bech32_encode(std::string_view hrp, std::span<const uint8_t> data,
                          Bech32Encoding encoding) {
  FULGUR_REQUIRE(!hrp.empty());
  std::vector<uint8_t> values = hrp_expand(hrp);
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), CHECKSUM_LENGTH, 0);
  uint32_t mod = polymod(values) ^ encoding_constant(encoding);
  std::string out(hrp);
  out += '1';
  for (uint8_t v : data) {
    FULGUR_REQUIRE(v < 32);
    out += CHARSET[v];
  }
  for (size_t i = 0; i < CHECKSUM_LENGTH; ++i) out += CHARSET[(mod >> (5 * (5 - i))) & 31];
  return out;
}

Result<Bech32Decoded> bech32_decode(std::string_view text, size_t max_length) {
  if (text.size() > max_length) return fail("bech32 string too long");
  bool lower = false;
  bool upper = false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return fail("bech32 character out of range");
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return fail("bech32 mixed case");
  size_t sep = text.rfind('1');
  if (sep == std::string_view::npos) return fail("bech32 missing separator");
  if (sep == 0) return fail("bech32 empty human-readable part");
  if (text.size() - sep - 1 < CHECKSUM_LENGTH) return fail("bech32 data part too short");
  Bech32Decoded out;
  for (size_t i = 0; i < sep; ++i) {
    char c = text[i];
    out.hrp += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::vector<uint8_t> values = hrp_expand(out.hrp);
  for (size_t i = sep + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    int8_t v = CHARSET_REV[static_cast<uint8_t>(c)];
    if (v < 0) return fail("bech32 invalid character");
    values.push_back(static_cast<uint8_t>(v));
  }
  uint32_t check = polymod(values);
  if (check == BECH32_CONST) {
    out.encoding = Bech32Encoding::Bech32;
  } else if (check == BECH32M_CONST) {
    out.encoding = Bech32Encoding::Bech32m;
  } else {
    return fail("bech32 invalid checksum");
  }
  size_t data_start = out.hrp.size() * 2 + 1;
  out.data.assign(values.begin() + static_cast<std::ptrdiff_t>(data_start),
                  values.end() - static_cast<std::ptrdiff_t>(CHECKSUM_LENGTH));
  return out;
}

std::optional<std::vector<uint8_t>> convert_bits(std::span<const uint8_t> in, int from_bits,
                                                 int to_bits, bool pad) {
  FULGUR_REQUIRE(from_bits > 0 && from_bits <= 8 && to_bits > 0 && to_bits <= 8);
  uint32_t acc = 0;
  int bits = 0;
  const uint32_t max_out = (1u << to_bits) - 1;
  std::vector<uint8_t> out;
  out.reserve(in.size() * static_cast<size_t>(from_bits) / static_cast<size_t>(to_bits) + 1);
  for (uint8_t v : in) {
    if ((v >> from_bits) != 0) return std::nullopt;
    acc = (acc << from_bits) | v;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      out.push_back(static_cast<uint8_t>((acc >> bits) & max_out));
    }
    acc &= (1u << bits) - 1;  // keep only the bits not yet emitted
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<uint8_t>((acc << (to_bits - bits)) & max_out));
  } else if (bits >= from_bits || ((acc << (to_bits - bits)) & max_out) != 0) {
    return std::nullopt;
  }
  return out;
}

const char* to_string(Network network) {
  switch (network) {
    case Network::Main: return "main";
    case Network::Testnet: return "test";
    case Network::Signet: return "signet";
    case Network::Regtest: return "regtest";
  }
  return "unknown";
}

const char* segwit_hrp(Network network) {
  switch (network) {
    case Network::Main: return "bc";
    case Network::Testnet: return "tb";
    case Network::Signet: return "tb";
    case Network::Regtest: return "bcrt";
  }
  return "bc";
}

namespace {
Status check_program(int version, size_t length) {
  if (version < 0 || version > 16) return fail("invalid witness version");
  if (length < 2 || length > 40) return fail("invalid witness program length");
  // BIP 141: version 0 programs are 20 (P2WPKH) or 32 (P2WSH) bytes.
  if (version == 0 && length != 20 && length != 32) {
    return fail("invalid witness program length for version 0");
  }
  return {};
}
}  // namespace

Result<std::string> encode_segwit_address(Network network, int version, ByteSpan program) {
  FULGUR_TRY_STATUS(check_program(version, program.size()));
  std::vector<uint8_t> data{static_cast<uint8_t>(version)};
  auto five = convert_bits(program, 8, 5, true);
  FULGUR_ASSERT(five.has_value());
  data.insert(data.end(), five->begin(), five->end());
  return bech32_encode(segwit_hrp(network), data,
                       version == 0 ? Bech32Encoding::Bech32 : Bech32Encoding::Bech32m);
}

Result<std::string> encode_segwit_address(Network network, const Script& script_pubkey) {
  auto wp = script_pubkey.witness_program();
  if (!wp) return fail("script is not a witness program");
  return encode_segwit_address(network, wp->version, wp->program);
}

Result<SegwitAddress> decode_segwit_address(Network network, std::string_view address) {
  FULGUR_TRY(Bech32Decoded dec, bech32_decode(address));
  if (dec.hrp != segwit_hrp(network)) return fail("wrong network prefix");
  if (dec.data.empty()) return fail("empty segwit data");
  int version = dec.data[0];
  if (version > 16) return fail("invalid witness version");
  // BIP 350: version 0 uses bech32, versions 1 to 16 use bech32m.
  Bech32Encoding want = version == 0 ? Bech32Encoding::Bech32 : Bech32Encoding::Bech32m;
  if (dec.encoding != want) return fail("wrong checksum variant for witness version");
  auto program = convert_bits(std::span<const uint8_t>(dec.data).subspan(1), 5, 8, false);
  if (!program) return fail("invalid padding");
  FULGUR_TRY_STATUS(check_program(version, program->size()));
  return SegwitAddress{version, std::move(*program)};
}

Result<Script> segwit_address_to_script(Network network, std::string_view address) {
  FULGUR_TRY(SegwitAddress addr, decode_segwit_address(network, address));
  return witness_output(addr.version, addr.program);
}

}  // namespace fulgur::bitcoin
