// Interpreter support: script numbers, signature encoding rules (BIP 66, low S, defined
// hash types), the transaction signature checker (BIP 143 and legacy hashes, BIP 65
// locktime and BIP 112 sequence checks) and the legacy signature hash.
#include <algorithm>
#include <limits>

#include "bitcoin/interpreter.h"
#include "bitcoin/serialize.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

namespace fulgur::bitcoin {

Result<ScriptNum, ScriptError> ScriptNum::decode(ByteSpan bytes, bool require_minimal,
                                                 size_t max_size) {
  if (bytes.size() > max_size) return Unexpected<ScriptError>{ScriptError::UnknownError};
  if (require_minimal && !bytes.empty()) {
    // The last byte may only be 0x00 or 0x80 when the byte before needs its top bit.
    if ((bytes.back() & 0x7f) == 0 && (bytes.size() <= 1 || (bytes[bytes.size() - 2] & 0x80) == 0)) {
      return Unexpected<ScriptError>{ScriptError::UnknownError};
    }
  }
  if (bytes.empty()) return ScriptNum(0);
  int64_t result = 0;
  for (size_t i = 0; i < bytes.size(); ++i) result |= static_cast<int64_t>(bytes[i]) << (8 * i);
  if (bytes.back() & 0x80) {
    int64_t sign_bit = int64_t{0x80} << (8 * (bytes.size() - 1));
    return ScriptNum(-(result & ~sign_bit));
  }
  return ScriptNum(result);
}

Bytes ScriptNum::encode(int64_t value) {
  Bytes out;
  if (value == 0) return out;
  bool negative = value < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  while (magnitude != 0) {
    out.push_back(static_cast<uint8_t>(magnitude & 0xff));
    magnitude >>= 8;
  }
  if (out.back() & 0x80) {
    out.push_back(negative ? 0x80 : 0x00);
  } else if (negative) {
    out.back() |= 0x80;
  }
  return out;
}

int32_t ScriptNum::to_int() const {
  if (m_value > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (m_value < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(m_value);
}

bool cast_to_bool(ByteSpan value) {
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != 0) return !(i == value.size() - 1 && value[i] == 0x80);
  }
  return false;
}

// BIP 66: 0x30 len 0x02 lenR R 0x02 lenS S hashtype, with R and S minimal, positive
// big-endian integers and the lengths consistent with the total (9 to 73 bytes).
bool is_valid_signature_encoding(ByteSpan sig) {
  const size_t size = sig.size();
  if (size < 9 || size > 73) return false;
  if (sig[0] != 0x30 || sig[1] != size - 3) return false;
  const size_t len_r = sig[3];
  if (5 + len_r >= size) return false;
  const size_t len_s = sig[5 + len_r];
  if (len_r + len_s + 7 != size) return false;
  if (sig[2] != 0x02 || len_r == 0 || (sig[4] & 0x80) != 0) return false;
  if (len_r > 1 && sig[4] == 0x00 && (sig[5] & 0x80) == 0) return false;
  if (sig[len_r + 4] != 0x02 || len_s == 0 || (sig[len_r + 6] & 0x80) != 0) return false;
  if (len_s > 1 && sig[len_r + 6] == 0x00 && (sig[len_r + 7] & 0x80) == 0) return false;
  return true;
}

bool SignatureChecker::check_ecdsa(ByteSpan, ByteSpan, ByteSpan, SigVersion) const {
  return false;
}
bool SignatureChecker::check_locktime(int64_t) const { return false; }
bool SignatureChecker::check_sequence(int64_t) const { return false; }

TxSignatureChecker::TxSignatureChecker(const Transaction& tx, size_t input_index, Sat amount,
                                       const PrecomputedTxData* cache)
    : m_tx(tx), m_index(input_index), m_amount(amount), m_cache(cache) {
  FULGUR_REQUIRE(input_index < tx.inputs.size());
}

bool TxSignatureChecker::check_ecdsa(ByteSpan sig_with_hashtype, ByteSpan pubkey,
                                     ByteSpan script_code, SigVersion version) const {
  auto key = crypto::PublicKey::parse(pubkey);
  if (!key.ok() || sig_with_hashtype.empty()) return false;
  uint32_t hash_type = sig_with_hashtype.back();
  auto sig = crypto::Signature::from_der(sig_with_hashtype.first(sig_with_hashtype.size() - 1));
  if (!sig.ok()) return false;
  Hash256 digest;
  switch (version) {
    case SigVersion::WitnessV0:
      if (!m_cache && !m_own_cache) m_own_cache.emplace(m_tx);
      digest = segwit_v0_sighash(m_tx, m_index, script_code, m_amount, hash_type,
                                 m_cache ? *m_cache : *m_own_cache);
      break;
    case SigVersion::Base:
      digest = legacy_sighash(m_tx, m_index, Script::from_span(script_code), hash_type);
      break;
  }
  // Consensus accepts high-S signatures; LOW_S is checked (as policy) before this.
  return crypto::verify(*key, digest, sig->normalized());
}

// BIP 65: the transaction's nLockTime must be of the same kind (height or time) as the
// script's and at least as large, and the input must not be final.
bool TxSignatureChecker::check_locktime(int64_t locktime) const {
  const int64_t tx_locktime = m_tx.locktime;
  const bool both_heights = locktime < LOCKTIME_THRESHOLD && tx_locktime < LOCKTIME_THRESHOLD;
  const bool both_times = locktime >= LOCKTIME_THRESHOLD && tx_locktime >= LOCKTIME_THRESHOLD;
  if (!both_heights && !both_times) return false;
  if (locktime > tx_locktime) return false;
  return m_tx.inputs[m_index].sequence != SEQUENCE_FINAL;
}

// BIP 112: relative locks need version 2, an input sequence with the lock enabled, the same
// kind (blocks or time) and at least the script's value.
bool TxSignatureChecker::check_sequence(int64_t sequence) const {
  const int64_t tx_sequence = m_tx.inputs[m_index].sequence;
  if (static_cast<uint32_t>(m_tx.version) < 2) return false;
  if (tx_sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) return false;
  const int64_t mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
  const int64_t tx_masked = tx_sequence & mask;
  const int64_t masked = sequence & mask;
  const bool both_blocks =
      tx_masked < SEQUENCE_LOCKTIME_TYPE_FLAG && masked < SEQUENCE_LOCKTIME_TYPE_FLAG;
  const bool both_times =
      tx_masked >= SEQUENCE_LOCKTIME_TYPE_FLAG && masked >= SEQUENCE_LOCKTIME_TYPE_FLAG;
  if (!both_blocks && !both_times) return false;
  return masked <= tx_masked;
}

namespace {
// The script code without its OP_CODESEPARATORs, as the legacy hash serializes it.
Bytes without_codeseparators(const Script& script) {
  Bytes out;
  out.reserve(script.size());
  size_t pos = 0;
  size_t start = 0;
  ScriptOp op;
  ByteSpan s = script.span();
  while (pos < s.size()) {
    size_t before = pos;
    bool ok = next_op(s, pos, op);
    if (ok && op.opcode == OP_CODESEPARATOR) {
      out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(start),
                 s.begin() + static_cast<std::ptrdiff_t>(before));
      start = pos;
    }
    if (!ok) break;
  }
  out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(start), s.end());
  return out;
}
}  // namespace

Hash256 legacy_sighash(const Transaction& tx, size_t input_index, const Script& script_code,
                       uint32_t hash_type) {
  FULGUR_REQUIRE(input_index < tx.inputs.size());
  const uint32_t base = hash_type & 0x1f;
  const bool anyone_can_pay = (hash_type & SIGHASH_ANYONECANPAY) != 0;
  if (base == SIGHASH_SINGLE && input_index >= tx.outputs.size()) {
    return Hash256(std::array<uint8_t, 32>{1});  // the historical "one" hash
  }
  const Bytes code = without_codeseparators(script_code);
  Writer w;
  w.i32(tx.version);
  w.compact_size(anyone_can_pay ? 1 : tx.inputs.size());
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    if (anyone_can_pay && i != input_index) continue;
    const TxIn& in = tx.inputs[i];
    w.bytes(in.prevout.txid.span());
    w.u32(in.prevout.vout);
    w.var_bytes(i == input_index ? ByteSpan(code) : ByteSpan());
    bool zero_sequence = i != input_index && (base == SIGHASH_NONE || base == SIGHASH_SINGLE);
    w.u32(zero_sequence ? 0 : in.sequence);
  }
  size_t n_outputs = base == SIGHASH_NONE     ? 0
                     : base == SIGHASH_SINGLE ? input_index + 1
                                              : tx.outputs.size();
  w.compact_size(n_outputs);
  for (size_t i = 0; i < n_outputs; ++i) {
    if (base == SIGHASH_SINGLE && i != input_index) {
      w.u64(0xffffffffffffffffULL);  // a "null" output: value -1, empty script
      w.compact_size(0);
    } else {
      w.u64(tx.outputs[i].amount.value());
      w.var_bytes(tx.outputs[i].script_pubkey.span());
    }
  }
  w.u32(tx.locktime);
  w.u32(hash_type);
  return crypto::sha256d(w.out());
}

}  // namespace fulgur::bitcoin
