// Test support: load a test-vector file from tests/vectors and decode hex that the test
// itself trusts (a malformed vector fails the test, it does not crash it).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/hex.h"

namespace fulgur::test {

inline nlohmann::json load_vectors(const std::string& relative_path) {
  std::ifstream in(std::string(FULGUR_VECTORS_DIR) + "/" + relative_path);
  EXPECT_TRUE(in.good()) << "cannot open test vectors " << relative_path;
  if (!in.good()) return nlohmann::json::object();
  return nlohmann::json::parse(in);
}

inline Bytes unhex(std::string_view hex) {
  auto bytes = from_hex(hex);
  EXPECT_TRUE(bytes.ok()) << "bad hex in test data: " << hex;
  return bytes.ok() ? *bytes : Bytes{};
}

template <typename Fixed>
Fixed unhex_fixed(std::string_view hex) {
  auto value = Fixed::from_hex(hex);
  EXPECT_TRUE(value.ok()) << "bad fixed-size hex in test data: " << hex;
  return value.ok() ? *value : Fixed{};
}

}  // namespace fulgur::test
