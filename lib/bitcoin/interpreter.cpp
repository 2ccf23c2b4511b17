// Script evaluation (Bitcoin Core's EvalScript semantics) and input verification
// (VerifyScript, witness v0 programs).
#include "bitcoin/interpreter.h"

#include <nettle/sha1.h>

#include <algorithm>

#include "crypto/hash.h"
#include "crypto/keys.h"

namespace fulgur::bitcoin {

namespace {

using Err = Unexpected<ScriptError>;

Err error(ScriptError e) { return Err{e}; }

const Bytes TRUE_VALUE{1};
const Bytes FALSE_VALUE{};

bool is_disabled(uint8_t op) {
  switch (op) {
    case OP_CAT: case OP_SUBSTR: case OP_LEFT: case OP_RIGHT: case OP_INVERT: case OP_AND:
    case OP_OR: case OP_XOR: case OP_2MUL: case OP_2DIV: case OP_MUL: case OP_DIV: case OP_MOD:
    case OP_LSHIFT: case OP_RSHIFT:
      return true;
    default:
      return false;
  }
}

// MINIMALDATA: each push uses the smallest opcode that can express it.
bool is_minimal_push(const ScriptOp& op) {
  const size_t n = op.data.size();
  if (n == 0) return op.opcode == OP_0;
  if (n == 1 && op.data[0] >= 1 && op.data[0] <= 16) return false;  // should be OP_1..OP_16
  if (n == 1 && op.data[0] == 0x81) return false;                    // should be OP_1NEGATE
  if (n <= 75) return op.opcode == n;
  if (n <= 255) return op.opcode == OP_PUSHDATA1;
  if (n <= 65535) return op.opcode == OP_PUSHDATA2;
  return true;
}

bool is_low_der_signature(ByteSpan sig) {
  auto parsed = crypto::Signature::from_der(sig.first(sig.size() - 1));
  // A DER-valid signature that libsecp256k1 cannot parse is not high-S; it fails later.
  return !parsed.ok() || parsed->is_low_s();
}

bool is_defined_hashtype(ByteSpan sig) {
  if (sig.empty()) return false;
  uint32_t base = sig.back() & ~SIGHASH_ANYONECANPAY;
  return base >= SIGHASH_ALL && base <= SIGHASH_SINGLE;
}

ScriptResult check_signature_encoding(ByteSpan sig, uint32_t flags) {
  // An empty signature is allowed: it is a compact way to make CHECKSIG fail.
  if (sig.empty()) return {};
  if ((flags & (verify::DERSIG | verify::LOW_S | verify::STRICTENC)) &&
      !is_valid_signature_encoding(sig)) {
    return error(ScriptError::SigDer);
  }
  if ((flags & verify::LOW_S) && !is_low_der_signature(sig)) return error(ScriptError::SigHighS);
  if ((flags & verify::STRICTENC) && !is_defined_hashtype(sig)) {
    return error(ScriptError::SigHashtype);
  }
  return {};
}

ScriptResult check_pubkey_encoding(ByteSpan key, uint32_t flags, SigVersion version) {
  const bool compressed = key.size() == 33 && (key[0] == 0x02 || key[0] == 0x03);
  const bool uncompressed = key.size() == 65 && key[0] == 0x04;
  if ((flags & verify::STRICTENC) && !compressed && !uncompressed) {
    return error(ScriptError::PubkeyType);
  }
  // BIP 143: only compressed keys in witness v0 (policy).
  if ((flags & verify::WITNESS_PUBKEYTYPE) && version == SigVersion::WitnessV0 && !compressed) {
    return error(ScriptError::WitnessPubkeyType);
  }
  return {};
}

// Removes every push of `sig` (at op boundaries) from a legacy script code; returns the
// number removed.
size_t find_and_delete(Bytes& code, ByteSpan sig) {
  Script pattern;
  pattern.push_data(sig);
  // Core deletes the exact serialization "<len> <sig>", not a minimal push of it.
  Bytes needle;
  if (sig.size() < OP_PUSHDATA1) {
    needle.push_back(static_cast<uint8_t>(sig.size()));
    append(needle, sig);
  } else {
    needle = pattern.bytes();
  }
  if (needle.empty() || code.size() < needle.size()) return 0;
  Bytes out;
  size_t found = 0;
  size_t pos = 0;
  ScriptOp op;
  while (pos < code.size()) {
    if (code.size() - pos >= needle.size() &&
        std::equal(needle.begin(), needle.end(), code.begin() + static_cast<std::ptrdiff_t>(pos))) {
      pos += needle.size();
      ++found;
      continue;
    }
    size_t start = pos;
    bool ok = next_op(code, pos, op);
    out.insert(out.end(), code.begin() + static_cast<std::ptrdiff_t>(start),
               code.begin() + static_cast<std::ptrdiff_t>(ok ? pos : code.size()));
    if (!ok) break;
  }
  if (found) code = std::move(out);
  return found;
}

class Evaluator {
 public:
  Evaluator(Stack& stack, const Script& script, uint32_t flags, const SignatureChecker& checker,
            SigVersion version)
      : m_stack(stack), m_script(script.span()), m_flags(flags), m_checker(checker),
        m_version(version), m_minimal(flags & verify::MINIMALDATA) {}

  ScriptResult run();

 private:
  bool executing() const {
    return std::find(m_exec.begin(), m_exec.end(), false) == m_exec.end();
  }
  ScriptResult step(const ScriptOp& op);
  ScriptResult step_flow(uint8_t op);
  ScriptResult step_stack(uint8_t op);
  ScriptResult step_numeric(uint8_t op);
  ScriptResult step_crypto(uint8_t op);
  ScriptResult step_locktime(uint8_t op);
  ScriptResult step_checksig(uint8_t op);
  ScriptResult step_checkmultisig(uint8_t op);
  ScriptResult step_nop(uint8_t op);

  Bytes& top(size_t from_top) { return m_stack[m_stack.size() - from_top]; }
  Result<ScriptNum, ScriptError> num(size_t from_top, size_t max_size = MAX_SCRIPT_NUM_SIZE) {
    return ScriptNum::decode(top(from_top), m_minimal, max_size);
  }
  void pop(size_t n = 1) { m_stack.resize(m_stack.size() - n); }
  void push_bool(bool v) { m_stack.push_back(v ? TRUE_VALUE : FALSE_VALUE); }
  Bytes script_code() const {
    return Bytes(m_script.begin() + static_cast<std::ptrdiff_t>(m_code_start), m_script.end());
  }

  Stack& m_stack;
  Stack m_alt;
  std::vector<bool> m_exec;
  ByteSpan m_script;
  uint32_t m_flags;
  const SignatureChecker& m_checker;
  SigVersion m_version;
  bool m_minimal;
  size_t m_pos = 0;
  size_t m_code_start = 0;
  size_t m_op_count = 0;
};

ScriptResult Evaluator::run() {
  if (m_script.size() > MAX_SCRIPT_SIZE) return error(ScriptError::ScriptSize);
  ScriptOp op;
  while (m_pos < m_script.size()) {
    const bool exec = executing();
    if (!next_op(m_script, m_pos, op)) return error(ScriptError::BadOpcode);
    if (op.data.size() > MAX_SCRIPT_ELEMENT_SIZE) return error(ScriptError::PushSize);
    if (op.opcode > OP_16 && ++m_op_count > MAX_OPS_PER_SCRIPT) {
      return error(ScriptError::OpCount);
    }
    // Disabled opcodes fail even in an unexecuted branch.
    if (is_disabled(op.opcode)) return error(ScriptError::DisabledOpcode);
    if (op.opcode == OP_CODESEPARATOR && m_version == SigVersion::Base &&
        (m_flags & verify::CONST_SCRIPTCODE)) {
      return error(ScriptError::OpCodeSeparator);
    }
    if (exec && op.opcode <= OP_PUSHDATA4) {
      if (m_minimal && !is_minimal_push(op)) return error(ScriptError::MinimalData);
      m_stack.emplace_back(op.data.begin(), op.data.end());
    } else if (exec || (op.opcode >= OP_IF && op.opcode <= OP_ENDIF)) {
      FULGUR_TRY_STATUS(step(op));
    }
    if (m_stack.size() + m_alt.size() > MAX_STACK_SIZE) return error(ScriptError::StackSize);
  }
  if (!m_exec.empty()) return error(ScriptError::UnbalancedConditional);
  return {};
}

ScriptResult Evaluator::step(const ScriptOp& op) {
  const uint8_t o = op.opcode;
  if (o == OP_1NEGATE || (o >= OP_1 && o <= OP_16)) {
    m_stack.push_back(ScriptNum::encode(o == OP_1NEGATE ? -1 : o - OP_1 + 1));
    return {};
  }
  if (o >= OP_IF && o <= OP_RETURN) return step_flow(o);
  if (o >= OP_TOALTSTACK && o <= OP_TUCK) return step_stack(o);
  if (o == OP_SIZE || o == OP_EQUAL || o == OP_EQUALVERIFY) return step_stack(o);
  if (o >= OP_1ADD && o <= OP_WITHIN) return step_numeric(o);
  if (o >= OP_RIPEMD160 && o <= OP_HASH256) return step_crypto(o);
  if (o == OP_CODESEPARATOR) {
    m_code_start = m_pos;  // the script code starts after the last executed separator
    return {};
  }
  if (o == OP_CHECKSIG || o == OP_CHECKSIGVERIFY) return step_checksig(o);
  if (o == OP_CHECKMULTISIG || o == OP_CHECKMULTISIGVERIFY) return step_checkmultisig(o);
  if (o == OP_CHECKLOCKTIMEVERIFY || o == OP_CHECKSEQUENCEVERIFY) return step_locktime(o);
  if (o == OP_NOP) return {};
  if (o == OP_NOP1 || (o >= OP_NOP4 && o <= OP_NOP10)) return step_nop(o);
  // OP_VER, OP_VERIF, OP_VERNOTIF, OP_RESERVED*, OP_CHECKSIGADD outside tapscript, unknown.
  return error(ScriptError::BadOpcode);
}

// NOP1, NOP4..NOP10 (and CLTV/CSV when their rule is off) are reserved for upgrades.
ScriptResult Evaluator::step_nop(uint8_t) {
  if (m_flags & verify::DISCOURAGE_UPGRADABLE_NOPS) {
    return error(ScriptError::DiscourageUpgradableNops);
  }
  return {};
}

ScriptResult Evaluator::step_flow(uint8_t op) {
  switch (op) {
    case OP_IF:
    case OP_NOTIF: {
      bool value = false;
      if (executing()) {
        // Bitcoin Core (current master) reports an empty stack here as a stack error.
        if (m_stack.empty()) return error(ScriptError::InvalidStackOperation);
        const Bytes& v = top(1);
        // MINIMALIF (policy for witness v0): the argument is empty or exactly 0x01.
        if (m_version == SigVersion::WitnessV0 && (m_flags & verify::MINIMALIF)) {
          if (v.size() > 1 || (v.size() == 1 && v[0] != 1)) return error(ScriptError::MinimalIf);
        }
        value = cast_to_bool(v);
        if (op == OP_NOTIF) value = !value;
        pop();
      }
      m_exec.push_back(value);
      return {};
    }
    case OP_ELSE:
      if (m_exec.empty()) return error(ScriptError::UnbalancedConditional);
      m_exec.back() = !m_exec.back();
      return {};
    case OP_ENDIF:
      if (m_exec.empty()) return error(ScriptError::UnbalancedConditional);
      m_exec.pop_back();
      return {};
    case OP_VERIFY:
      if (m_stack.empty()) return error(ScriptError::InvalidStackOperation);
      if (!cast_to_bool(top(1))) return error(ScriptError::Verify);
      pop();
      return {};
    case OP_RETURN:
      return error(ScriptError::OpReturn);
    default:  // OP_VERIF, OP_VERNOTIF: invalid even when not executed
      return error(ScriptError::BadOpcode);
  }
}

ScriptResult Evaluator::step_stack(uint8_t op) {
  auto need = [&](size_t n) { return m_stack.size() >= n; };
  const auto bad = error(ScriptError::InvalidStackOperation);
  switch (op) {
    case OP_TOALTSTACK:
      if (!need(1)) return bad;
      m_alt.push_back(std::move(top(1)));
      pop();
      return {};
    case OP_FROMALTSTACK:
      if (m_alt.empty()) return error(ScriptError::InvalidAltstackOperation);
      m_stack.push_back(std::move(m_alt.back()));
      m_alt.pop_back();
      return {};
    case OP_2DROP:
      if (!need(2)) return bad;
      pop(2);
      return {};
    case OP_2DUP: {
      if (!need(2)) return bad;
      Bytes a = top(2), b = top(1);
      m_stack.push_back(std::move(a));
      m_stack.push_back(std::move(b));
      return {};
    }
    case OP_3DUP: {
      if (!need(3)) return bad;
      Bytes a = top(3), b = top(2), c = top(1);
      m_stack.push_back(std::move(a));
      m_stack.push_back(std::move(b));
      m_stack.push_back(std::move(c));
      return {};
    }
    case OP_2OVER: {
      if (!need(4)) return bad;
      Bytes a = top(4), b = top(3);
      m_stack.push_back(std::move(a));
      m_stack.push_back(std::move(b));
      return {};
    }
    case OP_2ROT: {
      if (!need(6)) return bad;
      Bytes a = top(6), b = top(5);
      m_stack.erase(m_stack.end() - 6, m_stack.end() - 4);
      m_stack.push_back(std::move(a));
      m_stack.push_back(std::move(b));
      return {};
    }
    case OP_2SWAP:
      if (!need(4)) return bad;
      std::swap(top(4), top(2));
      std::swap(top(3), top(1));
      return {};
    case OP_IFDUP:
      if (!need(1)) return bad;
      if (cast_to_bool(top(1))) m_stack.push_back(top(1));
      return {};
    case OP_DEPTH:
      m_stack.push_back(ScriptNum::encode(static_cast<int64_t>(m_stack.size())));
      return {};
    case OP_DROP:
      if (!need(1)) return bad;
      pop();
      return {};
    case OP_DUP:
      if (!need(1)) return bad;
      m_stack.push_back(top(1));
      return {};
    case OP_NIP:
      if (!need(2)) return bad;
      m_stack.erase(m_stack.end() - 2);
      return {};
    case OP_OVER:
      if (!need(2)) return bad;
      m_stack.push_back(top(2));
      return {};
    case OP_PICK:
    case OP_ROLL: {
      if (!need(2)) return bad;
      FULGUR_TRY(ScriptNum n, num(1));
      pop();
      int64_t index = n.to_int();
      if (index < 0 || static_cast<size_t>(index) >= m_stack.size()) return bad;
      Bytes value = top(static_cast<size_t>(index) + 1);
      if (op == OP_ROLL) m_stack.erase(m_stack.end() - index - 1);
      m_stack.push_back(std::move(value));
      return {};
    }
    case OP_ROT:
      if (!need(3)) return bad;
      std::swap(top(3), top(2));
      std::swap(top(2), top(1));
      return {};
    case OP_SWAP:
      if (!need(2)) return bad;
      std::swap(top(2), top(1));
      return {};
    case OP_TUCK: {
      if (!need(2)) return bad;
      Bytes v = top(1);
      m_stack.insert(m_stack.end() - 2, std::move(v));
      return {};
    }
    case OP_SIZE:
      if (!need(1)) return bad;
      m_stack.push_back(ScriptNum::encode(static_cast<int64_t>(top(1).size())));
      return {};
    case OP_EQUAL:
    case OP_EQUALVERIFY: {
      if (!need(2)) return bad;
      bool equal = top(2) == top(1);
      pop(2);
      push_bool(equal);
      if (op == OP_EQUALVERIFY) {
        if (!equal) return error(ScriptError::EqualVerify);
        pop();
      }
      return {};
    }
    default:
      return error(ScriptError::BadOpcode);
  }
}

ScriptResult Evaluator::step_numeric(uint8_t op) {
  const auto bad = error(ScriptError::InvalidStackOperation);
  if (op >= OP_1ADD && op <= OP_0NOTEQUAL) {
    if (m_stack.empty()) return bad;
    FULGUR_TRY(ScriptNum n, num(1));
    int64_t v = n.value();
    switch (op) {
      case OP_1ADD: v += 1; break;
      case OP_1SUB: v -= 1; break;
      case OP_NEGATE: v = -v; break;
      case OP_ABS: v = v < 0 ? -v : v; break;
      case OP_NOT: v = v == 0; break;
      case OP_0NOTEQUAL: v = v != 0; break;
      default: return error(ScriptError::BadOpcode);  // 2MUL, 2DIV: disabled earlier
    }
    pop();
    m_stack.push_back(ScriptNum::encode(v));
    return {};
  }
  if (op == OP_WITHIN) {
    if (m_stack.size() < 3) return bad;
    FULGUR_TRY(ScriptNum x, num(3));
    FULGUR_TRY(ScriptNum lo, num(2));
    FULGUR_TRY(ScriptNum hi, num(1));
    pop(3);
    push_bool(lo.value() <= x.value() && x.value() < hi.value());
    return {};
  }
  if (m_stack.size() < 2) return bad;
  FULGUR_TRY(ScriptNum na, num(2));
  FULGUR_TRY(ScriptNum nb, num(1));
  const int64_t a = na.value();
  const int64_t b = nb.value();
  int64_t r = 0;
  switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_BOOLAND: r = a != 0 && b != 0; break;
    case OP_BOOLOR: r = a != 0 || b != 0; break;
    case OP_NUMEQUAL: case OP_NUMEQUALVERIFY: r = a == b; break;
    case OP_NUMNOTEQUAL: r = a != b; break;
    case OP_LESSTHAN: r = a < b; break;
    case OP_GREATERTHAN: r = a > b; break;
    case OP_LESSTHANOREQUAL: r = a <= b; break;
    case OP_GREATERTHANOREQUAL: r = a >= b; break;
    case OP_MIN: r = std::min(a, b); break;
    case OP_MAX: r = std::max(a, b); break;
    default: return error(ScriptError::BadOpcode);  // MUL, DIV, MOD, shifts: disabled
  }
  pop(2);
  m_stack.push_back(ScriptNum::encode(r));
  if (op == OP_NUMEQUALVERIFY) {
    if (!cast_to_bool(top(1))) return error(ScriptError::NumEqualVerify);
    pop();
  }
  return {};
}

ScriptResult Evaluator::step_crypto(uint8_t op) {
  if (m_stack.empty()) return error(ScriptError::InvalidStackOperation);
  const Bytes& v = top(1);
  Bytes out;
  switch (op) {
    case OP_RIPEMD160: {
      Hash160 h = crypto::ripemd160(v);
      out.assign(h.begin(), h.end());
      break;
    }
    case OP_SHA1: {
      sha1_ctx ctx;
      sha1_init(&ctx);
      sha1_update(&ctx, v.size(), v.data());
      out.resize(SHA1_DIGEST_SIZE);
      sha1_digest(&ctx, out.size(), out.data());
      break;
    }
    case OP_SHA256: {
      Hash256 h = crypto::sha256(v);
      out.assign(h.begin(), h.end());
      break;
    }
    case OP_HASH160: {
      Hash160 h = crypto::hash160(v);
      out.assign(h.begin(), h.end());
      break;
    }
    case OP_HASH256: {
      Hash256 h = crypto::sha256d(v);
      out.assign(h.begin(), h.end());
      break;
    }
    default: return error(ScriptError::BadOpcode);
  }
  pop();
  m_stack.push_back(std::move(out));
  return {};
}

ScriptResult Evaluator::step_locktime(uint8_t op) {
  const bool is_cltv = op == OP_CHECKLOCKTIMEVERIFY;
  if (!(m_flags & (is_cltv ? verify::CHECKLOCKTIMEVERIFY : verify::CHECKSEQUENCEVERIFY))) {
    return step_nop(op);  // before BIP 65 / BIP 112 these were NOP2 / NOP3
  }
  if (m_stack.empty()) return error(ScriptError::InvalidStackOperation);
  // Five bytes: lock values reach 2^32 - 1, beyond 4-byte script numbers.
  FULGUR_TRY(ScriptNum n, num(1, 5));
  if (n.value() < 0) return error(ScriptError::NegativeLocktime);
  if (is_cltv) {
    if (!m_checker.check_locktime(n.value())) return error(ScriptError::UnsatisfiedLocktime);
    return {};
  }
  // BIP 112: with the disable flag set the opcode is a NOP.
  if (n.value() & SEQUENCE_LOCKTIME_DISABLE_FLAG) return {};
  if (!m_checker.check_sequence(n.value())) return error(ScriptError::UnsatisfiedLocktime);
  return {};
}

ScriptResult Evaluator::step_checksig(uint8_t op) {
  if (m_stack.size() < 2) return error(ScriptError::InvalidStackOperation);
  const Bytes& sig = top(2);
  const Bytes& key = top(1);
  Bytes code = script_code();
  if (m_version == SigVersion::Base) {
    if (find_and_delete(code, sig) > 0 && (m_flags & verify::CONST_SCRIPTCODE)) {
      return error(ScriptError::SigFindAndDelete);
    }
  }
  FULGUR_TRY_STATUS(check_signature_encoding(sig, m_flags));
  FULGUR_TRY_STATUS(check_pubkey_encoding(key, m_flags, m_version));
  bool ok = m_checker.check_ecdsa(sig, key, code, m_version);
  if (!ok && (m_flags & verify::NULLFAIL) && !sig.empty()) return error(ScriptError::SigNullFail);
  pop(2);
  push_bool(ok);
  if (op == OP_CHECKSIGVERIFY) {
    if (!ok) return error(ScriptError::CheckSigVerify);
    pop();
  }
  return {};
}

ScriptResult Evaluator::step_checkmultisig(uint8_t op) {
  const auto bad = error(ScriptError::InvalidStackOperation);
  size_t i = 1;
  if (m_stack.size() < i) return bad;
  FULGUR_TRY(ScriptNum nkeys, num(i));
  int64_t keys = nkeys.to_int();
  if (keys < 0 || keys > static_cast<int64_t>(MAX_PUBKEYS_PER_MULTISIG)) {
    return error(ScriptError::PubkeyCount);
  }
  m_op_count += static_cast<size_t>(keys);
  if (m_op_count > MAX_OPS_PER_SCRIPT) return error(ScriptError::OpCount);
  size_t ikey = ++i;
  size_t ikey2 = static_cast<size_t>(keys) + 2;  // for NULLFAIL: where the keys end
  i += static_cast<size_t>(keys);
  if (m_stack.size() < i) return bad;
  FULGUR_TRY(ScriptNum nsigs, num(i));
  int64_t sigs = nsigs.to_int();
  if (sigs < 0 || sigs > keys) return error(ScriptError::SigCount);
  size_t isig = ++i;
  i += static_cast<size_t>(sigs);
  if (m_stack.size() < i) return bad;

  Bytes code = script_code();
  if (m_version == SigVersion::Base) {
    for (int64_t k = 0; k < sigs; ++k) {
      if (find_and_delete(code, top(isig + static_cast<size_t>(k))) > 0 &&
          (m_flags & verify::CONST_SCRIPTCODE)) {
        return error(ScriptError::SigFindAndDelete);
      }
    }
  }
  bool success = true;
  while (success && sigs > 0) {
    const Bytes& sig = top(isig);
    const Bytes& key = top(ikey);
    FULGUR_TRY_STATUS(check_signature_encoding(sig, m_flags));
    FULGUR_TRY_STATUS(check_pubkey_encoding(key, m_flags, m_version));
    if (m_checker.check_ecdsa(sig, key, code, m_version)) {
      ++isig;
      --sigs;
    }
    ++ikey;
    --keys;
    // More signatures left than keys: it cannot succeed.
    if (sigs > keys) success = false;
  }
  // Pop the keys, signatures and counts; with NULLFAIL every signature must be empty on
  // failure.
  while (i-- > 1) {
    if (!success && (m_flags & verify::NULLFAIL) && ikey2 == 0 && !top(1).empty()) {
      return error(ScriptError::SigNullFail);
    }
    if (ikey2 > 0) --ikey2;
    pop();
  }
  // The extra element consumed by a historical off-by-one; BIP 147 wants it empty.
  if (m_stack.empty()) return bad;
  if ((m_flags & verify::NULLDUMMY) && !top(1).empty()) return error(ScriptError::SigNullDummy);
  pop();
  push_bool(success);
  if (op == OP_CHECKMULTISIGVERIFY) {
    if (!success) return error(ScriptError::CheckMultisigVerify);
    pop();
  }
  return {};
}

ScriptResult execute_witness_script(Stack stack, const Script& script, uint32_t flags,
                                    const SignatureChecker& checker) {
  for (const auto& item : stack) {
    if (item.size() > MAX_SCRIPT_ELEMENT_SIZE) return error(ScriptError::PushSize);
  }
  FULGUR_TRY_STATUS(eval_script(stack, script, flags, checker, SigVersion::WitnessV0));
  // BIP 141: the witness script must leave exactly one true element (always, not policy).
  if (stack.size() != 1) return error(ScriptError::CleanStack);
  if (!cast_to_bool(stack.back())) return error(ScriptError::EvalFalse);
  return {};
}

ScriptResult verify_witness_program(const Witness& witness, int version, ByteSpan program,
                                    uint32_t flags, const SignatureChecker& checker) {
  if (version != 0) {
    if (flags & verify::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM) {
      return error(ScriptError::DiscourageUpgradableWitnessProgram);
    }
    return {};  // an upgradable version: anyone can spend under these rules
  }
  if (program.size() == 32) {
    // P2WSH: the last witness item is the script; its SHA-256 must match the program.
    if (witness.empty()) return error(ScriptError::WitnessProgramWitnessEmpty);
    Script script = Script::from_span(witness.back());
    Hash256 h = crypto::sha256(script.span());
    if (!std::equal(h.begin(), h.end(), program.begin())) {
      return error(ScriptError::WitnessProgramMismatch);
    }
    return execute_witness_script(Stack(witness.begin(), witness.end() - 1), script, flags,
                                  checker);
  }
  if (program.size() == 20) {
    // P2WPKH: exactly a signature and a key, run against DUP HASH160 <program> EQUALVERIFY
    // CHECKSIG.
    if (witness.size() != 2) return error(ScriptError::WitnessProgramMismatch);
    Script script = p2pkh(*Hash160::from_span(program));
    return execute_witness_script(Stack(witness.begin(), witness.end()), script, flags, checker);
  }
  return error(ScriptError::WitnessProgramWrongLength);
}

}  // namespace

ScriptResult eval_script(Stack& stack, const Script& script, uint32_t flags,
                         const SignatureChecker& checker, SigVersion version) {
  return Evaluator(stack, script, flags, checker, version).run();
}

ScriptResult verify_script(const Script& script_sig, const Script& script_pubkey,
                           const Witness& witness, uint32_t flags,
                           const SignatureChecker& checker) {
  if ((flags & verify::SIGPUSHONLY) && !script_sig.is_push_only()) {
    return error(ScriptError::SigPushOnly);
  }
  Stack stack;
  FULGUR_TRY_STATUS(eval_script(stack, script_sig, flags, checker, SigVersion::Base));
  Stack p2sh_stack;
  if (flags & verify::P2SH) p2sh_stack = stack;
  FULGUR_TRY_STATUS(eval_script(stack, script_pubkey, flags, checker, SigVersion::Base));
  if (stack.empty() || !cast_to_bool(stack.back())) return error(ScriptError::EvalFalse);

  bool had_witness = false;
  if (flags & verify::WITNESS) {
    if (auto wp = script_pubkey.witness_program()) {
      had_witness = true;
      // BIP 141: a native witness spend has an empty scriptSig.
      if (!script_sig.empty()) return error(ScriptError::WitnessMalleated);
      FULGUR_TRY_STATUS(verify_witness_program(witness, wp->version, wp->program, flags, checker));
      stack.resize(1);  // the witness left one true element; CLEANSTACK is satisfied
    }
  }
  if ((flags & verify::P2SH) && script_pubkey.is_p2sh()) {
    if (!script_sig.is_push_only()) return error(ScriptError::SigPushOnly);
    std::swap(stack, p2sh_stack);
    FULGUR_ASSERT(!stack.empty());  // the scriptPubKey's EQUAL consumed at least one item
    Script redeem(std::move(stack.back()));
    stack.pop_back();
    FULGUR_TRY_STATUS(eval_script(stack, redeem, flags, checker, SigVersion::Base));
    if (stack.empty() || !cast_to_bool(stack.back())) return error(ScriptError::EvalFalse);
    if (flags & verify::WITNESS) {
      if (auto wp = redeem.witness_program()) {
        had_witness = true;
        // BIP 141: P2SH-wrapped, the scriptSig is exactly one push of the redeem script.
        Script expected;
        expected.push_data(redeem.span());
        if (script_sig != expected) return error(ScriptError::WitnessMalleatedP2sh);
        FULGUR_TRY_STATUS(
            verify_witness_program(witness, wp->version, wp->program, flags, checker));
        stack.resize(1);
      }
    }
  }
  if (flags & verify::CLEANSTACK) {
    // Core requires P2SH and WITNESS with CLEANSTACK; that is the caller's contract.
    FULGUR_REQUIRE((flags & verify::P2SH) && (flags & verify::WITNESS));
    if (stack.size() != 1) return error(ScriptError::CleanStack);
  }
  if ((flags & verify::WITNESS) && !had_witness && !witness.empty()) {
    return error(ScriptError::WitnessUnexpected);
  }
  return {};
}

ScriptResult verify_input(const Transaction& tx, size_t input_index, const TxOut& spent,
                          uint32_t flags, const PrecomputedTxData* cache) {
  FULGUR_REQUIRE(input_index < tx.inputs.size());
  TxSignatureChecker checker(tx, input_index, spent.amount, cache);
  const TxIn& in = tx.inputs[input_index];
  return verify_script(in.script_sig, spent.script_pubkey, in.witness, flags, checker);
}

std::string MempoolScriptCheck::reject_reason() const {
  if (ok) return {};
  return std::string(mandatory ? "mandatory-script-verify-flag-failed ("
                               : "non-mandatory-script-verify-flag (") +
         script_error_string(error) + ")";
}

MempoolScriptCheck check_input_for_mempool(const Transaction& tx, size_t input_index,
                                           const TxOut& spent, const PrecomputedTxData* cache) {
  auto standard = verify_input(tx, input_index, spent, verify::STANDARD, cache);
  if (standard.ok()) return {};
  MempoolScriptCheck out;
  out.ok = false;
  out.error = standard.error();
  out.mandatory = !verify_input(tx, input_index, spent, verify::MANDATORY, cache).ok();
  return out;
}

bool is_witness_standard(const TxIn& input, const Script& spent_script_pubkey) {
  Script program_script = spent_script_pubkey;
  if (spent_script_pubkey.is_p2sh()) {
    // The redeem script is the last push of the scriptSig.
    auto ops = input.script_sig.ops();
    if (!ops.ok() || ops->empty()) return false;
    program_script = Script::from_span(ops->back().data);
  }
  auto wp = program_script.witness_program();
  if (!wp) return input.witness.empty();
  if (wp->version == 0 && wp->program.size() == 32) {
    if (input.witness.empty()) return false;
    if (input.witness.back().size() > MAX_STANDARD_P2WSH_SCRIPT_SIZE) return false;
    if (input.witness.size() - 1 > MAX_STANDARD_P2WSH_STACK_ITEMS) return false;
    for (size_t i = 0; i + 1 < input.witness.size(); ++i) {
      if (input.witness[i].size() > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE) return false;
    }
  }
  return true;
}

}  // namespace fulgur::bitcoin
