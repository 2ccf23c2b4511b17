// BOLT 3 Appendix D: per-commitment secret generation and every compact-storage sequence,
// plus lookups of earlier secrets and the persisted form.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "channel/shachain.h"
#include "support/vectors.h"

using namespace fulgur;
using namespace fulgur::channel;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace {
crypto::Secret32 secret32(std::string_view hex) {
  Bytes raw = unhex(hex);
  EXPECT_EQ(raw.size(), 32u);
  raw.resize(32);
  return crypto::Secret32(std::span<const uint8_t, 32>(raw.data(), 32));
}
std::string hex_of(const crypto::Secret32& s) { return to_hex(s.expose()); }
crypto::Secret32 seed_of(uint8_t byte) {
  std::array<uint8_t, 32> raw;
  raw.fill(byte);
  return crypto::Secret32(raw);
}
}  // namespace

TEST(Shachain, GenerationVectors) {
  auto v = load_vectors("bolt03/per-commitment-secret.json");
  ASSERT_EQ(v["generation"].size(), 5u);
  for (const auto& t : v["generation"]) {
    auto out = generate_from_seed(secret32(t["seed"].get<std::string>()), t["I"].get<uint64_t>());
    EXPECT_EQ(hex_of(out), t["output"].get<std::string>()) << t["name"];
  }
}

TEST(Shachain, StorageVectors) {
  auto v = load_vectors("bolt03/per-commitment-secret.json");
  ASSERT_EQ(v["storage"].size(), 9u);
  for (const auto& t : v["storage"]) {
    ShachainStore store;
    for (const auto& ins : t["inserts"]) {
      auto status = store.insert(ins["I"].get<uint64_t>(), secret32(ins["secret"].get<std::string>()));
      bool expect_ok = ins["output"].get<std::string>() == "OK";
      EXPECT_EQ(status.ok(), expect_ok) << t["name"] << " at I=" << ins["I"];
      if (!status.ok()) {
        EXPECT_EQ(status.error().action, PeerAction::FailChannel);
      }
    }
  }
}

TEST(Shachain, RejectsOutOfOrderIndexes) {
  auto seed = seed_of(0xff);
  ShachainStore store;
  EXPECT_FALSE(store.insert(SHACHAIN_MAX_INDEX - 1, generate_from_seed(seed, SHACHAIN_MAX_INDEX - 1)).ok());
  EXPECT_TRUE(store.insert(SHACHAIN_MAX_INDEX, generate_from_seed(seed, SHACHAIN_MAX_INDEX)).ok());
  EXPECT_FALSE(store.insert(SHACHAIN_MAX_INDEX, generate_from_seed(seed, SHACHAIN_MAX_INDEX)).ok());
  EXPECT_FALSE(store.insert(SHACHAIN_MAX_INDEX - 2, generate_from_seed(seed, SHACHAIN_MAX_INDEX - 2)).ok());
  EXPECT_EQ(store.count(), 1u);
  EXPECT_EQ(store.next_index(), SHACHAIN_MAX_INDEX - 1);
}

TEST(Shachain, DerivesEveryEarlierSecretAndRoundTrips) {
  auto seed = seed_of(0x42);
  ShachainStore store;
  constexpr uint64_t N = 1000;
  for (uint64_t n = 0; n < N; ++n) {
    uint64_t index = shachain_index(n);
    ASSERT_TRUE(store.insert(index, generate_from_seed(seed, index)).ok()) << n;
  }
  for (uint64_t n = 0; n < N; ++n) {
    auto got = store.secret_at(shachain_index(n));
    ASSERT_TRUE(got.has_value()) << n;
    EXPECT_TRUE(*got == generate_from_seed(seed, shachain_index(n))) << n;
  }
  EXPECT_FALSE(store.secret_at(shachain_index(N)).has_value());

  Bytes saved = store.to_bytes();
  EXPECT_EQ(saved.size(), ShachainStore::SERIALIZED_SIZE);
  auto loaded = ShachainStore::from_bytes(saved);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->count(), N);
  EXPECT_EQ(loaded->to_bytes(), saved);
  auto next = shachain_index(N);
  EXPECT_TRUE(loaded->insert(next, generate_from_seed(seed, next)).ok());

  // A flipped bit in a stored secret that a higher bucket derives is caught when loading
  // (the highest bucket has nothing above it to check it against).
  for (size_t pos : {16ul, 8ul + 40 * 3 + 20, 8ul + 40 * 1 + 39}) {
    Bytes bad = saved;
    bad[pos] ^= 1;
    EXPECT_FALSE(ShachainStore::from_bytes(bad).ok()) << pos;
  }
  EXPECT_FALSE(ShachainStore::from_bytes(Bytes(saved.begin(), saved.end() - 1)).ok());
}

RC_GTEST_PROP(Shachain, ForeignSecretRejected, (uint8_t seed_byte, uint8_t count)) {
  auto seed = seed_of(seed_byte);
  ShachainStore store;
  uint64_t n = 0;
  for (; n < count; ++n) {
    RC_ASSERT(store.insert(shachain_index(n), generate_from_seed(seed, shachain_index(n))).ok());
  }
  // A secret from another seed must be rejected unless nothing it would have to derive is
  // stored (its bucket is 0, i.e. an odd index: that is the only case the spec cannot check).
  uint64_t index = shachain_index(n);
  auto other = generate_from_seed(seed_of(static_cast<uint8_t>(seed_byte + 1)), index);
  bool checkable = n > 0 && (index & 1) == 0;
  RC_ASSERT(store.insert(index, other).ok() == !checkable);
}
