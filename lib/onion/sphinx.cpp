// BOLT 4 Sphinx packet construction and per-hop processing.
#include "onion/sphinx.h"

#include <sodium/utils.h>

#include <algorithm>
#include <cstring>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "wire/codec.h"

namespace fulgur::onion {
namespace {

using crypto::Secret32;

constexpr crypto::Nonce12 ZERO_NONCE{};

const char* key_type_name(KeyType type) {
  switch (type) {
    case KeyType::Rho: return "rho";
    case KeyType::Mu: return "mu";
    case KeyType::Um: return "um";
    case KeyType::Pad: return "pad";
    case KeyType::Ammag: return "ammag";
  }
  return "";
}

// The ChaCha20 stream of BOLT 4 "Pseudo Random Byte Stream", XORed into `data`.
void xor_stream(const Secret32& key, MutableByteSpan data) {
  crypto::chacha20_xor(key.expose(), ZERO_NONCE, 0, data, data);
}

Hash256 packet_hmac(const Secret32& mu, ByteSpan hop_payloads, ByteSpan associated_data) {
  Bytes message(hop_payloads.begin(), hop_payloads.end());
  append(message, associated_data);
  return crypto::hmac_sha256(mu.expose(), message);
}

// BOLT 4: the blinding factor is SHA256(ephemeral public key || shared secret).
Hash256 blinding_factor(const std::array<uint8_t, 33>& ephemeral, const Secret32& secret) {
  Bytes data(ephemeral.begin(), ephemeral.end());
  append(data, secret.expose());
  return crypto::sha256(data);
}

// The filler: the bytes that hops 0..n-2 shift into the end of hop_payloads, as the
// origin must predict them to compute the HMACs. At hop i, the bytes appended so far
// (S_i of them) plus this hop's shift meet the rho stream at offset 1300 - S_i.
Bytes generate_filler(std::span<const Secret32> secrets, std::span<const size_t> hop_sizes) {
  size_t filler_size = 0;
  for (size_t i = 0; i + 1 < hop_sizes.size(); ++i) filler_size += hop_sizes[i];
  Bytes filler(filler_size, 0);
  Bytes stream;
  size_t used = 0;
  for (size_t i = 0; i + 1 < hop_sizes.size(); ++i) {
    Secret32 rho = generate_key(KeyType::Rho, secrets[i].expose());
    stream.assign(HOP_PAYLOADS_SIZE + hop_sizes[i], 0);
    xor_stream(rho, stream);
    size_t start = HOP_PAYLOADS_SIZE - used;
    for (size_t k = 0; k < used + hop_sizes[i]; ++k) filler[k] ^= stream[start + k];
    used += hop_sizes[i];
  }
  return filler;
}

// Shared secrets for every hop, blinding the ephemeral key along the way.
Result<std::vector<Secret32>> shared_secrets_for(const crypto::SecretKey& session_key,
                                                 std::span<const OnionHop> hops) {
  std::vector<Secret32> secrets;
  secrets.reserve(hops.size());
  crypto::SecretKey ephemeral = session_key.clone();
  for (size_t i = 0; i < hops.size(); ++i) {
    secrets.push_back(crypto::ecdh(ephemeral, hops[i].node_id));
    if (i + 1 == hops.size()) break;
    Hash256 factor = blinding_factor(ephemeral.public_key().serialize(), secrets.back());
    FULGUR_TRY(ephemeral, ephemeral.tweak_mul(factor.span()));
  }
  return secrets;
}

Status check_route(std::span<const OnionHop> hops) {
  if (hops.empty()) return fail("onion route has no hops");
  if (hops.size() > MAX_HOPS) {
    return fail("onion route has " + std::to_string(hops.size()) + " hops, at most " +
                std::to_string(MAX_HOPS));
  }
  size_t total = 0;
  for (const auto& hop : hops) {
    // BOLT 4: "length values of 0 and 1 are reserved".
    if (hop.payload.size() < 2) return fail("hop payload shorter than 2 bytes");
    if (hop.payload.size() > HOP_PAYLOADS_SIZE) return fail("hop payload larger than 1300 bytes");
    total += hop_size(hop.payload.size());
  }
  if (total > HOP_PAYLOADS_SIZE) {
    return fail("hop payloads take " + std::to_string(total) + " bytes, more than 1300");
  }
  return {};
}

PeelError peel_error(FailureCode code, const OnionPacket& packet, std::string message) {
  return PeelError{code, packet.sha256(), std::move(message)};
}

}  // namespace

crypto::Secret32 generate_key(KeyType type, std::span<const uint8_t, 32> secret) {
  Hash256 key = crypto::hmac_sha256(as_bytes(key_type_name(type)), secret);
  return crypto::Secret32(key.span());
}

std::array<uint8_t, ONION_PACKET_SIZE> OnionPacket::serialize() const {
  std::array<uint8_t, ONION_PACKET_SIZE> out{};
  out[0] = version;
  std::copy(public_key.begin(), public_key.end(), out.begin() + 1);
  std::copy(hop_payloads.begin(), hop_payloads.end(), out.begin() + 34);
  std::copy(hmac.begin(), hmac.end(), out.begin() + 34 + HOP_PAYLOADS_SIZE);
  return out;
}

Result<OnionPacket> OnionPacket::parse(ByteSpan bytes) {
  if (bytes.size() != ONION_PACKET_SIZE) {
    return fail("onion_packet must be 1366 bytes, got " + std::to_string(bytes.size()),
                PeerAction::FailChannel);
  }
  OnionPacket packet;
  packet.version = bytes[0];
  std::copy_n(bytes.begin() + 1, 33, packet.public_key.begin());
  std::copy_n(bytes.begin() + 34, HOP_PAYLOADS_SIZE, packet.hop_payloads.begin());
  std::copy_n(bytes.begin() + 34 + HOP_PAYLOADS_SIZE, HMAC_SIZE, packet.hmac.begin());
  return packet;
}

Hash256 OnionPacket::sha256() const { return crypto::sha256(serialize()); }

size_t hop_size(size_t payload_length) {
  return wire::bigsize_length(payload_length) + payload_length + HMAC_SIZE;
}

Result<CreatedOnion> create_onion(const crypto::SecretKey& session_key,
                                  std::span<const OnionHop> hops, ByteSpan associated_data) {
  FULGUR_TRY_STATUS(check_route(hops));
  FULGUR_TRY(std::vector<Secret32> secrets, shared_secrets_for(session_key, hops));
  std::vector<size_t> sizes;
  for (const auto& hop : hops) sizes.push_back(hop_size(hop.payload.size()));
  Bytes filler = generate_filler(secrets, sizes);

  // BOLT 4: "The packet is initialized with 1300 random bytes" from the pad key's stream.
  OnionPacket packet;
  auto& mix = packet.hop_payloads;
  xor_stream(generate_key(KeyType::Pad, session_key.expose()), mix);
  std::array<uint8_t, HMAC_SIZE> next_hmac{};
  for (size_t i = hops.size(); i-- > 0;) {
    const Bytes& payload = hops[i].payload;
    size_t shift = sizes[i];
    std::memmove(mix.data() + shift, mix.data(), HOP_PAYLOADS_SIZE - shift);
    wire::Writer framed(shift);
    framed.bigsize(payload.size());
    framed.bytes(payload);
    framed.bytes(next_hmac);
    std::copy(framed.data().begin(), framed.data().end(), mix.begin());
    xor_stream(generate_key(KeyType::Rho, secrets[i].expose()), mix);
    if (i + 1 == hops.size()) {
      std::copy(filler.begin(), filler.end(), mix.end() - static_cast<long>(filler.size()));
    }
    next_hmac = packet_hmac(generate_key(KeyType::Mu, secrets[i].expose()), mix,
                            associated_data).array();
  }
  packet.public_key = session_key.public_key().serialize();
  packet.hmac = next_hmac;
  return CreatedOnion{packet, std::move(secrets)};
}

Result<PeeledOnion, PeelError> peel_onion(const crypto::SecretKey& node_key,
                                          const OnionPacket& packet, ByteSpan associated_data) {
  // BOLT 4: "upon receiving a higher version packet than it implements: MUST report a route
  // failure to the origin node. MUST discard the packet."
  if (packet.version != ONION_VERSION) {
    return Unexpected{peel_error(FailureCode::invalid_onion_version, packet,
                                 "unknown onion version " + std::to_string(packet.version))};
  }
  // BOLT 4: "if the ephemeral public key is NOT on the secp256k1 curve: MUST abort processing
  // the packet. MUST report a route failure to the origin node."
  auto ephemeral = crypto::PublicKey::parse(packet.public_key);
  if (!ephemeral.ok() || packet.public_key[0] == 0x04) {
    return Unexpected{peel_error(FailureCode::invalid_onion_key, packet,
                                 "onion ephemeral key is not a valid compressed point")};
  }
  Secret32 secret = crypto::ecdh(node_key, *ephemeral);
  // BOLT 4: "if the computed HMAC and the packet's HMAC differ: MUST abort processing. MUST
  // report a route failure." The comparison "MUST be time-constant".
  Hash256 expected = packet_hmac(generate_key(KeyType::Mu, secret.expose()), packet.hop_payloads,
                                 associated_data);
  if (sodium_memcmp(expected.data(), packet.hmac.data(), HMAC_SIZE) != 0) {
    return Unexpected{peel_error(FailureCode::invalid_onion_hmac, packet, "onion HMAC mismatch")};
  }

  std::array<uint8_t, 2 * HOP_PAYLOADS_SIZE> clear{};
  std::copy(packet.hop_payloads.begin(), packet.hop_payloads.end(), clear.begin());
  xor_stream(generate_key(KeyType::Rho, secret.expose()), clear);

  wire::Reader prefix(ByteSpan(clear.data(), HOP_PAYLOADS_SIZE));
  auto length = prefix.bigsize();
  // BOLT 4: "length values of 0 and 1 are reserved"; the payload and its HMAC must fit.
  if (!length.ok() || *length < 2 || *length > HOP_PAYLOADS_SIZE - HMAC_SIZE - prefix.position()) {
    return Unexpected{peel_error(FailureCode::invalid_onion_payload, packet,
                                 "hop payload length is invalid")};
  }
  size_t start = prefix.position();
  size_t end = start + static_cast<size_t>(*length);
  PeeledOnion peeled{Bytes(clear.begin() + static_cast<long>(start),
                           clear.begin() + static_cast<long>(end)),
                     secret.clone(), std::nullopt};
  std::array<uint8_t, HMAC_SIZE> next_hmac{};
  std::copy_n(clear.begin() + static_cast<long>(end), HMAC_SIZE, next_hmac.begin());
  // BOLT 4: "A special hmac value of 32 0x00-bytes indicates that the currently processing
  // hop is the intended recipient and that the packet should not be forwarded."
  bool final_hop = std::all_of(next_hmac.begin(), next_hmac.end(), [](uint8_t b) { return b == 0; });
  if (final_hop) return peeled;

  Hash256 factor = blinding_factor(packet.public_key, secret);
  auto next_key = ephemeral->tweak_mul(factor.span());
  if (!next_key.ok()) {
    return Unexpected{peel_error(FailureCode::invalid_onion_key, packet, "cannot blind key")};
  }
  OnionPacket next;
  next.public_key = next_key->serialize();
  std::copy_n(clear.begin() + static_cast<long>(end + HMAC_SIZE), HOP_PAYLOADS_SIZE,
              next.hop_payloads.begin());
  next.hmac = next_hmac;
  peeled.next = next;
  return peeled;
}

}  // namespace fulgur::onion
