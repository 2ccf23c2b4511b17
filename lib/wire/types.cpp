// Validation and conversions of wire points and signatures; the well-known chain hashes.
#include "wire/types.h"

#include "crypto/keys.h"

namespace fulgur::wire {

namespace {
ChainHash chain_from_display_hex(const char* hex) {
  auto hash = ChainHash::from_hex(hex);
  FULGUR_ASSERT(hash.ok());
  return *hash;
}
}  // namespace

ChainHash mainnet_chain_hash() {
  return chain_from_display_hex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
}
ChainHash testnet_chain_hash() {
  return chain_from_display_hex("000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943");
}
ChainHash signet_chain_hash() {
  return chain_from_display_hex("00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6");
}
ChainHash regtest_chain_hash() {
  return chain_from_display_hex("06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f");
}

Result<crypto::PublicKey> to_public_key(const Point& point) {
  // BOLT #1: `point` is the 33-byte compressed encoding; the 65-byte form is not allowed.
  if (point.data()[0] != 0x02 && point.data()[0] != 0x03) {
    return fail("point is not a compressed secp256k1 point", PeerAction::Disconnect);
  }
  auto key = crypto::PublicKey::parse(point.span());
  if (!key) return fail("point is not on the curve", PeerAction::Disconnect);
  return std::move(key).value();
}

Point to_point(const crypto::PublicKey& key) { return Point(key.serialize()); }

Result<crypto::Signature> to_crypto_signature(const Signature& sig) {
  auto out = crypto::Signature::from_compact(sig.span());
  if (!out) return fail("signature r or s overflows the group order", PeerAction::Disconnect);
  return std::move(out).value();
}

Signature to_wire_signature(const crypto::Signature& sig) { return Signature(sig.to_compact()); }

bool is_valid_point(const Point& point) { return to_public_key(point).ok(); }
bool is_valid_signature(const Signature& sig) { return to_crypto_signature(sig).ok(); }

}  // namespace fulgur::wire
