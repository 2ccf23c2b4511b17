// Signature hashes: BIP 143 (segwit v0) for every sighash type, with the per-transaction
// parts (hashPrevouts, hashSequence, hashOutputs) computed once and reused for every input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bitcoin/tx.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/units.h"

namespace fulgur::bitcoin {

inline constexpr uint32_t SIGHASH_ALL = 0x01;
inline constexpr uint32_t SIGHASH_NONE = 0x02;
inline constexpr uint32_t SIGHASH_SINGLE = 0x03;
inline constexpr uint32_t SIGHASH_ANYONECANPAY = 0x80;

// The BIP 143 hashes that do not depend on the input being signed. Computing them once per
// transaction makes signing or verifying all inputs O(n) instead of O(n^2).
struct PrecomputedTxData {
  Hash256 hash_prevouts;  // dSHA256 of every input's outpoint
  Hash256 hash_sequence;  // dSHA256 of every input's nSequence
  Hash256 hash_outputs;   // dSHA256 of every output

  explicit PrecomputedTxData(const Transaction& tx);
};

// BIP 143 signature hash of input `input_index` (contract: < inputs.size()) spending
// `amount`, for `script_code` (P2WPKH: the P2PKH script of the key hash; P2WSH: the witness
// script from the last executed OP_CODESEPARATOR on). `hash_type` is the signature's last
// byte, committed as a 4-byte little-endian integer.
Hash256 segwit_v0_sighash(const Transaction& tx, size_t input_index, ByteSpan script_code,
                          Sat amount, uint32_t hash_type, const PrecomputedTxData& cache);
// Same, computing the per-transaction hashes on the spot.
Hash256 segwit_v0_sighash(const Transaction& tx, size_t input_index, ByteSpan script_code,
                          Sat amount, uint32_t hash_type);

// The scriptCode BIP 143 uses for a P2WPKH spend: OP_DUP OP_HASH160 <hash> OP_EQUALVERIFY
// OP_CHECKSIG.
Script p2wpkh_script_code(const Hash160& key_hash);

}  // namespace fulgur::bitcoin
