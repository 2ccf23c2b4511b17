// What a node process spends on the two things a payment cannot avoid: elliptic-curve
// operations (counted and timed at libsecp256k1's entry points) and durable LMDB commits
// (mdb_txn_commit, which includes the fsync). The linker sends those calls here (--wrap,
// see CMakeLists.txt), so lib/crypto, lib/store and channeld are measured without a change.
// Also: the cost of each operation measured on this machine, for the crypto-bound limit.
#pragma once

#include <chrono>
#include <cstdint>

namespace fulgur::load {

// How often something ran and how long it took in total (wall time inside the call).
struct Tally {
  uint64_t n = 0;
  uint64_t ns = 0;
  uint64_t bytes = 0;  // LmdbPut: the values' sizes
  Tally operator-(const Tally& o) const { return {n - o.n, ns - o.ns, bytes - o.bytes}; }
};

enum class Op : int {
  Sign,          // ECDSA signature made
  Verify,        // ECDSA signature checked
  Ecdh,          // shared secret (onion, BOLT 8 handshakes)
  PubkeyCreate,  // k*G (per-commitment points, keys)
  TweakAdd,      // P + t*G (BOLT 3 key derivation)
  TweakMul,      // t*P (revocation keys, onion blinding)
  PubkeyParse,   // compressed point decoding (a square root)
  LmdbPut,       // mdb_put: one record into a write transaction
  LmdbCommit,    // mdb_txn_commit: the write and its fsync
};
constexpr int OP_COUNT = 9;
const char* to_string(Op op);
constexpr bool is_crypto(Op op) {
  return op != Op::LmdbPut && op != Op::LmdbCommit;
}

struct Probes {
  Tally ops[OP_COUNT];
  const Tally& operator[](Op op) const { return ops[static_cast<int>(op)]; }
  Probes operator-(const Probes& o) const {
    Probes r;
    for (int i = 0; i < OP_COUNT; ++i) r.ops[i] = ops[i] - o.ops[i];
    return r;
  }
};

// Everything counted so far in this process.
Probes probes();

// Microseconds per operation on this machine, one core, for the crypto operations.
struct CryptoCosts {
  double us[OP_COUNT] = {};
  double operator[](Op op) const { return us[static_cast<int>(op)]; }
};

// Runs each crypto operation for about `each` of wall time.
CryptoCosts measure_crypto_costs(std::chrono::milliseconds each);

}  // namespace fulgur::load
