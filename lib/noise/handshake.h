// BOLT 8 Noise_XK_secp256k1_ChaChaPoly_SHA256 handshake, sans-I/O: acts one to three as
// initiator and as responder. The caller moves bytes; this class checks and produces them and
// ends in a Transport. The ephemeral key is a parameter so that tests can fix it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "noise/cipher.h"

namespace fulgur::noise {

constexpr size_t ACT_ONE_SIZE = 50;
constexpr size_t ACT_TWO_SIZE = 50;
constexpr size_t ACT_THREE_SIZE = 66;

// Why a handshake failed, named as the BOLT 8 test vectors name it (ACT2_BAD_VERSION 1).
enum class HandshakeFailure { ReadFailed, BadVersion, BadPubkey, BadCiphertext, BadTag };

struct HandshakeError {
  int act = 0;  // 1, 2 or 3
  HandshakeFailure failure = HandshakeFailure::ReadFailed;
  uint8_t version = 0;  // the version byte received, for BadVersion

  // "ACT<n>_<FAILURE>", the spec vectors' label.
  std::string label() const;
  // The label plus " <version>" for a bad version ("ACT2_BAD_VERSION 1").
  std::string to_string() const;
  // BOLT 8: every handshake failure terminates the connection without further messages.
  Error to_error() const { return Error{PeerAction::Disconnect, "handshake: " + to_string()}; }
  friend bool operator==(const HandshakeError&, const HandshakeError&) = default;
};

template <typename T>
using HandshakeResult = Result<T, HandshakeError>;

enum class Role { Initiator, Responder };

class Handshake {
 public:
  // The initiator knows the responder's static key in advance (the "K" of XK).
  static Handshake initiator(const crypto::SecretKey& local_static,
                             const crypto::PublicKey& remote_static, crypto::SecretKey ephemeral);
  static Handshake responder(const crypto::SecretKey& local_static, crypto::SecretKey ephemeral);

  // Initiator, first step: the 50 bytes of act one to send.
  std::array<uint8_t, ACT_ONE_SIZE> act_one();
  // Responder: checks act one and returns act two to send.
  HandshakeResult<std::array<uint8_t, ACT_TWO_SIZE>> receive_act_one(ByteSpan act);
  // Initiator: checks act two and returns act three to send; the handshake is then complete.
  HandshakeResult<std::array<uint8_t, ACT_THREE_SIZE>> receive_act_two(ByteSpan act);
  // Responder: checks act three; the handshake is then complete and the initiator known.
  HandshakeResult<bool> receive_act_three(ByteSpan act);

  Role role() const { return m_role; }
  // Bytes of the next act this side must read: 50, 66, or 0 when none is expected now.
  size_t next_input_size() const;
  bool complete() const { return m_step == Step::Complete; }
  bool failed() const { return m_step == Step::Failed; }
  // The peer's static key: known from the start to an initiator, after act three to a
  // responder.
  const std::optional<crypto::PublicKey>& remote_static() const { return m_rs; }
  // The session's cipher states; requires complete(). Consumes the handshake.
  Transport into_transport() &&;

 private:
  enum class Step { ActOne, AwaitActOne, AwaitActTwo, AwaitActThree, Complete, Failed };

  Handshake(Role role, const crypto::SecretKey& local_static, crypto::SecretKey ephemeral);
  void mix_hash(ByteSpan data);
  crypto::Secret32 mix_key(const crypto::Secret32& shared_secret);
  std::array<uint8_t, 16> encrypt_empty(const crypto::Secret32& temp_k);
  HandshakeResult<crypto::PublicKey> read_ephemeral(int act, ByteSpan m);
  void split(bool initiator);
  template <typename T>
  HandshakeResult<T> failure(int act, HandshakeFailure f, uint8_t version = 0);

  Role m_role;
  Step m_step;
  crypto::SecretKey m_ls;
  crypto::SecretKey m_e;
  std::optional<crypto::PublicKey> m_rs;
  std::optional<crypto::PublicKey> m_re;
  Hash256 m_h;
  crypto::Secret32 m_ck;
  crypto::Secret32 m_temp_k2;  // kept from act two for act three's encrypted static key
  std::optional<Transport> m_transport;
};

}  // namespace fulgur::noise
