// BIP 173 bech32 and BIP 350 bech32m as a generic codec (human-readable part + 5-bit
// data, any maximum length: BOLT 11 invoices exceed the 90 characters of addresses), the
// 8-to-5 bit regrouping, and segwit addresses for main, test, signet and regtest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitcoin/script.h"
#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::bitcoin {

enum class Bech32Encoding { Bech32, Bech32m };

struct Bech32Decoded {
  Bech32Encoding encoding = Bech32Encoding::Bech32;
  std::string hrp;           // lowercased
  std::vector<uint8_t> data;  // 5-bit values, checksum removed
};

// BIP 173's limit for addresses.
inline constexpr size_t BECH32_ADDRESS_MAX_LENGTH = 90;

// `hrp` must be 1..83 printable ASCII characters without upper case, every `data` value
// below 32 (contract: the caller builds these). Output is lower case.
std::string bech32_encode(std::string_view hrp, std::span<const uint8_t> data,
                          Bech32Encoding encoding);
// Rejects mixed case, characters outside 33..126, a missing or misplaced separator, an
// empty hrp, a data part shorter than the 6-character checksum, characters outside the
// charset, a bad checksum, and strings longer than `max_length`.
Result<Bech32Decoded> bech32_decode(std::string_view text,
                                    size_t max_length = BECH32_ADDRESS_MAX_LENGTH);

// Regroups bits (8->5 to encode, 5->8 to decode). With `pad`, a final partial group is
// zero-padded; without it, leftover bits must be fewer than `from_bits` and zero.
std::optional<std::vector<uint8_t>> convert_bits(std::span<const uint8_t> in, int from_bits,
                                                 int to_bits, bool pad);

enum class Network { Main, Testnet, Signet, Regtest };
const char* to_string(Network network);
// "bc", "tb" (testnet and signet), "bcrt".
const char* segwit_hrp(Network network);

// A segwit address for `version` 0..16 and a 2..40 byte program (0 uses bech32, others
// bech32m). Errors on a version or program length BIP 141 does not allow.
Result<std::string> encode_segwit_address(Network network, int version, ByteSpan program);
Result<std::string> encode_segwit_address(Network network, const Script& script_pubkey);

struct SegwitAddress {
  int version = 0;
  Bytes program;
};
// Checks the hrp against `network`, the checksum variant against the version (BIP 350),
// and the program length (BIP 141).
Result<SegwitAddress> decode_segwit_address(Network network, std::string_view address);
// The scriptPubKey a segwit address pays to.
Result<Script> segwit_address_to_script(Network network, std::string_view address);

}  // namespace fulgur::bitcoin
