// BOLT 8 message encryption: the spec's "transport-message test" outputs at messages 0, 1,
// 500, 501, 1000 and 1001 (two key rotations), from the vector's keys and from a real
// handshake; the receiving side; bad MACs, truncation and the 65535-byte limit.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "noise/cipher.h"
#include "noise_test_util.h"

using namespace fulgur;
using namespace fulgur::noise;
using fulgur::test::load_vectors;
using fulgur::test::public_key;
using fulgur::test::secret_key;
using fulgur::test::unhex;

namespace {
crypto::Secret32 secret(const std::string& hex) {
  Bytes b = unhex(hex);
  EXPECT_EQ(b.size(), 32u);
  b.resize(32);
  return crypto::Secret32(std::span<const uint8_t, 32>(b.data(), 32));
}

// Sends "hello" 1002 times and checks each output the vector lists; returns all frames.
std::vector<Bytes> check_message_vector(Transport& sender) {
  auto v = load_vectors("bolt08/transport-test.json")["message_encryption"];
  std::map<int, std::string> expected;
  for (const auto& o : v["outputs"]) expected[o["index"].get<int>()] = o["ciphertext"];
  EXPECT_EQ(expected.size(), 6u);
  Bytes message = unhex(v["message"].get<std::string>());
  std::vector<Bytes> frames;
  for (int i = 0; i <= 1001; ++i) {
    auto frame = sender.encrypt_message(message);
    EXPECT_TRUE(frame.ok());
    if (!frame.ok()) break;
    if (expected.count(i)) {
      EXPECT_EQ(to_hex(*frame), expected[i]) << "message " << i;
    }
    frames.push_back(*frame);
  }
  return frames;
}

void receive_all(Transport& receiver, const std::vector<Bytes>& frames, ByteSpan message) {
  for (size_t i = 0; i < frames.size(); ++i) {
    ByteSpan f = frames[i];
    auto len = receiver.decrypt_length(f.first(LENGTH_HEADER_SIZE));
    ASSERT_TRUE(len.ok()) << "message " << i;
    ASSERT_EQ(*len, message.size());
    ASSERT_EQ(f.size(), frame_size(*len));
    auto body = receiver.decrypt_body(f.subspan(LENGTH_HEADER_SIZE));
    ASSERT_TRUE(body.ok()) << "message " << i;
    ASSERT_TRUE(std::equal(body->begin(), body->end(), message.begin(), message.end()));
  }
}
}  // namespace

TEST(NoiseCipher, MessageVectorFromVectorKeys) {
  auto v = load_vectors("bolt08/transport-test.json")["message_encryption"];
  Transport sender(CipherState(secret(v["sk"]), secret(v["ck"])),
                   CipherState(secret(v["rk"]), secret(v["ck"])));
  auto frames = check_message_vector(sender);
  ASSERT_EQ(frames.size(), 1002u);
  // 1002 messages = 2004 nonces: rotated at 1000 and 2000, so the nonce is now 4.
  EXPECT_EQ(sender.send_nonce(), 4u);
  EXPECT_EQ(sender.receive_nonce(), 0u);
  // The peer's receiving key is our sending key: it must open every frame.
  Transport receiver(CipherState(secret(v["rk"]), secret(v["ck"])),
                     CipherState(secret(v["sk"]), secret(v["ck"])));
  receive_all(receiver, frames, as_bytes("hello"));
  EXPECT_EQ(receiver.receive_nonce(), 4u);
}

TEST(NoiseCipher, MessageVectorAfterRealHandshake) {
  // The message vector's keys are those of the successful handshake vectors: run both
  // sides of the handshake and check the sender's outputs and the receiver's decryption.
  auto vs = load_vectors("bolt08/transport-test.json");
  const auto& vi = vs["initiator"][0];
  const auto& vr = vs["responder"][0];
  auto i = Handshake::initiator(secret_key(vi["ls_priv"]), public_key(vi["rs_pub"]),
                                secret_key(vi["e_priv"]));
  auto r = Handshake::responder(secret_key(vr["ls_priv"]), secret_key(vr["e_priv"]));
  auto act2 = r.receive_act_one(i.act_one());
  ASSERT_TRUE(act2.ok());
  EXPECT_EQ(to_hex(*act2), vi["act2_input"]);
  auto act3 = i.receive_act_two(*act2);
  ASSERT_TRUE(act3.ok());
  ASSERT_TRUE(r.receive_act_three(*act3).ok());
  Transport ti = std::move(i).into_transport();
  Transport tr = std::move(r).into_transport();
  auto frames = check_message_vector(ti);
  receive_all(tr, frames, as_bytes("hello"));
}

TEST(NoiseCipher, BadMacOnLengthIsAnError) {
  for (size_t byte : {0u, 1u, 2u, 10u, 17u}) {
    auto pair = fulgur::test::random_pair();
    auto frame = pair.initiator.encrypt_message(Bytes(100, 0xab));
    ASSERT_TRUE(frame.ok());
    (*frame)[byte] ^= 0x01;
    auto len = pair.responder.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
    ASSERT_FALSE(len.ok()) << "byte " << byte;
    EXPECT_EQ(len.error().action, PeerAction::Disconnect);
  }
}

TEST(NoiseCipher, BadMacOnBodyIsAnError) {
  for (size_t byte : {18u, 50u, 117u, 133u}) {
    auto pair = fulgur::test::random_pair();
    auto frame = pair.initiator.encrypt_message(Bytes(100, 0xab));
    ASSERT_TRUE(frame.ok());
    (*frame)[byte] ^= 0x40;
    auto len = pair.responder.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
    ASSERT_TRUE(len.ok());
    auto body = pair.responder.decrypt_body(ByteSpan(*frame).subspan(LENGTH_HEADER_SIZE));
    ASSERT_FALSE(body.ok()) << "byte " << byte;
    EXPECT_EQ(body.error().action, PeerAction::Disconnect);
  }
}

TEST(NoiseCipher, TruncatedInputIsAnError) {
  auto pair = fulgur::test::random_pair();
  auto frame = pair.initiator.encrypt_message(Bytes(40, 0x01));
  ASSERT_TRUE(frame.ok());
  EXPECT_FALSE(pair.responder.decrypt_length(ByteSpan(*frame).first(17)).ok());
  EXPECT_FALSE(pair.responder.decrypt_length({}).ok());
  // A body shorter than its tag, and one cut short, both fail.
  EXPECT_FALSE(pair.responder.decrypt_body(ByteSpan(*frame).subspan(18, 15)).ok());
  auto len = pair.responder.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
  ASSERT_TRUE(len.ok());
  EXPECT_FALSE(pair.responder.decrypt_body(ByteSpan(*frame).subspan(18, 40)).ok());
}

TEST(NoiseCipher, MaximumMessageSize) {
  auto pair = fulgur::test::random_pair();
  Bytes biggest(MAX_MESSAGE_SIZE, 0x5a);
  auto frame = pair.initiator.encrypt_message(biggest);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->size(), 65569u);  // BOLT 8: "2 + 16 + 65535 + 16 = 65569 bytes"
  auto len = pair.responder.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, 65535);
  auto body = pair.responder.decrypt_body(ByteSpan(*frame).subspan(LENGTH_HEADER_SIZE));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, biggest);

  uint64_t nonce = pair.initiator.send_nonce();
  auto too_big = pair.initiator.encrypt_message(Bytes(MAX_MESSAGE_SIZE + 1, 0));
  EXPECT_FALSE(too_big.ok());
  EXPECT_EQ(pair.initiator.send_nonce(), nonce);  // nothing consumed
  EXPECT_FALSE(pair.responder.decrypt_body(Bytes(MAX_MESSAGE_SIZE + 17, 0)).ok());
}

TEST(NoiseCipher, EmptyMessageRoundTrips) {
  auto pair = fulgur::test::random_pair();
  auto frame = pair.responder.encrypt_message({});
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->size(), 34u);
  auto len = pair.initiator.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, 0);
  auto body = pair.initiator.decrypt_body(ByteSpan(*frame).subspan(LENGTH_HEADER_SIZE));
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(body->empty());
}

RC_GTEST_PROP(NoiseCipherProperty, ManyMessagesBothWaysRoundTrip,
              (const std::vector<std::vector<uint8_t>>& messages)) {
  auto pair = fulgur::test::random_pair();
  // Start 10 nonces short of a key rotation in both directions so that the generated
  // messages cross it.
  for (int i = 0; i < 495; ++i) {
    auto a = pair.initiator.encrypt_message({});
    auto b = pair.responder.encrypt_message({});
    RC_ASSERT(a.ok() && b.ok());
    RC_ASSERT(pair.responder.decrypt_length(ByteSpan(*a).first(LENGTH_HEADER_SIZE)).ok());
    RC_ASSERT(pair.responder.decrypt_body(ByteSpan(*a).subspan(LENGTH_HEADER_SIZE)).ok());
    RC_ASSERT(pair.initiator.decrypt_length(ByteSpan(*b).first(LENGTH_HEADER_SIZE)).ok());
    RC_ASSERT(pair.initiator.decrypt_body(ByteSpan(*b).subspan(LENGTH_HEADER_SIZE)).ok());
  }
  for (int round = 0; round < 3; ++round) {
    for (const auto& m : messages) {
      for (int dir = 0; dir < 2; ++dir) {
        Transport& from = dir == 0 ? pair.initiator : pair.responder;
        Transport& to = dir == 0 ? pair.responder : pair.initiator;
        auto frame = from.encrypt_message(m);
        RC_ASSERT(frame.ok());
        auto len = to.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
        RC_ASSERT(len.ok());
        RC_ASSERT(*len == m.size());
        auto body = to.decrypt_body(ByteSpan(*frame).subspan(LENGTH_HEADER_SIZE));
        RC_ASSERT(body.ok());
        RC_ASSERT(*body == m);
      }
    }
  }
  RC_ASSERT(pair.initiator.send_nonce() == pair.responder.receive_nonce());
  RC_ASSERT(pair.responder.send_nonce() == pair.initiator.receive_nonce());
}
