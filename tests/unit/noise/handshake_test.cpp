// BOLT 8 handshake: every initiator and responder vector of 08-transport.md Appendix A
// (successes and each failure with its named error), random-key handshakes, hostile acts.
#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "noise/handshake.h"
#include "noise_test_util.h"

using namespace fulgur;
using namespace fulgur::noise;
using fulgur::test::load_vectors;
using fulgur::test::public_key;
using fulgur::test::secret_key;
using fulgur::test::unhex;

namespace {
// The first 18 bytes a transport sends for a 5-byte message, computed from a raw key.
std::string length_prefix_with(const std::string& key_hex) {
  Bytes key = unhex(key_hex);
  std::array<uint8_t, 2> length{0, 5};
  return to_hex(crypto::aead_encrypt(std::span<const uint8_t, 32>(key.data(), 32),
                                     crypto::bolt8_nonce(0), {}, length));
}

// The spec writes some version failures with the version ("ACT2_BAD_VERSION 1") and some
// without ("ACT1_BAD_VERSION"); compare at the precision the vector gives.
void expect_error(const HandshakeError& error, const std::string& expected) {
  if (expected.find(' ') != std::string::npos) {
    EXPECT_EQ(error.to_string(), expected);
  } else {
    EXPECT_EQ(error.label(), expected);
  }
}

std::string first_frame_prefix(Transport& t) {
  auto frame = t.encrypt_message(as_bytes("hello"));
  EXPECT_TRUE(frame.ok());
  return frame.ok() ? to_hex(ByteSpan(*frame).first(LENGTH_HEADER_SIZE)) : "";
}
}  // namespace

TEST(NoiseHandshake, InitiatorVectors) {
  auto cases = load_vectors("bolt08/transport-test.json")["initiator"];
  ASSERT_EQ(cases.size(), 5u);
  for (const auto& v : cases) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto hs = Handshake::initiator(secret_key(v["ls_priv"]), public_key(v["rs_pub"]),
                                   secret_key(v["e_priv"]));
    EXPECT_EQ(hs.next_input_size(), 0u);
    EXPECT_EQ(to_hex(hs.act_one()), v["act1_output"]);
    EXPECT_EQ(hs.next_input_size(), ACT_TWO_SIZE);
    auto act3 = hs.receive_act_two(unhex(v["act2_input"].get<std::string>()));
    if (v.contains("expected_error")) {
      ASSERT_FALSE(act3.ok());
      expect_error(act3.error(), v["expected_error"]);
      EXPECT_EQ(act3.error().act, v["error_act"]);
      EXPECT_TRUE(hs.failed());
      EXPECT_EQ(act3.error().to_error().action, PeerAction::Disconnect);
      continue;
    }
    ASSERT_TRUE(act3.ok()) << act3.error().to_string();
    EXPECT_EQ(to_hex(*act3), v["act3_output"]);
    ASSERT_TRUE(hs.complete());
    Transport t = std::move(hs).into_transport();
    // sk is the key of the first length prefix we send.
    EXPECT_EQ(first_frame_prefix(t), length_prefix_with(v["expected_sk"]));
    // rk opens a length prefix sealed with it.
    Bytes rk = unhex(v["expected_rk"].get<std::string>());
    std::array<uint8_t, 2> len{0x01, 0x02};
    auto sealed = crypto::aead_encrypt(std::span<const uint8_t, 32>(rk.data(), 32),
                                       crypto::bolt8_nonce(0), {}, len);
    auto opened = t.decrypt_length(sealed);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, 0x0102);
  }
}

TEST(NoiseHandshake, ResponderVectors) {
  auto cases = load_vectors("bolt08/transport-test.json")["responder"];
  ASSERT_EQ(cases.size(), 10u);
  for (const auto& v : cases) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto ls = secret_key(v["ls_priv"]);
    EXPECT_EQ(to_hex(ls.public_key().serialize()), v["ls_pub"]);
    auto hs = Handshake::responder(ls, secret_key(v["e_priv"]));
    EXPECT_EQ(hs.next_input_size(), ACT_ONE_SIZE);
    auto act2 = hs.receive_act_one(unhex(v["act1_input"].get<std::string>()));
    int error_act = v.value("error_act", 0);
    if (error_act == 1) {
      ASSERT_FALSE(act2.ok());
      expect_error(act2.error(), v["expected_error"]);
      EXPECT_EQ(act2.error().act, 1);
      EXPECT_TRUE(hs.failed());
      continue;
    }
    ASSERT_TRUE(act2.ok()) << act2.error().to_string();
    EXPECT_EQ(to_hex(*act2), v["act2_output"]);
    EXPECT_EQ(hs.next_input_size(), ACT_THREE_SIZE);
    EXPECT_FALSE(hs.remote_static().has_value());
    auto done = hs.receive_act_three(unhex(v["act3_input"].get<std::string>()));
    if (error_act == 3) {
      ASSERT_FALSE(done.ok());
      expect_error(done.error(), v["expected_error"]);
      EXPECT_EQ(done.error().act, 3);
      EXPECT_FALSE(hs.complete());
      EXPECT_FALSE(hs.remote_static().has_value());
      continue;
    }
    ASSERT_TRUE(done.ok()) << done.error().to_string();
    ASSERT_TRUE(hs.complete());
    // The initiator of the vectors has ls.priv = 0x11..11.
    ASSERT_TRUE(hs.remote_static().has_value());
    EXPECT_EQ(hs.remote_static()->serialize(),
              secret_key(std::string(64, '1')).public_key().serialize());
    Transport t = std::move(hs).into_transport();
    EXPECT_EQ(first_frame_prefix(t), length_prefix_with(v["expected_sk"]));
    Bytes rk = unhex(v["expected_rk"].get<std::string>());
    std::array<uint8_t, 2> len{0xff, 0xff};
    auto sealed = crypto::aead_encrypt(std::span<const uint8_t, 32>(rk.data(), 32),
                                       crypto::bolt8_nonce(0), {}, len);
    auto opened = t.decrypt_length(sealed);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, 0xffff);
  }
}

TEST(NoiseHandshake, RandomKeysAgreeAndResponderLearnsInitiator) {
  for (int i = 0; i < 8; ++i) {
    auto pair = fulgur::test::random_pair();
    ASSERT_TRUE(pair.learned_by_responder.has_value());
    EXPECT_EQ(*pair.learned_by_responder, pair.initiator_static);
    auto frame = pair.initiator.encrypt_message(as_bytes("ping"));
    ASSERT_TRUE(frame.ok());
    auto len = pair.responder.decrypt_length(ByteSpan(*frame).first(LENGTH_HEADER_SIZE));
    ASSERT_TRUE(len.ok());
    ASSERT_EQ(*len, 4);
    auto body = pair.responder.decrypt_body(ByteSpan(*frame).subspan(LENGTH_HEADER_SIZE));
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(*body, Bytes(as_bytes("ping").begin(), as_bytes("ping").end()));
  }
}

TEST(NoiseHandshake, WrongResponderKeyFailsActOneTag) {
  // An initiator that believes in the wrong static key fails the responder's MAC check.
  auto ls_r = crypto::SecretKey::random();
  auto i = Handshake::initiator(crypto::SecretKey::random(),
                                crypto::SecretKey::random().public_key(),
                                crypto::SecretKey::random());
  auto r = Handshake::responder(ls_r, crypto::SecretKey::random());
  auto act2 = r.receive_act_one(i.act_one());
  ASSERT_FALSE(act2.ok());
  EXPECT_EQ(act2.error().to_string(), "ACT1_BAD_TAG");
}

TEST(NoiseHandshake, HostileActsAreErrors) {
  auto ls_r = crypto::SecretKey::random();
  auto make_act1 = [&] {
    auto i = Handshake::initiator(crypto::SecretKey::random(), ls_r.public_key(),
                                  crypto::SecretKey::random());
    auto a = i.act_one();
    return Bytes(a.begin(), a.end());
  };
  struct Case {
    std::string name;
    Bytes act;
    std::string expected;
  };
  std::vector<Case> cases;
  Bytes good = make_act1();
  cases.push_back({"empty", {}, "ACT1_READ_FAILED"});
  cases.push_back({"one short", Bytes(good.begin(), good.end() - 1), "ACT1_READ_FAILED"});
  Bytes longer = good;
  longer.push_back(0);
  cases.push_back({"one long", longer, "ACT1_READ_FAILED"});
  Bytes version = good;
  version[0] = 0xff;
  cases.push_back({"version 255", version, "ACT1_BAD_VERSION 255"});
  Bytes prefix = good;
  prefix[1] = 0x04;
  cases.push_back({"uncompressed prefix", prefix, "ACT1_BAD_PUBKEY"});
  Bytes garbage(50, 0x47);  // "GGGG…": an HTTP-looking stream before the handshake
  cases.push_back({"garbage", garbage, "ACT1_BAD_VERSION 71"});
  for (size_t byte : {1u, 20u, 34u, 49u}) {
    Bytes flipped = good;
    flipped[byte] ^= 0x01;
    cases.push_back({"flip " + std::to_string(byte), flipped, ""});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Handshake::responder(ls_r, crypto::SecretKey::random());
    auto out = r.receive_act_one(c.act);
    ASSERT_FALSE(out.ok());
    if (!c.expected.empty()) {
      EXPECT_EQ(out.error().to_string(), c.expected);
    }
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.next_input_size(), 0u);
  }
}

TEST(NoiseHandshake, TamperedActThreeIsRejected) {
  auto ls_i = crypto::SecretKey::random();
  auto ls_r = crypto::SecretKey::random();
  for (size_t byte = 1; byte < ACT_THREE_SIZE; byte += 5) {
    auto i = Handshake::initiator(ls_i, ls_r.public_key(), crypto::SecretKey::random());
    auto r = Handshake::responder(ls_r, crypto::SecretKey::random());
    auto act2 = r.receive_act_one(i.act_one());
    ASSERT_TRUE(act2.ok());
    auto act3 = i.receive_act_two(*act2);
    ASSERT_TRUE(act3.ok());
    Bytes bad(act3->begin(), act3->end());
    bad[byte] ^= 0x80;
    auto done = r.receive_act_three(bad);
    ASSERT_FALSE(done.ok()) << "byte " << byte;
    EXPECT_EQ(done.error().to_string(), byte < 50 ? "ACT3_BAD_CIPHERTEXT" : "ACT3_BAD_TAG");
  }
}
