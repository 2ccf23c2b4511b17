// Script verification errors and flags, with Bitcoin Core's names and messages, so that
// l1sim can report a rejected input exactly as bitcoind does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fulgur::bitcoin {

enum class ScriptError {
  Ok,
  UnknownError,
  EvalFalse,
  OpReturn,
  ScriptSize,
  PushSize,
  OpCount,
  StackSize,
  SigCount,
  PubkeyCount,
  Verify,
  EqualVerify,
  CheckMultisigVerify,
  CheckSigVerify,
  NumEqualVerify,
  BadOpcode,
  DisabledOpcode,
  InvalidStackOperation,
  InvalidAltstackOperation,
  UnbalancedConditional,
  NegativeLocktime,
  UnsatisfiedLocktime,
  SigHashtype,
  SigDer,
  MinimalData,
  SigPushOnly,
  SigHighS,
  SigNullDummy,
  PubkeyType,
  CleanStack,
  MinimalIf,
  SigNullFail,
  DiscourageUpgradableNops,
  DiscourageUpgradableWitnessProgram,
  WitnessProgramWrongLength,
  WitnessProgramWitnessEmpty,
  WitnessProgramMismatch,
  WitnessMalleated,
  WitnessMalleatedP2sh,
  WitnessUnexpected,
  WitnessPubkeyType,
  OpCodeSeparator,
  SigFindAndDelete,
};

// Bitcoin Core's message, e.g. "Locktime requirement not satisfied".
const char* script_error_string(ScriptError error);
// Bitcoin Core's short name as its script tests spell it, e.g. "UNSATISFIED_LOCKTIME".
const char* script_error_name(ScriptError error);
std::optional<ScriptError> script_error_from_name(std::string_view name);

// Verification flags (Bitcoin Core's SCRIPT_VERIFY_*).
namespace verify {
inline constexpr uint32_t NONE = 0;
inline constexpr uint32_t P2SH = 1u << 0;
inline constexpr uint32_t STRICTENC = 1u << 1;
inline constexpr uint32_t DERSIG = 1u << 2;
inline constexpr uint32_t LOW_S = 1u << 3;
inline constexpr uint32_t NULLDUMMY = 1u << 4;
inline constexpr uint32_t SIGPUSHONLY = 1u << 5;
inline constexpr uint32_t MINIMALDATA = 1u << 6;
inline constexpr uint32_t DISCOURAGE_UPGRADABLE_NOPS = 1u << 7;
inline constexpr uint32_t CLEANSTACK = 1u << 8;
inline constexpr uint32_t CHECKLOCKTIMEVERIFY = 1u << 9;
inline constexpr uint32_t CHECKSEQUENCEVERIFY = 1u << 10;
inline constexpr uint32_t WITNESS = 1u << 11;
inline constexpr uint32_t DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM = 1u << 12;
inline constexpr uint32_t MINIMALIF = 1u << 13;
inline constexpr uint32_t NULLFAIL = 1u << 14;
inline constexpr uint32_t WITNESS_PUBKEYTYPE = 1u << 15;
inline constexpr uint32_t CONST_SCRIPTCODE = 1u << 16;

// Consensus rules a block must follow (bitcoind's MANDATORY_SCRIPT_VERIFY_FLAGS, without
// Taproot, which this interpreter does not validate).
inline constexpr uint32_t MANDATORY =
    P2SH | DERSIG | NULLDUMMY | CHECKLOCKTIMEVERIFY | CHECKSEQUENCEVERIFY | WITNESS;
// What bitcoind's mempool enforces (STANDARD_SCRIPT_VERIFY_FLAGS).
inline constexpr uint32_t STANDARD = MANDATORY | STRICTENC | MINIMALDATA |
                                     DISCOURAGE_UPGRADABLE_NOPS | CLEANSTACK | MINIMALIF |
                                     NULLFAIL | LOW_S | DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM |
                                     WITNESS_PUBKEYTYPE | CONST_SCRIPTCODE;

// Parses Core's comma-separated flag names ("P2SH,WITNESS,..."); nothing on an unknown name.
std::optional<uint32_t> parse_flags(std::string_view names);
}  // namespace verify

}  // namespace fulgur::bitcoin
