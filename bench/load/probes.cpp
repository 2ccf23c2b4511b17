// The wrappers (the linker sends calls of <name> to __wrap_<name>, which times the library's
// __real_<name>) and the measurement of the crypto operations' cost.
#include "probes.h"

#include <lmdb.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <time.h>

#include <atomic>
#include <vector>

#include "crypto/hash.h"
#include "crypto/keys.h"

namespace fulgur::load {

namespace {
// Relaxed counters: read when the loop is idle; only the totals matter.
struct AtomicTally {
  std::atomic<uint64_t> n{0};
  std::atomic<uint64_t> ns{0};
  std::atomic<uint64_t> bytes{0};
};
AtomicTally g_tallies[OP_COUNT];

uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

// Times one call of `fn` under `op`.
template <typename F>
auto timed(Op op, F&& fn, uint64_t bytes = 0) {
  uint64_t start = now_ns();
  auto r = fn();
  auto& t = g_tallies[static_cast<int>(op)];
  t.n.fetch_add(1, std::memory_order_relaxed);
  t.ns.fetch_add(now_ns() - start, std::memory_order_relaxed);
  t.bytes.fetch_add(bytes, std::memory_order_relaxed);
  return r;
}

const char* to_string(Op op) {
  switch (op) {
    case Op::Sign: return "sign";
    case Op::Verify: return "verify";
    case Op::Ecdh: return "ecdh";
    case Op::PubkeyCreate: return "pubkey_create";
    case Op::TweakAdd: return "tweak_add";
    case Op::TweakMul: return "tweak_mul";
    case Op::PubkeyParse: return "pubkey_parse";
    case Op::LmdbPut: return "lmdb_put";
    case Op::LmdbCommit: return "lmdb_commit";
  }
  return "?";
}

Probes probes() {
  Probes p;
  for (int i = 0; i < OP_COUNT; ++i) {
    p.ops[i] = {g_tallies[i].n.load(std::memory_order_relaxed),
                g_tallies[i].ns.load(std::memory_order_relaxed),
                g_tallies[i].bytes.load(std::memory_order_relaxed)};
  }
  return p;
}

namespace {
// Microseconds per call of `fn(i)`, run for about `each`.
template <typename F>
double per_call_us(std::chrono::milliseconds each, F&& fn) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto until = start + each;
  uint64_t n = 0;
  auto now = start;
  while (now < until) {
    for (int i = 0; i < 32; ++i) fn(n++);
    now = Clock::now();
  }
  return std::chrono::duration<double, std::micro>(now - start).count() / static_cast<double>(n);
}
}  // namespace

CryptoCosts measure_crypto_costs(std::chrono::milliseconds each) {
  using namespace fulgur::crypto;
  SecretKey key = SecretKey::random();
  PublicKey pub = key.public_key();
  PublicKey other = SecretKey::random().public_key();
  auto other_bytes = other.serialize();
  // Distinct digests, so that no call repeats the previous one.
  std::vector<Hash256> digests;
  std::vector<Signature> sigs;
  for (int i = 0; i < 64; ++i) {
    uint8_t b = static_cast<uint8_t>(i);
    digests.push_back(sha256(ByteSpan(&b, 1)));
    sigs.push_back(sign(key, digests.back()));
  }
  Hash256 tweak = sha256(as_bytes("tweak"));
  volatile uint64_t sink = 0;
  auto add = [&](uint64_t v) { sink = sink + v; };
  CryptoCosts c;
  auto set = [&](Op op, double us) { c.us[static_cast<int>(op)] = us; };
  set(Op::Sign, per_call_us(each, [&](uint64_t i) { add(sign(key, digests[i % 64]).is_low_s()); }));
  set(Op::Verify,
      per_call_us(each, [&](uint64_t i) { add(verify(pub, digests[i % 64], sigs[i % 64])); }));
  set(Op::Ecdh, per_call_us(each, [&](uint64_t) { add(ecdh(key, other).expose()[0]); }));
  set(Op::PubkeyCreate, per_call_us(each, [&](uint64_t) { add(key.public_key().serialize()[1]); }));
  set(Op::TweakAdd, per_call_us(each, [&](uint64_t) { add(other.tweak_add(tweak.span()).ok()); }));
  set(Op::TweakMul, per_call_us(each, [&](uint64_t) { add(other.tweak_mul(tweak.span()).ok()); }));
  set(Op::PubkeyParse,
      per_call_us(each, [&](uint64_t) { add(PublicKey::parse(other_bytes).ok()); }));
  return c;
}

}  // namespace fulgur::load

// ---- the wrappers (CMakeLists.txt: -Wl,--wrap=<name>) ----
using fulgur::load::Op;
using fulgur::load::timed;

extern "C" {
int __real_secp256k1_ecdsa_sign(const secp256k1_context*, secp256k1_ecdsa_signature*,
                                const unsigned char*, const unsigned char*,
                                secp256k1_nonce_function, const void*);
int __real_secp256k1_ecdsa_verify(const secp256k1_context*, const secp256k1_ecdsa_signature*,
                                  const unsigned char*, const secp256k1_pubkey*);
int __real_secp256k1_ecdh(const secp256k1_context*, unsigned char*, const secp256k1_pubkey*,
                          const unsigned char*, secp256k1_ecdh_hash_function, void*);
int __real_secp256k1_ec_pubkey_create(const secp256k1_context*, secp256k1_pubkey*,
                                      const unsigned char*);
int __real_secp256k1_ec_pubkey_tweak_add(const secp256k1_context*, secp256k1_pubkey*,
                                         const unsigned char*);
int __real_secp256k1_ec_pubkey_tweak_mul(const secp256k1_context*, secp256k1_pubkey*,
                                         const unsigned char*);
int __real_secp256k1_ec_pubkey_parse(const secp256k1_context*, secp256k1_pubkey*,
                                     const unsigned char*, size_t);
int __real_mdb_txn_commit(MDB_txn*);
int __real_mdb_put(MDB_txn*, MDB_dbi, MDB_val*, MDB_val*, unsigned int);

int __wrap_secp256k1_ecdsa_sign(const secp256k1_context* ctx, secp256k1_ecdsa_signature* sig,
                                const unsigned char* msg, const unsigned char* key,
                                secp256k1_nonce_function noncefp, const void* ndata) {
  return timed(Op::Sign,
               [&] { return __real_secp256k1_ecdsa_sign(ctx, sig, msg, key, noncefp, ndata); });
}
int __wrap_secp256k1_ecdsa_verify(const secp256k1_context* ctx,
                                  const secp256k1_ecdsa_signature* sig, const unsigned char* msg,
                                  const secp256k1_pubkey* pub) {
  return timed(Op::Verify, [&] { return __real_secp256k1_ecdsa_verify(ctx, sig, msg, pub); });
}
int __wrap_secp256k1_ecdh(const secp256k1_context* ctx, unsigned char* out,
                          const secp256k1_pubkey* pub, const unsigned char* key,
                          secp256k1_ecdh_hash_function hashfp, void* data) {
  return timed(Op::Ecdh, [&] { return __real_secp256k1_ecdh(ctx, out, pub, key, hashfp, data); });
}
int __wrap_secp256k1_ec_pubkey_create(const secp256k1_context* ctx, secp256k1_pubkey* pub,
                                      const unsigned char* key) {
  return timed(Op::PubkeyCreate, [&] { return __real_secp256k1_ec_pubkey_create(ctx, pub, key); });
}
int __wrap_secp256k1_ec_pubkey_tweak_add(const secp256k1_context* ctx, secp256k1_pubkey* pub,
                                         const unsigned char* tweak) {
  return timed(Op::TweakAdd, [&] { return __real_secp256k1_ec_pubkey_tweak_add(ctx, pub, tweak); });
}
int __wrap_secp256k1_ec_pubkey_tweak_mul(const secp256k1_context* ctx, secp256k1_pubkey* pub,
                                         const unsigned char* tweak) {
  return timed(Op::TweakMul, [&] { return __real_secp256k1_ec_pubkey_tweak_mul(ctx, pub, tweak); });
}
int __wrap_secp256k1_ec_pubkey_parse(const secp256k1_context* ctx, secp256k1_pubkey* pub,
                                     const unsigned char* in, size_t len) {
  return timed(Op::PubkeyParse,
               [&] { return __real_secp256k1_ec_pubkey_parse(ctx, pub, in, len); });
}
int __wrap_mdb_put(MDB_txn* txn, MDB_dbi dbi, MDB_val* key, MDB_val* value, unsigned int flags) {
  return timed(
      Op::LmdbPut, [&] { return __real_mdb_put(txn, dbi, key, value, flags); },
      key->mv_size + value->mv_size);
}
int __wrap_mdb_txn_commit(MDB_txn* txn) {
  return timed(Op::LmdbCommit, [&] { return __real_mdb_txn_commit(txn); });
}
}
