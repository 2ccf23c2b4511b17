// Script builder, parser and templates.
#include "bitcoin/script.h"

#include <array>

#include "crypto/hash.h"

namespace fulgur::bitcoin {

namespace {

struct OpcodeName {
  uint8_t opcode;
  const char* name;
};

constexpr std::array<OpcodeName, 101> NAMED = {{
    {OP_0, "0"}, {OP_PUSHDATA1, "OP_PUSHDATA1"}, {OP_PUSHDATA2, "OP_PUSHDATA2"},
    {OP_PUSHDATA4, "OP_PUSHDATA4"}, {OP_1NEGATE, "-1"}, {OP_RESERVED, "OP_RESERVED"},
    {OP_1, "1"}, {OP_2, "2"}, {OP_3, "3"}, {OP_4, "4"}, {OP_5, "5"}, {OP_6, "6"},
    {OP_7, "7"}, {OP_8, "8"}, {OP_9, "9"}, {OP_10, "10"}, {OP_11, "11"}, {OP_12, "12"},
    {OP_13, "13"}, {OP_14, "14"}, {OP_15, "15"}, {OP_16, "16"}, {OP_NOP, "OP_NOP"},
    {OP_VER, "OP_VER"}, {OP_IF, "OP_IF"}, {OP_NOTIF, "OP_NOTIF"}, {OP_VERIF, "OP_VERIF"},
    {OP_VERNOTIF, "OP_VERNOTIF"}, {OP_ELSE, "OP_ELSE"}, {OP_ENDIF, "OP_ENDIF"},
    {OP_VERIFY, "OP_VERIFY"}, {OP_RETURN, "OP_RETURN"}, {OP_TOALTSTACK, "OP_TOALTSTACK"},
    {OP_FROMALTSTACK, "OP_FROMALTSTACK"}, {OP_2DROP, "OP_2DROP"}, {OP_2DUP, "OP_2DUP"},
    {OP_3DUP, "OP_3DUP"}, {OP_2OVER, "OP_2OVER"}, {OP_2ROT, "OP_2ROT"},
    {OP_2SWAP, "OP_2SWAP"}, {OP_IFDUP, "OP_IFDUP"}, {OP_DEPTH, "OP_DEPTH"},
    {OP_DROP, "OP_DROP"}, {OP_DUP, "OP_DUP"}, {OP_NIP, "OP_NIP"}, {OP_OVER, "OP_OVER"},
    {OP_PICK, "OP_PICK"}, {OP_ROLL, "OP_ROLL"}, {OP_ROT, "OP_ROT"}, {OP_SWAP, "OP_SWAP"},
    {OP_TUCK, "OP_TUCK"}, {OP_CAT, "OP_CAT"}, {OP_SUBSTR, "OP_SUBSTR"},
    {OP_LEFT, "OP_LEFT"}, {OP_RIGHT, "OP_RIGHT"}, {OP_SIZE, "OP_SIZE"},
    {OP_INVERT, "OP_INVERT"}, {OP_AND, "OP_AND"}, {OP_OR, "OP_OR"}, {OP_XOR, "OP_XOR"},
    {OP_EQUAL, "OP_EQUAL"}, {OP_EQUALVERIFY, "OP_EQUALVERIFY"},
    {OP_RESERVED1, "OP_RESERVED1"}, {OP_RESERVED2, "OP_RESERVED2"}, {OP_1ADD, "OP_1ADD"},
    {OP_1SUB, "OP_1SUB"}, {OP_2MUL, "OP_2MUL"}, {OP_2DIV, "OP_2DIV"},
    {OP_NEGATE, "OP_NEGATE"}, {OP_ABS, "OP_ABS"}, {OP_NOT, "OP_NOT"},
    {OP_0NOTEQUAL, "OP_0NOTEQUAL"}, {OP_ADD, "OP_ADD"}, {OP_SUB, "OP_SUB"},
    {OP_MUL, "OP_MUL"}, {OP_DIV, "OP_DIV"}, {OP_MOD, "OP_MOD"}, {OP_LSHIFT, "OP_LSHIFT"},
    {OP_RSHIFT, "OP_RSHIFT"}, {OP_BOOLAND, "OP_BOOLAND"}, {OP_BOOLOR, "OP_BOOLOR"},
    {OP_NUMEQUAL, "OP_NUMEQUAL"}, {OP_NUMEQUALVERIFY, "OP_NUMEQUALVERIFY"},
    {OP_NUMNOTEQUAL, "OP_NUMNOTEQUAL"}, {OP_LESSTHAN, "OP_LESSTHAN"},
    {OP_GREATERTHAN, "OP_GREATERTHAN"}, {OP_LESSTHANOREQUAL, "OP_LESSTHANOREQUAL"},
    {OP_GREATERTHANOREQUAL, "OP_GREATERTHANOREQUAL"}, {OP_MIN, "OP_MIN"},
    {OP_MAX, "OP_MAX"}, {OP_WITHIN, "OP_WITHIN"}, {OP_RIPEMD160, "OP_RIPEMD160"},
    {OP_SHA1, "OP_SHA1"}, {OP_SHA256, "OP_SHA256"}, {OP_HASH160, "OP_HASH160"},
    {OP_HASH256, "OP_HASH256"}, {OP_CODESEPARATOR, "OP_CODESEPARATOR"},
    {OP_CHECKSIG, "OP_CHECKSIG"}, {OP_CHECKSIGVERIFY, "OP_CHECKSIGVERIFY"},
    {OP_CHECKMULTISIG, "OP_CHECKMULTISIG"},
}};

constexpr std::array<OpcodeName, 13> NAMED_HIGH = {{
    {OP_CHECKMULTISIGVERIFY, "OP_CHECKMULTISIGVERIFY"}, {OP_NOP1, "OP_NOP1"},
    {OP_CHECKLOCKTIMEVERIFY, "OP_CHECKLOCKTIMEVERIFY"},
    {OP_CHECKSEQUENCEVERIFY, "OP_CHECKSEQUENCEVERIFY"}, {OP_NOP4, "OP_NOP4"},
    {OP_NOP5, "OP_NOP5"}, {OP_NOP6, "OP_NOP6"}, {OP_NOP7, "OP_NOP7"}, {OP_NOP8, "OP_NOP8"},
    {OP_NOP9, "OP_NOP9"}, {OP_NOP10, "OP_NOP10"}, {OP_CHECKSIGADD, "OP_CHECKSIGADD"},
    {OP_INVALIDOPCODE, "OP_INVALIDOPCODE"},
}};

}  // namespace

std::string opcode_name(uint8_t opcode) {
  for (const auto& n : NAMED)
    if (n.opcode == opcode) return n.name;
  for (const auto& n : NAMED_HIGH)
    if (n.opcode == opcode) return n.name;
  return "OP_UNKNOWN";
}

bool next_op(ByteSpan script, size_t& pos, ScriptOp& op) {
  op = ScriptOp{};
  if (pos >= script.size()) return false;
  uint8_t opcode = script[pos++];
  op.opcode = opcode;
  if (opcode > OP_PUSHDATA4) return true;
  size_t len = 0;
  size_t width = opcode == OP_PUSHDATA1 ? 1 : opcode == OP_PUSHDATA2 ? 2
                 : opcode == OP_PUSHDATA4 ? 4 : 0;
  if (width == 0) {
    len = opcode;
  } else {
    if (script.size() - pos < width) {
      pos = script.size();
      return false;
    }
    for (size_t i = 0; i < width; ++i) len |= static_cast<size_t>(script[pos + i]) << (8 * i);
    pos += width;
  }
  if (script.size() - pos < len) {
    pos = script.size();
    return false;
  }
  op.data = script.subspan(pos, len);
  pos += len;
  return true;
}

Result<Script> Script::from_hex(std::string_view hex) {
  FULGUR_TRY(Bytes raw, ::fulgur::from_hex(hex));
  return Script(std::move(raw));
}

Script& Script::push_opcode(uint8_t opcode) {
  m_bytes.push_back(opcode);
  return *this;
}

Script& Script::push_data(ByteSpan data) {
  size_t n = data.size();
  if (n == 0) return push_opcode(OP_0);
  if (n == 1 && data[0] >= 1 && data[0] <= 16) {
    return push_opcode(static_cast<uint8_t>(OP_1 + data[0] - 1));
  }
  if (n == 1 && data[0] == 0x81) return push_opcode(OP_1NEGATE);
  if (n < OP_PUSHDATA1) {
    m_bytes.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    m_bytes.push_back(OP_PUSHDATA1);
    m_bytes.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xffff) {
    m_bytes.push_back(OP_PUSHDATA2);
    for (int i = 0; i < 2; ++i) m_bytes.push_back(static_cast<uint8_t>(n >> (8 * i)));
  } else {
    m_bytes.push_back(OP_PUSHDATA4);
    for (int i = 0; i < 4; ++i) m_bytes.push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  append(m_bytes, data);
  return *this;
}

Script& Script::push_int(int64_t n) {
  if (n == 0) return push_opcode(OP_0);
  if (n == -1) return push_opcode(OP_1NEGATE);
  if (n >= 1 && n <= 16) return push_opcode(static_cast<uint8_t>(OP_1 + n - 1));
  // Little-endian magnitude with the sign in the top bit of the last byte.
  bool negative = n < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  Bytes out;
  while (magnitude != 0) {
    out.push_back(static_cast<uint8_t>(magnitude & 0xff));
    magnitude >>= 8;
  }
  if (out.back() & 0x80) {
    out.push_back(negative ? 0x80 : 0x00);
  } else if (negative) {
    out.back() |= 0x80;
  }
  m_bytes.push_back(static_cast<uint8_t>(out.size()));
  append(m_bytes, out);
  return *this;
}

std::string Script::to_hex() const { return ::fulgur::to_hex(m_bytes); }

Result<std::vector<ScriptOp>> Script::ops() const {
  std::vector<ScriptOp> out;
  size_t pos = 0;
  ScriptOp op;
  while (pos < m_bytes.size()) {
    if (!next_op(m_bytes, pos, op)) return fail("script push runs past the end");
    out.push_back(op);
  }
  return out;
}

std::string Script::to_asm() const {
  std::string out;
  size_t pos = 0;
  ScriptOp op;
  while (pos < m_bytes.size()) {
    if (!out.empty()) out += ' ';
    if (!next_op(m_bytes, pos, op)) return out + "[error]";
    if (op.opcode == OP_0) {
      out += "0";
    } else if (op.opcode < OP_PUSHDATA1 || (op.is_push() && !op.data.empty())) {
      out += ::fulgur::to_hex(op.data);
    } else {
      out += opcode_name(op.opcode);
    }
  }
  return out;
}

bool Script::is_p2wpkh() const {
  return m_bytes.size() == 22 && m_bytes[0] == OP_0 && m_bytes[1] == 20;
}
bool Script::is_p2wsh() const {
  return m_bytes.size() == 34 && m_bytes[0] == OP_0 && m_bytes[1] == 32;
}
bool Script::is_p2tr() const {
  return m_bytes.size() == 34 && m_bytes[0] == OP_1 && m_bytes[1] == 32;
}
bool Script::is_p2pkh() const {
  return m_bytes.size() == 25 && m_bytes[0] == OP_DUP && m_bytes[1] == OP_HASH160 &&
         m_bytes[2] == 20 && m_bytes[23] == OP_EQUALVERIFY && m_bytes[24] == OP_CHECKSIG;
}
bool Script::is_p2sh() const {
  return m_bytes.size() == 23 && m_bytes[0] == OP_HASH160 && m_bytes[1] == 20 &&
         m_bytes[22] == OP_EQUAL;
}

std::optional<Script::WitnessProgram> Script::witness_program() const {
  if (m_bytes.size() < 4 || m_bytes.size() > 42) return std::nullopt;
  uint8_t v = m_bytes[0];
  if (v != OP_0 && (v < OP_1 || v > OP_16)) return std::nullopt;
  if (static_cast<size_t>(m_bytes[1]) + 2 != m_bytes.size()) return std::nullopt;
  int version = v == OP_0 ? 0 : v - OP_1 + 1;
  return WitnessProgram{version, ByteSpan(m_bytes).subspan(2)};
}

bool Script::is_push_only() const {
  size_t pos = 0;
  ScriptOp op;
  while (pos < m_bytes.size()) {
    if (!next_op(m_bytes, pos, op)) return false;
    // OP_1NEGATE .. OP_16 count as pushes; OP_RESERVED does not.
    if (op.opcode > OP_16 || op.opcode == OP_RESERVED) return false;
  }
  return true;
}

Script witness_output(int version, ByteSpan program) {
  FULGUR_REQUIRE(version >= 0 && version <= 16);
  Script s;
  s.push_opcode(version == 0 ? uint8_t{OP_0} : static_cast<uint8_t>(OP_1 + version - 1));
  Bytes raw = s.bytes();
  raw.push_back(static_cast<uint8_t>(program.size()));
  append(raw, program);
  return Script(std::move(raw));
}

Script p2wpkh(const Hash160& key_hash) { return witness_output(0, key_hash.span()); }
Script p2wpkh_for_key(ByteSpan compressed_pubkey) {
  return p2wpkh(crypto::hash160(compressed_pubkey));
}
Script p2wsh(const Hash256& script_hash) { return witness_output(0, script_hash.span()); }
Script p2wsh_for_script(const Script& witness_script) {
  return p2wsh(crypto::sha256(witness_script.span()));
}
Script p2tr(ByteSpan xonly_output_key) {
  FULGUR_REQUIRE(xonly_output_key.size() == 32);
  return witness_output(1, xonly_output_key);
}
Script p2pkh(const Hash160& key_hash) {
  Script s;
  s.push_opcode(OP_DUP).push_opcode(OP_HASH160).push_data(key_hash.span());
  s.push_opcode(OP_EQUALVERIFY).push_opcode(OP_CHECKSIG);
  return s;
}
Script p2sh(const Hash160& script_hash) {
  Script s;
  s.push_opcode(OP_HASH160).push_data(script_hash.span()).push_opcode(OP_EQUAL);
  return s;
}
Script op_return(ByteSpan data) {
  Script s;
  s.push_opcode(OP_RETURN).push_data(data);
  return s;
}

}  // namespace fulgur::bitcoin
