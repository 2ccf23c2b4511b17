// Bitcoin scripts: a byte string with a builder (minimal pushes, opcodes, numbers), a
// parser that walks it op by op, and the standard output templates (P2WPKH, P2WSH, P2TR,
// P2PKH, P2SH, OP_RETURN).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bitcoin/opcodes.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"

namespace fulgur::bitcoin {

// Consensus limits on a script's pieces.
inline constexpr size_t MAX_SCRIPT_ELEMENT_SIZE = 520;
inline constexpr size_t MAX_SCRIPT_SIZE = 10000;

// One parsed operation: the opcode, and the pushed bytes for push opcodes.
struct ScriptOp {
  uint8_t opcode = 0;
  ByteSpan data;  // a view into the script (valid while the script lives)
  bool is_push() const { return opcode <= OP_PUSHDATA4; }
};

class Script {
 public:
  Script() = default;
  explicit Script(Bytes bytes) : m_bytes(std::move(bytes)) {}
  static Script from_span(ByteSpan bytes) { return Script(Bytes(bytes.begin(), bytes.end())); }
  static Result<Script> from_hex(std::string_view hex);

  // Builder. push_data picks the smallest push: OP_0 for empty, OP_1..OP_16 and
  // OP_1NEGATE for one-byte values they stand for, else a direct push or OP_PUSHDATA1/2/4.
  Script& push_data(ByteSpan data);
  Script& push_opcode(uint8_t opcode);
  // A script number (CScriptNum): OP_0, OP_1NEGATE, OP_1..OP_16, else minimal bytes.
  Script& push_int(int64_t n);

  const Bytes& bytes() const { return m_bytes; }
  ByteSpan span() const { return m_bytes; }
  size_t size() const { return m_bytes.size(); }
  bool empty() const { return m_bytes.empty(); }
  std::string to_hex() const;

  // Every op, or an error if a push runs past the end.
  Result<std::vector<ScriptOp>> ops() const;
  // Bitcoin Core's asm text ("OP_DUP OP_HASH160 <hex> ..."); "[error]" on a bad push.
  std::string to_asm() const;

  // Templates.
  bool is_p2wpkh() const;
  bool is_p2wsh() const;
  bool is_p2tr() const;
  bool is_p2pkh() const;
  bool is_p2sh() const;
  bool is_op_return() const { return !m_bytes.empty() && m_bytes[0] == OP_RETURN; }
  // BIP 141: a 1-byte version opcode (OP_0, OP_1..OP_16) and a 2..40 byte direct push.
  struct WitnessProgram {
    int version = 0;
    ByteSpan program;
  };
  std::optional<WitnessProgram> witness_program() const;
  // Only pushes (the scriptSig of a standard spend must be push-only).
  bool is_push_only() const;

  friend bool operator==(const Script&, const Script&) = default;
  friend auto operator<=>(const Script&, const Script&) = default;

 private:
  Bytes m_bytes;
};

// Reads the op at `pos`, advancing it. False at the end or when a push runs past the end
// (then `pos` is set to the script's size).
bool next_op(ByteSpan script, size_t& pos, ScriptOp& op);

// Output templates.
Script p2wpkh(const Hash160& key_hash);
Script p2wpkh_for_key(ByteSpan compressed_pubkey);
Script p2wsh(const Hash256& script_hash);
Script p2wsh_for_script(const Script& witness_script);
Script p2tr(ByteSpan xonly_output_key);  // 32 bytes
Script p2pkh(const Hash160& key_hash);
Script p2sh(const Hash160& script_hash);
Script witness_output(int version, ByteSpan program);
// OP_RETURN <data>.
Script op_return(ByteSpan data);

}  // namespace fulgur::bitcoin
