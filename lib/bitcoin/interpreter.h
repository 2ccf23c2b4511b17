// The script interpreter: witness v0 (P2WPKH, P2WSH, also nested in P2SH) with Bitcoin
// Core's semantics and its policy flags, plus legacy scripts (P2PKH, P2SH, bare) so any
// input can be checked. Taproot (witness v1) spends are not validated: under STANDARD
// flags they are rejected as an upgradable witness version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitcoin/script.h"
#include "bitcoin/script_error.h"
#include "bitcoin/sighash.h"
#include "bitcoin/tx.h"
#include "common/bytes.h"
#include "common/result.h"

namespace fulgur::bitcoin {

// Consensus and policy limits.
inline constexpr size_t MAX_OPS_PER_SCRIPT = 201;
inline constexpr size_t MAX_PUBKEYS_PER_MULTISIG = 20;
inline constexpr size_t MAX_STACK_SIZE = 1000;
inline constexpr size_t MAX_SCRIPT_NUM_SIZE = 4;
inline constexpr uint32_t LOCKTIME_THRESHOLD = 500'000'000;
inline constexpr uint32_t SEQUENCE_LOCKTIME_DISABLE_FLAG = 1u << 31;
inline constexpr uint32_t SEQUENCE_LOCKTIME_TYPE_FLAG = 1u << 22;
inline constexpr uint32_t SEQUENCE_LOCKTIME_MASK = 0x0000ffff;
// Policy (bitcoind's IsWitnessStandard).
inline constexpr size_t MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3600;
inline constexpr size_t MAX_STANDARD_P2WSH_STACK_ITEMS = 100;
inline constexpr size_t MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80;

enum class SigVersion { Base, WitnessV0 };

using ScriptResult = Result<void, ScriptError>;
using Stack = std::vector<Bytes>;

// Script numbers (CScriptNum): little-endian sign-magnitude, at most `max_size` bytes.
class ScriptNum {
 public:
  explicit ScriptNum(int64_t value) : m_value(value) {}
  // Errors (UnknownError, as Core's scriptnum_error) when too long or, with
  // `require_minimal`, not minimally encoded.
  static Result<ScriptNum, ScriptError> decode(ByteSpan bytes, bool require_minimal,
                                               size_t max_size = MAX_SCRIPT_NUM_SIZE);
  static Bytes encode(int64_t value);
  int64_t value() const { return m_value; }
  // Clamped to int32, as Core's getint().
  int32_t to_int() const;

 private:
  int64_t m_value;
};

// Script truth: any non-zero byte, except a lone sign bit in the last byte (negative zero).
bool cast_to_bool(ByteSpan value);

// What the interpreter needs from the spending transaction: signature, locktime and
// sequence checks. The default (no transaction) fails every signature and lock check.
class SignatureChecker {
 public:
  virtual ~SignatureChecker() = default;
  virtual bool check_ecdsa(ByteSpan sig_with_hashtype, ByteSpan pubkey, ByteSpan script_code,
                           SigVersion version) const;
  virtual bool check_locktime(int64_t locktime) const;
  virtual bool check_sequence(int64_t sequence) const;
};

class TxSignatureChecker : public SignatureChecker {
 public:
  // `cache` may be null; then BIP 143 hashes are computed on first use (and kept).
  TxSignatureChecker(const Transaction& tx, size_t input_index, Sat amount,
                     const PrecomputedTxData* cache);
  bool check_ecdsa(ByteSpan sig_with_hashtype, ByteSpan pubkey, ByteSpan script_code,
                   SigVersion version) const override;
  bool check_locktime(int64_t locktime) const override;
  bool check_sequence(int64_t sequence) const override;

 private:
  const Transaction& m_tx;
  size_t m_index;
  Sat m_amount;
  const PrecomputedTxData* m_cache;
  mutable std::optional<PrecomputedTxData> m_own_cache;
};

// Runs one script on `stack` (Core's EvalScript).
ScriptResult eval_script(Stack& stack, const Script& script, uint32_t flags,
                         const SignatureChecker& checker, SigVersion version);

// Verifies one input the way Core's VerifyScript does: scriptSig, scriptPubKey, P2SH,
// witness programs, CLEANSTACK and WITNESS_UNEXPECTED.
ScriptResult verify_script(const Script& script_sig, const Script& script_pubkey,
                           const Witness& witness, uint32_t flags,
                           const SignatureChecker& checker);

// Verifies input `input_index` of `tx` spending `spent` under `flags`. Pass the same
// `cache` for every input of a transaction to compute the BIP 143 hashes once.
ScriptResult verify_input(const Transaction& tx, size_t input_index, const TxOut& spent,
                          uint32_t flags, const PrecomputedTxData* cache = nullptr);

// How bitcoind's mempool reports an input whose scripts fail: it verifies with STANDARD
// flags and, on failure, again with MANDATORY flags only. A failure under both is a
// consensus failure, "mandatory-script-verify-flag-failed (<message>)"; passing the second
// makes it a policy failure, "non-mandatory-script-verify-flag (<message>)". Both carry the
// message of the STANDARD run's error.
struct MempoolScriptCheck {
  bool ok = true;
  bool mandatory = false;  // the input breaks consensus rules, not only policy
  ScriptError error = ScriptError::Ok;
  std::string reject_reason() const;  // empty when ok
};
MempoolScriptCheck check_input_for_mempool(const Transaction& tx, size_t input_index,
                                           const TxOut& spent,
                                           const PrecomputedTxData* cache = nullptr);

// bitcoind's IsWitnessStandard for one input: P2WSH witness script at most 3600 bytes, at
// most 100 stack items of at most 80 bytes each. False means "bad-witness-nonstandard".
bool is_witness_standard(const TxIn& input, const Script& spent_script_pubkey);

// bitcoind's BIP 66 signature encoding check (DER, with the sighash byte at the end).
bool is_valid_signature_encoding(ByteSpan sig);

// The pre-segwit signature hash (for Base scripts). `script_code` has OP_CODESEPARATORs
// removed here. SINGLE without a matching output gives the historical hash of 1.
Hash256 legacy_sighash(const Transaction& tx, size_t input_index, const Script& script_code,
                       uint32_t hash_type);

}  // namespace fulgur::bitcoin
