// BIP 143 SIGHASH_ALL for P2WPKH. TODO(spec): interim until lib/bitcoin's sighash lands on
// main; then this file forwards to it.
#include "sighash_glue.h"

#include "bitcoin/serialize.h"
#include "crypto/hash.h"

namespace fulgur::l1sim {

Hash256 p2wpkh_sighash_all(const bitcoin::Transaction& tx, size_t input,
                           const std::array<uint8_t, 33>& pubkey, Sat amount) {
  bitcoin::Writer prevouts, sequences, outputs;
  for (const auto& in : tx.inputs) {
    prevouts.bytes(in.prevout.txid.span());
    prevouts.u32(in.prevout.vout);
    sequences.u32(in.sequence);
  }
  for (const auto& out : tx.outputs) {
    outputs.u64(out.amount.value());
    outputs.var_bytes(out.script_pubkey.span());
  }
  Hash160 key_hash = crypto::hash160(pubkey);
  bitcoin::Script code;
  code.push_opcode(bitcoin::OP_DUP).push_opcode(bitcoin::OP_HASH160).push_data(key_hash.span());
  code.push_opcode(bitcoin::OP_EQUALVERIFY).push_opcode(bitcoin::OP_CHECKSIG);
  const auto& in = tx.inputs[input];
  bitcoin::Writer w;
  w.i32(tx.version);
  w.bytes(crypto::sha256d(prevouts.out()).span());
  w.bytes(crypto::sha256d(sequences.out()).span());
  w.bytes(in.prevout.txid.span());
  w.u32(in.prevout.vout);
  w.var_bytes(code.span());
  w.u64(amount.value());
  w.u32(in.sequence);
  w.bytes(crypto::sha256d(outputs.out()).span());
  w.u32(tx.locktime);
  w.u32(1);  // SIGHASH_ALL
  return crypto::sha256d(w.out());
}

}  // namespace fulgur::l1sim
