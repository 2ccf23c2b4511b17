// Transaction serialization (BIP 144) and strict, bounded parsing.
#include "bitcoin/tx.h"

#include <algorithm>

#include "bitcoin/serialize.h"
#include "crypto/hash.h"

namespace fulgur::bitcoin {

namespace {

// Smallest serialized input: outpoint 36, empty script 1, sequence 4.
constexpr size_t MIN_INPUT_SIZE = 41;
// Smallest serialized output: amount 8, empty script 1.
constexpr size_t MIN_OUTPUT_SIZE = 9;

// Never reserve more elements than the remaining bytes could hold.
size_t bounded_reserve(uint64_t count, size_t remaining, size_t min_size) {
  return static_cast<size_t>(std::min<uint64_t>(count, remaining / min_size));
}

Result<std::vector<TxIn>> read_inputs(Reader& r) {
  FULGUR_TRY(uint64_t count, r.compact_size());
  std::vector<TxIn> inputs;
  inputs.reserve(bounded_reserve(count, r.remaining(), MIN_INPUT_SIZE));
  for (uint64_t i = 0; i < count; ++i) {
    TxIn in;
    FULGUR_TRY(ByteSpan txid, r.bytes(32));
    in.prevout.txid = *Txid::from_span(txid);
    FULGUR_TRY(in.prevout.vout, r.u32());
    FULGUR_TRY(Bytes script, r.var_bytes());
    in.script_sig = Script(std::move(script));
    FULGUR_TRY(in.sequence, r.u32());
    inputs.push_back(std::move(in));
  }
  return inputs;
}

Result<std::vector<TxOut>> read_outputs(Reader& r) {
  FULGUR_TRY(uint64_t count, r.compact_size());
  std::vector<TxOut> outputs;
  outputs.reserve(bounded_reserve(count, r.remaining(), MIN_OUTPUT_SIZE));
  for (uint64_t i = 0; i < count; ++i) {
    TxOut out;
    FULGUR_TRY(uint64_t amount, r.u64());
    out.amount = Sat(amount);
    FULGUR_TRY(Bytes script, r.var_bytes());
    out.script_pubkey = Script(std::move(script));
    outputs.push_back(std::move(out));
  }
  return outputs;
}

Result<Witness> read_witness(Reader& r) {
  FULGUR_TRY(uint64_t count, r.compact_size());
  Witness witness;
  witness.reserve(bounded_reserve(count, r.remaining(), 1));
  for (uint64_t i = 0; i < count; ++i) {
    FULGUR_TRY(Bytes item, r.var_bytes());
    witness.push_back(std::move(item));
  }
  return witness;
}

}  // namespace

bool Transaction::has_witness() const {
  return std::any_of(inputs.begin(), inputs.end(),
                     [](const TxIn& in) { return !in.witness.empty(); });
}

void write_transaction(Writer& w, const Transaction& tx, bool with_witness) {
  bool witness = with_witness && tx.has_witness();
  w.i32(tx.version);
  if (witness) {
    w.u8(0x00);  // marker
    w.u8(0x01);  // flag
  }
  w.compact_size(tx.inputs.size());
  for (const auto& in : tx.inputs) {
    w.bytes(in.prevout.txid.span());
    w.u32(in.prevout.vout);
    w.var_bytes(in.script_sig.span());
    w.u32(in.sequence);
  }
  w.compact_size(tx.outputs.size());
  for (const auto& out : tx.outputs) {
    w.u64(out.amount.value());
    w.var_bytes(out.script_pubkey.span());
  }
  if (witness) {
    for (const auto& in : tx.inputs) {
      w.compact_size(in.witness.size());
      for (const auto& item : in.witness) w.var_bytes(item);
    }
  }
  w.u32(tx.locktime);
}

Bytes Transaction::serialize() const {
  Writer w;
  write_transaction(w, *this, true);
  return w.take();
}

Bytes Transaction::serialize_without_witness() const {
  Writer w;
  write_transaction(w, *this, false);
  return w.take();
}

Txid Transaction::txid() const { return Txid(crypto::sha256d(serialize_without_witness()).array()); }

Txid Transaction::wtxid() const { return Txid(crypto::sha256d(serialize()).array()); }

uint64_t Transaction::weight() const {
  uint64_t base = serialize_without_witness().size();
  uint64_t total = has_witness() ? serialize().size() : base;
  return base * (WITNESS_SCALE_FACTOR - 1) + total;
}

Result<Transaction> read_transaction(Reader& r, ParseOptions options) {
  Transaction tx;
  FULGUR_TRY(tx.version, r.i32());
  FULGUR_TRY(tx.inputs, read_inputs(r));
  uint8_t flags = 0;
  if (tx.inputs.empty() && options.allow_witness) {
    // BIP 144: an empty input list here is the marker; the next byte is the flag.
    FULGUR_TRY(flags, r.u8());
    if (flags != 0) {
      FULGUR_TRY(tx.inputs, read_inputs(r));
      FULGUR_TRY(tx.outputs, read_outputs(r));
    }
  } else {
    FULGUR_TRY(tx.outputs, read_outputs(r));
  }
  if (flags & 1) {
    flags ^= 1;
    for (auto& in : tx.inputs) {
      FULGUR_TRY(in.witness, read_witness(r));
    }
    if (!tx.has_witness()) return fail("Superfluous witness record");
  }
  if (flags != 0) return fail("Unknown transaction optional data");
  FULGUR_TRY(tx.locktime, r.u32());
  return tx;
}

Result<Transaction> parse_transaction(ByteSpan bytes, ParseOptions options) {
  Reader r(bytes);
  FULGUR_TRY(Transaction tx, read_transaction(r, options));
  if (!r.empty()) return fail("transaction has trailing data");
  return tx;
}

Result<Transaction> decode_transaction_hex(std::string_view hex) {
  FULGUR_TRY(Bytes raw, from_hex(hex));
  auto with_witness = parse_transaction(raw, ParseOptions{true});
  if (with_witness.ok()) return with_witness;
  auto legacy = parse_transaction(raw, ParseOptions{false});
  if (legacy.ok()) return legacy;
  return with_witness;
}

}  // namespace fulgur::bitcoin
