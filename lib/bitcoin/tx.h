// Bitcoin transactions with and without witness: outpoints, inputs, outputs, serialization,
// strict parsing, txid/wtxid, weight and virtual size.
#pragma once

#include <cstdint>
#include <vector>

#include "bitcoin/script.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"

namespace fulgur::bitcoin {

inline constexpr uint32_t SEQUENCE_FINAL = 0xffffffff;
inline constexpr int WITNESS_SCALE_FACTOR = 4;
// 21 million bitcoin, in satoshis.
inline constexpr Sat MAX_MONEY{2'100'000'000'000'000ULL};

struct OutPoint {
  Txid txid;
  uint32_t vout = 0;

  bool is_null() const { return txid.is_zero() && vout == 0xffffffff; }
  friend auto operator<=>(const OutPoint&, const OutPoint&) = default;
  friend bool operator==(const OutPoint&, const OutPoint&) = default;
};

using Witness = std::vector<Bytes>;

struct TxIn {
  OutPoint prevout;
  Script script_sig;
  uint32_t sequence = SEQUENCE_FINAL;
  Witness witness;

  friend bool operator==(const TxIn&, const TxIn&) = default;
};

struct TxOut {
  Sat amount;
  Script script_pubkey;

  friend bool operator==(const TxOut&, const TxOut&) = default;
};

struct Transaction {
  int32_t version = 2;
  std::vector<TxIn> inputs;
  std::vector<TxOut> outputs;
  uint32_t locktime = 0;

  bool has_witness() const;
  bool is_coinbase() const { return inputs.size() == 1 && inputs[0].prevout.is_null(); }

  // BIP 144 serialization (marker and flag) when any input has a witness.
  Bytes serialize() const;
  // The legacy serialization that the txid commits to.
  Bytes serialize_without_witness() const;

  Txid txid() const;
  Txid wtxid() const;  // equals txid() when there is no witness
  // BIP 141: base size * 3 + total size.
  uint64_t weight() const;
  uint64_t vsize() const { return (weight() + WITNESS_SCALE_FACTOR - 1) / WITNESS_SCALE_FACTOR; }

  friend bool operator==(const Transaction&, const Transaction&) = default;
};

struct ParseOptions {
  // Accept the BIP 144 extended form. With it, a transaction with no inputs cannot be told
  // apart from a marker byte, exactly as in Bitcoin Core.
  bool allow_witness = true;
};

// Parses exactly one transaction that must use all of `bytes`. Errors carry Bitcoin Core's
// messages where it has one ("Superfluous witness record", "Unknown transaction optional
// data", "non-canonical ReadCompactSize()").
Result<Transaction> parse_transaction(ByteSpan bytes, ParseOptions options = {});
// Like bitcoind's decoderawtransaction: tries the witness form, then the legacy form.
Result<Transaction> decode_transaction_hex(std::string_view hex);

class Reader;
class Writer;
// For blocks: read/write one transaction in a longer stream.
Result<Transaction> read_transaction(Reader& reader, ParseOptions options = {});
void write_transaction(Writer& writer, const Transaction& tx, bool with_witness);

}  // namespace fulgur::bitcoin
