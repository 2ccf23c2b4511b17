// Script error messages and names, and verification flag names, as Bitcoin Core has them.
#include "bitcoin/script_error.h"

#include <array>
#include <string>

namespace fulgur::bitcoin {

namespace {

struct ErrorText {
  ScriptError error;
  const char* name;
  const char* message;
};

constexpr std::array<ErrorText, 43> ERRORS = {{
    {ScriptError::Ok, "OK", "No error"},
    {ScriptError::UnknownError, "UNKNOWN_ERROR", "unknown error"},
    {ScriptError::EvalFalse, "EVAL_FALSE",
     "Script evaluated without error but finished with a false/empty top stack element"},
    {ScriptError::OpReturn, "OP_RETURN", "OP_RETURN was encountered"},
    {ScriptError::ScriptSize, "SCRIPT_SIZE", "Script is too big"},
    {ScriptError::PushSize, "PUSH_SIZE", "Push value size limit exceeded"},
    {ScriptError::OpCount, "OP_COUNT", "Operation limit exceeded"},
    {ScriptError::StackSize, "STACK_SIZE", "Stack size limit exceeded"},
    {ScriptError::SigCount, "SIG_COUNT", "Signature count negative or greater than pubkey count"},
    {ScriptError::PubkeyCount, "PUBKEY_COUNT", "Pubkey count negative or limit exceeded"},
    {ScriptError::Verify, "VERIFY", "Script failed an OP_VERIFY operation"},
    {ScriptError::EqualVerify, "EQUALVERIFY", "Script failed an OP_EQUALVERIFY operation"},
    {ScriptError::CheckMultisigVerify, "CHECKMULTISIGVERIFY",
     "Script failed an OP_CHECKMULTISIGVERIFY operation"},
    {ScriptError::CheckSigVerify, "CHECKSIGVERIFY", "Script failed an OP_CHECKSIGVERIFY operation"},
    {ScriptError::NumEqualVerify, "NUMEQUALVERIFY", "Script failed an OP_NUMEQUALVERIFY operation"},
    {ScriptError::BadOpcode, "BAD_OPCODE", "Opcode missing or not understood"},
    {ScriptError::DisabledOpcode, "DISABLED_OPCODE", "Attempted to use a disabled opcode"},
    {ScriptError::InvalidStackOperation, "INVALID_STACK_OPERATION",
     "Operation not valid with the current stack size"},
    {ScriptError::InvalidAltstackOperation, "INVALID_ALTSTACK_OPERATION",
     "Operation not valid with the current altstack size"},
    {ScriptError::UnbalancedConditional, "UNBALANCED_CONDITIONAL", "Invalid OP_IF construction"},
    {ScriptError::NegativeLocktime, "NEGATIVE_LOCKTIME", "Negative locktime"},
    {ScriptError::UnsatisfiedLocktime, "UNSATISFIED_LOCKTIME", "Locktime requirement not satisfied"},
    {ScriptError::SigHashtype, "SIG_HASHTYPE", "Signature hash type missing or not understood"},
    {ScriptError::SigDer, "SIG_DER", "Non-canonical DER signature"},
    {ScriptError::MinimalData, "MINIMALDATA", "Data push larger than necessary"},
    {ScriptError::SigPushOnly, "SIG_PUSHONLY", "Only push operators allowed in signatures"},
    {ScriptError::SigHighS, "SIG_HIGH_S",
     "Non-canonical signature: S value is unnecessarily high"},
    {ScriptError::SigNullDummy, "SIG_NULLDUMMY", "Dummy CHECKMULTISIG argument must be zero"},
    {ScriptError::PubkeyType, "PUBKEYTYPE", "Public key is neither compressed or uncompressed"},
    {ScriptError::CleanStack, "CLEANSTACK", "Stack size must be exactly one after execution"},
    {ScriptError::MinimalIf, "MINIMALIF", "OP_IF/NOTIF argument must be minimal"},
    {ScriptError::SigNullFail, "NULLFAIL",
     "Signature must be zero for failed CHECK(MULTI)SIG operation"},
    {ScriptError::DiscourageUpgradableNops, "DISCOURAGE_UPGRADABLE_NOPS",
     "NOPx reserved for soft-fork upgrades"},
    {ScriptError::DiscourageUpgradableWitnessProgram, "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
     "Witness version reserved for soft-fork upgrades"},
    {ScriptError::WitnessProgramWrongLength, "WITNESS_PROGRAM_WRONG_LENGTH",
     "Witness program has incorrect length"},
    {ScriptError::WitnessProgramWitnessEmpty, "WITNESS_PROGRAM_WITNESS_EMPTY",
     "Witness program was passed an empty witness"},
    {ScriptError::WitnessProgramMismatch, "WITNESS_PROGRAM_MISMATCH",
     "Witness program hash mismatch"},
    {ScriptError::WitnessMalleated, "WITNESS_MALLEATED", "Witness requires empty scriptSig"},
    {ScriptError::WitnessMalleatedP2sh, "WITNESS_MALLEATED_P2SH",
     "Witness requires only-redeemscript scriptSig"},
    {ScriptError::WitnessUnexpected, "WITNESS_UNEXPECTED",
     "Witness provided for non-witness script"},
    {ScriptError::WitnessPubkeyType, "WITNESS_PUBKEYTYPE", "Using non-compressed keys in segwit"},
    {ScriptError::OpCodeSeparator, "OP_CODESEPARATOR",
     "Using OP_CODESEPARATOR in non-witness script"},
    {ScriptError::SigFindAndDelete, "SIG_FINDANDDELETE", "Signature is found in scriptCode"},
}};

const ErrorText& lookup(ScriptError error) {
  for (const auto& e : ERRORS)
    if (e.error == error) return e;
  return ERRORS[1];
}

struct FlagName {
  const char* name;
  uint32_t flag;
};

constexpr std::array<FlagName, 18> FLAGS = {{
    {"NONE", verify::NONE},
    {"P2SH", verify::P2SH},
    {"STRICTENC", verify::STRICTENC},
    {"DERSIG", verify::DERSIG},
    {"LOW_S", verify::LOW_S},
    {"NULLDUMMY", verify::NULLDUMMY},
    {"SIGPUSHONLY", verify::SIGPUSHONLY},
    {"MINIMALDATA", verify::MINIMALDATA},
    {"DISCOURAGE_UPGRADABLE_NOPS", verify::DISCOURAGE_UPGRADABLE_NOPS},
    {"CLEANSTACK", verify::CLEANSTACK},
    {"CHECKLOCKTIMEVERIFY", verify::CHECKLOCKTIMEVERIFY},
    {"CHECKSEQUENCEVERIFY", verify::CHECKSEQUENCEVERIFY},
    {"WITNESS", verify::WITNESS},
    {"DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM", verify::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM},
    {"MINIMALIF", verify::MINIMALIF},
    {"NULLFAIL", verify::NULLFAIL},
    {"WITNESS_PUBKEYTYPE", verify::WITNESS_PUBKEYTYPE},
    {"CONST_SCRIPTCODE", verify::CONST_SCRIPTCODE},
}};

}  // namespace

const char* script_error_string(ScriptError error) { return lookup(error).message; }
const char* script_error_name(ScriptError error) { return lookup(error).name; }

std::optional<ScriptError> script_error_from_name(std::string_view name) {
  for (const auto& e : ERRORS)
    if (name == e.name) return e.error;
  return std::nullopt;
}

std::optional<uint32_t> verify::parse_flags(std::string_view names) {
  uint32_t flags = 0;
  while (!names.empty()) {
    size_t comma = names.find(',');
    std::string_view name = names.substr(0, comma);
    bool found = false;
    for (const auto& f : FLAGS) {
      if (name == f.name) {
        flags |= f.flag;
        found = true;
      }
    }
    if (!found) return std::nullopt;
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  return flags;
}

}  // namespace fulgur::bitcoin
