// Helpers shared by the noise tests: keys and handshakes from the BOLT 8 vector file.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "crypto/keys.h"
#include "noise/handshake.h"
#include "support/vectors.h"

namespace fulgur::test {

inline crypto::SecretKey secret_key(const std::string& hex) {
  auto key = crypto::SecretKey::from_bytes(unhex(hex));
  EXPECT_TRUE(key.ok()) << "bad secret key in test data: " << hex;
  return key.ok() ? std::move(key).value() : crypto::SecretKey::random();
}

inline crypto::PublicKey public_key(const std::string& hex) {
  auto key = crypto::PublicKey::parse(unhex(hex));
  EXPECT_TRUE(key.ok()) << "bad public key in test data: " << hex;
  return key.ok() ? *key : crypto::SecretKey::random().public_key();
}

// Both sides of a complete handshake between fresh random keys.
struct TransportPair {
  noise::Transport initiator;
  noise::Transport responder;
  crypto::PublicKey initiator_static;
  std::optional<crypto::PublicKey> learned_by_responder;
};

inline TransportPair random_pair() {
  auto ls_i = crypto::SecretKey::random();
  auto ls_r = crypto::SecretKey::random();
  auto i = noise::Handshake::initiator(ls_i, ls_r.public_key(), crypto::SecretKey::random());
  auto r = noise::Handshake::responder(ls_r, crypto::SecretKey::random());
  auto act2 = r.receive_act_one(i.act_one());
  EXPECT_TRUE(act2.ok());
  auto act3 = i.receive_act_two(*act2);
  EXPECT_TRUE(act3.ok());
  EXPECT_TRUE(r.receive_act_three(*act3).ok());
  auto learned = r.remote_static();
  return TransportPair{std::move(i).into_transport(), std::move(r).into_transport(),
                       ls_i.public_key(), learned};
}

}  // namespace fulgur::test
