// BIP 143 signature hashing.
#include "bitcoin/sighash.h"

#include "bitcoin/serialize.h"
#include "crypto/hash.h"

namespace fulgur::bitcoin {

namespace {

void write_outpoint(Writer& w, const OutPoint& p) {
  w.bytes(p.txid.span());
  w.u32(p.vout);
}

void write_output(Writer& w, const TxOut& out) {
  w.u64(out.amount.value());
  w.var_bytes(out.script_pubkey.span());
}

}  // namespace

PrecomputedTxData::PrecomputedTxData(const Transaction& tx) {
  Writer prevouts;
  Writer sequences;
  for (const auto& in : tx.inputs) {
    write_outpoint(prevouts, in.prevout);
    sequences.u32(in.sequence);
  }
  Writer outputs;
  for (const auto& out : tx.outputs) write_output(outputs, out);
  hash_prevouts = crypto::sha256d(prevouts.out());
  hash_sequence = crypto::sha256d(sequences.out());
  hash_outputs = crypto::sha256d(outputs.out());
}

Hash256 segwit_v0_sighash(const Transaction& tx, size_t input_index, ByteSpan script_code,
                          Sat amount, uint32_t hash_type, const PrecomputedTxData& cache) {
  FULGUR_REQUIRE(input_index < tx.inputs.size());
  const bool anyone_can_pay = (hash_type & SIGHASH_ANYONECANPAY) != 0;
  const uint32_t base = hash_type & 0x1f;
  const bool single = base == SIGHASH_SINGLE;
  const bool none = base == SIGHASH_NONE;

  // BIP 143: hashPrevouts is zero with ANYONECANPAY; hashSequence is zero with
  // ANYONECANPAY, SINGLE or NONE; hashOutputs commits to all outputs unless SINGLE or NONE,
  // to the output at the input's index with SINGLE (zero if there is none), else zero.
  Hash256 hash_prevouts = anyone_can_pay ? Hash256{} : cache.hash_prevouts;
  Hash256 hash_sequence = (anyone_can_pay || single || none) ? Hash256{} : cache.hash_sequence;
  Hash256 hash_outputs;
  if (!single && !none) {
    hash_outputs = cache.hash_outputs;
  } else if (single && input_index < tx.outputs.size()) {
    Writer one;
    write_output(one, tx.outputs[input_index]);
    hash_outputs = crypto::sha256d(one.out());
  }

  const TxIn& in = tx.inputs[input_index];
  Writer w;
  w.out().reserve(160 + script_code.size());
  w.i32(tx.version);
  w.bytes(hash_prevouts.span());
  w.bytes(hash_sequence.span());
  write_outpoint(w, in.prevout);
  w.var_bytes(script_code);
  w.u64(amount.value());
  w.u32(in.sequence);
  w.bytes(hash_outputs.span());
  w.u32(tx.locktime);
  w.u32(hash_type);
  return crypto::sha256d(w.out());
}

Hash256 segwit_v0_sighash(const Transaction& tx, size_t input_index, ByteSpan script_code,
                          Sat amount, uint32_t hash_type) {
  return segwit_v0_sighash(tx, input_index, script_code, amount, hash_type,
                           PrecomputedTxData(tx));
}

Script p2wpkh_script_code(const Hash160& key_hash) { return p2pkh(key_hash); }

}  // namespace fulgur::bitcoin
