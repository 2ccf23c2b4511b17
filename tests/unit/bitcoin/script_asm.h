// Test helper: Bitcoin Core's short script notation used by its script tests
// ("0x47 0x3044... 1 DUP HASH160 'text' EQUAL"): decimal numbers are pushed as script
// numbers, 0x.. is inserted raw, 'text' is pushed, and opcodes are named with or without
// OP_. Returns nothing on an unknown token.
#pragma once

#include <cctype>
#include <optional>
#include <sstream>
#include <string>

#include "bitcoin/script.h"
#include "common/hex.h"

namespace fulgur::bitcoin::test {

inline std::optional<uint8_t> opcode_by_name(const std::string& token) {
  for (int op = OP_NOP; op <= 0xff; ++op) {
    std::string name = opcode_name(static_cast<uint8_t>(op));
    if (name == "OP_UNKNOWN") continue;
    if (token == name || "OP_" + token == name) return static_cast<uint8_t>(op);
  }
  if (token == "RESERVED" || token == "OP_RESERVED") return OP_RESERVED;
  return std::nullopt;
}

inline bool is_number(const std::string& t) {
  size_t start = (t.size() >= 2 && t[0] == '-') ? 1 : 0;
  if (t.empty() || start == t.size()) return false;
  for (size_t i = start; i < t.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
  return true;
}

inline std::optional<Script> parse_asm(const std::string& text) {
  Bytes out;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    if (is_number(token)) {
      Script s;
      s.push_int(std::stoll(token));
      append(out, s.span());
    } else if (token.size() > 2 && token.rfind("0x", 0) == 0) {
      auto raw = from_hex(token.substr(2));
      if (!raw.ok()) return std::nullopt;
      append(out, *raw);
    } else if (token.size() >= 2 && token.front() == '\'' && token.back() == '\'') {
      std::string value = token.substr(1, token.size() - 2);
      Script s;
      if (value.size() == 1) {  // a plain push, never OP_N
        out.push_back(1);
        out.push_back(static_cast<uint8_t>(value[0]));
      } else {
        s.push_data(as_bytes(value));
        append(out, s.span());
      }
    } else if (auto op = opcode_by_name(token)) {
      out.push_back(*op);
    } else {
      return std::nullopt;
    }
  }
  return Script(std::move(out));
}

}  // namespace fulgur::bitcoin::test
