// BOLT 8 handshake acts; see handshake.h. Each step follows the numbered sender and receiver
// actions of 08-transport.md "Handshake Exchange".
#include "noise/handshake.h"

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "noise/hkdf2.h"

namespace fulgur::noise {

namespace {
// BOLT 8: protocolName = "Noise_XK_secp256k1_ChaChaPoly_SHA256", prologue = "lightning".
constexpr std::string_view PROTOCOL_NAME = "Noise_XK_secp256k1_ChaChaPoly_SHA256";
constexpr std::string_view PROLOGUE = "lightning";
constexpr uint8_t HANDSHAKE_VERSION = 0;

const char* failure_name(HandshakeFailure f) {
  switch (f) {
    case HandshakeFailure::ReadFailed: return "READ_FAILED";
    case HandshakeFailure::BadVersion: return "BAD_VERSION";
    case HandshakeFailure::BadPubkey: return "BAD_PUBKEY";
    case HandshakeFailure::BadCiphertext: return "BAD_CIPHERTEXT";
    case HandshakeFailure::BadTag: return "BAD_TAG";
  }
  return "?";
}
}  // namespace

std::string HandshakeError::label() const {
  return "ACT" + std::to_string(act) + "_" + failure_name(failure);
}

std::string HandshakeError::to_string() const {
  std::string out = label();
  if (failure == HandshakeFailure::BadVersion) out += " " + std::to_string(version);
  return out;
}

Handshake::Handshake(Role role, const crypto::SecretKey& local_static, crypto::SecretKey ephemeral)
    : m_role(role),
      m_step(role == Role::Initiator ? Step::ActOne : Step::AwaitActOne),
      m_ls(local_static.clone()),
      m_e(std::move(ephemeral)) {
  // BOLT 8: "h = SHA-256(protocolName)", "ck = h", "h = SHA-256(h || prologue)".
  m_h = crypto::sha256(as_bytes(PROTOCOL_NAME));
  m_ck = crypto::Secret32(m_h.span());
  mix_hash(as_bytes(PROLOGUE));
}

Handshake Handshake::initiator(const crypto::SecretKey& local_static,
                               const crypto::PublicKey& remote_static,
                               crypto::SecretKey ephemeral) {
  Handshake hs(Role::Initiator, local_static, std::move(ephemeral));
  // BOLT 8: "The initiating node mixes in the responding node's static public key".
  hs.m_rs = remote_static;
  hs.mix_hash(remote_static.serialize());
  return hs;
}

Handshake Handshake::responder(const crypto::SecretKey& local_static,
                               crypto::SecretKey ephemeral) {
  Handshake hs(Role::Responder, local_static, std::move(ephemeral));
  // BOLT 8: "The responding node mixes in their local static public key".
  hs.mix_hash(local_static.public_key().serialize());
  return hs;
}

size_t Handshake::next_input_size() const {
  switch (m_step) {
    case Step::AwaitActOne: return ACT_ONE_SIZE;
    case Step::AwaitActTwo: return ACT_TWO_SIZE;
    case Step::AwaitActThree: return ACT_THREE_SIZE;
    case Step::ActOne:
    case Step::Complete:
    case Step::Failed: return 0;
  }
  return 0;
}

void Handshake::mix_hash(ByteSpan data) {
  m_h = crypto::Sha256().update(m_h.span()).update(data).finalize();
}

crypto::Secret32 Handshake::mix_key(const crypto::Secret32& shared_secret) {
  // "ck, temp_k = HKDF(ck, ss)"
  auto [ck, temp_k] = hkdf2(m_ck.expose(), shared_secret.expose());
  m_ck = std::move(ck);
  return std::move(temp_k);
}

std::array<uint8_t, 16> Handshake::encrypt_empty(const crypto::Secret32& temp_k) {
  // "c = encryptWithAD(temp_k, 0, h, zero)" where zero is a zero-length plaintext.
  std::array<uint8_t, 16> c{};
  crypto::aead_encrypt(temp_k.expose(), crypto::bolt8_nonce(0), m_h.span(), {}, c);
  return c;
}

template <typename T>
HandshakeResult<T> Handshake::failure(int act, HandshakeFailure f, uint8_t version) {
  m_step = Step::Failed;
  return Unexpected<HandshakeError>{HandshakeError{act, f, version}};
}

std::array<uint8_t, ACT_ONE_SIZE> Handshake::act_one() {
  FULGUR_REQUIRE(m_role == Role::Initiator && m_step == Step::ActOne);
  // 1-2. e = generateKey() (given), h = SHA-256(h || e.pub.serializeCompressed())
  auto e_pub = m_e.public_key().serialize();
  mix_hash(e_pub);
  // 3-4. ss = ECDH(rs, e.priv); ck, temp_k1 = HKDF(ck, ss)
  crypto::Secret32 temp_k1 = mix_key(crypto::ecdh(m_e, *m_rs));
  // 5-6. c = encryptWithAD(temp_k1, 0, h, zero); h = SHA-256(h || c)
  auto c = encrypt_empty(temp_k1);
  mix_hash(c);
  // 7. m = 0 || e.pub.serializeCompressed() || c
  std::array<uint8_t, ACT_ONE_SIZE> m{};
  m[0] = HANDSHAKE_VERSION;
  std::copy(e_pub.begin(), e_pub.end(), m.begin() + 1);
  std::copy(c.begin(), c.end(), m.begin() + 34);
  m_step = Step::AwaitActTwo;
  return m;
}

HandshakeResult<crypto::PublicKey> Handshake::read_ephemeral(int act, ByteSpan m) {
  // "Read _exactly_ 50 bytes from the network buffer."
  if (m.size() != ACT_ONE_SIZE) return failure<crypto::PublicKey>(act, HandshakeFailure::ReadFailed);
  // "If `v` is an unrecognized handshake version, then the responder MUST abort the
  // connection attempt."
  if (m[0] != HANDSHAKE_VERSION) {
    return failure<crypto::PublicKey>(act, HandshakeFailure::BadVersion, m[0]);
  }
  // "The raw bytes of the remote party's ephemeral public key (`re`) are to be deserialized
  // into a point on the curve"
  auto re = crypto::PublicKey::parse(m.subspan(1, 33));
  if (!re) return failure<crypto::PublicKey>(act, HandshakeFailure::BadPubkey);
  // "h = SHA-256(h || re.serializeCompressed())"
  mix_hash(m.subspan(1, 33));
  return *re;
}

HandshakeResult<std::array<uint8_t, ACT_TWO_SIZE>> Handshake::receive_act_one(ByteSpan m) {
  using Out = std::array<uint8_t, ACT_TWO_SIZE>;
  FULGUR_REQUIRE(m_role == Role::Responder && m_step == Step::AwaitActOne);
  auto re = read_ephemeral(1, m);
  if (!re) return Unexpected<HandshakeError>{re.error()};
  m_re = *re;
  // 5-6. ss = ECDH(re, s.priv); ck, temp_k1 = HKDF(ck, ss)
  crypto::Secret32 temp_k1 = mix_key(crypto::ecdh(m_ls, *m_re));
  // 7. p = decryptWithAD(temp_k1, 0, h, c): "If the MAC check in this operation fails ...
  // the responder MUST terminate the connection without any further messages."
  ByteSpan c = m.subspan(34, 16);
  std::array<uint8_t, 0> p{};
  if (!crypto::aead_decrypt(temp_k1.expose(), crypto::bolt8_nonce(0), m_h.span(), c, p)) {
    return failure<Out>(1, HandshakeFailure::BadTag);
  }
  // 8. h = SHA-256(h || c)
  mix_hash(c);

  // Act two, sender: e is given; h = SHA-256(h || e.pub); ss = ECDH(re, e.priv);
  // ck, temp_k2 = HKDF(ck, ss); c = encryptWithAD(temp_k2, 0, h, zero); h = SHA-256(h || c)
  auto e_pub = m_e.public_key().serialize();
  mix_hash(e_pub);
  m_temp_k2 = mix_key(crypto::ecdh(m_e, *m_re));
  auto c2 = encrypt_empty(m_temp_k2);
  mix_hash(c2);
  Out out{};
  out[0] = HANDSHAKE_VERSION;
  std::copy(e_pub.begin(), e_pub.end(), out.begin() + 1);
  std::copy(c2.begin(), c2.end(), out.begin() + 34);
  m_step = Step::AwaitActThree;
  return out;
}

HandshakeResult<std::array<uint8_t, ACT_THREE_SIZE>> Handshake::receive_act_two(ByteSpan m) {
  using Out = std::array<uint8_t, ACT_THREE_SIZE>;
  FULGUR_REQUIRE(m_role == Role::Initiator && m_step == Step::AwaitActTwo);
  auto re = read_ephemeral(2, m);
  if (!re) return Unexpected<HandshakeError>{re.error()};
  m_re = *re;
  // 5-6. ss = ECDH(re, e.priv); ck, temp_k2 = HKDF(ck, ss)
  m_temp_k2 = mix_key(crypto::ecdh(m_e, *m_re));
  // 7. "If the MAC check in this operation fails, then the initiator MUST terminate the
  // connection without any further messages."
  ByteSpan c = m.subspan(34, 16);
  std::array<uint8_t, 0> p{};
  if (!crypto::aead_decrypt(m_temp_k2.expose(), crypto::bolt8_nonce(0), m_h.span(), c, p)) {
    return failure<Out>(2, HandshakeFailure::BadTag);
  }
  mix_hash(c);

  // Act three, sender: c = encryptWithAD(temp_k2, 1, h, s.pub); h = SHA-256(h || c)
  Out out{};
  out[0] = HANDSHAKE_VERSION;
  auto s_pub = m_ls.public_key().serialize();
  MutableByteSpan c3(out.data() + 1, 33 + 16);
  crypto::aead_encrypt(m_temp_k2.expose(), crypto::bolt8_nonce(1), m_h.span(), s_pub, c3);
  mix_hash(c3);
  // ss = ECDH(re, s.priv); ck, temp_k3 = HKDF(ck, ss); t = encryptWithAD(temp_k3, 0, h, zero)
  crypto::Secret32 temp_k3 = mix_key(crypto::ecdh(m_ls, *m_re));
  auto t = encrypt_empty(temp_k3);
  std::copy(t.begin(), t.end(), out.begin() + 50);
  split(true);
  return out;
}

HandshakeResult<bool> Handshake::receive_act_three(ByteSpan m) {
  FULGUR_REQUIRE(m_role == Role::Responder && m_step == Step::AwaitActThree);
  // 1. "Read _exactly_ 66 bytes from the network buffer."
  if (m.size() != ACT_THREE_SIZE) return failure<bool>(3, HandshakeFailure::ReadFailed);
  // 3. "If `v` is an unrecognized handshake version, then the responder MUST abort"
  if (m[0] != HANDSHAKE_VERSION) return failure<bool>(3, HandshakeFailure::BadVersion, m[0]);
  // 4. rs = decryptWithAD(temp_k2, 1, h, c)
  ByteSpan c = m.subspan(1, 49);
  std::array<uint8_t, 33> rs_bytes{};
  if (!crypto::aead_decrypt(m_temp_k2.expose(), crypto::bolt8_nonce(1), m_h.span(), c, rs_bytes)) {
    return failure<bool>(3, HandshakeFailure::BadCiphertext);
  }
  auto rs = crypto::PublicKey::parse(rs_bytes);
  if (!rs) return failure<bool>(3, HandshakeFailure::BadPubkey);
  // 5. h = SHA-256(h || c)
  mix_hash(c);
  // 6-7. ss = ECDH(rs, e.priv); ck, temp_k3 = HKDF(ck, ss)
  crypto::Secret32 temp_k3 = mix_key(crypto::ecdh(m_e, *rs));
  // 8. p = decryptWithAD(temp_k3, 0, h, t): "If the MAC check in this operation fails, then
  // the responder MUST terminate the connection without any further messages."
  std::array<uint8_t, 0> p{};
  if (!crypto::aead_decrypt(temp_k3.expose(), crypto::bolt8_nonce(0), m_h.span(),
                            m.subspan(50, 16), p)) {
    return failure<bool>(3, HandshakeFailure::BadTag);
  }
  m_rs = *rs;
  split(false);
  return true;
}

void Handshake::split(bool initiator) {
  // Initiator: "sk, rk = HKDF(ck, zero)"; responder: "rk, sk = HKDF(ck, zero)".
  // "rn = 0, sn = 0". Each direction keeps its own copy of ck for key rotation.
  auto [first, second] = hkdf2(m_ck.expose(), {});
  crypto::Secret32& sk = initiator ? first : second;
  crypto::Secret32& rk = initiator ? second : first;
  m_transport.emplace(CipherState(std::move(sk), m_ck.clone()),
                      CipherState(std::move(rk), m_ck.clone()));
  m_step = Step::Complete;
}

Transport Handshake::into_transport() && {
  FULGUR_REQUIRE(complete() && m_transport.has_value());
  Transport out = std::move(*m_transport);
  m_transport.reset();
  return out;
}

}  // namespace fulgur::noise
