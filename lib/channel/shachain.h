// BOLT 3 per-commitment secrets: generation from a seed (the sender's side) and the
// receiver's compact O(log n) storage, which keeps 49 secrets at most, checks that each new
// secret derives every one already stored, and derives any earlier secret on demand.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/secret.h"

namespace fulgur::channel {

// Indexes count down from 2^48 - 1: commitment number n uses index 2^48 - 1 - n.
constexpr uint64_t SHACHAIN_MAX_INDEX = (uint64_t{1} << 48) - 1;
constexpr uint64_t shachain_index(uint64_t commitment_number) {
  return SHACHAIN_MAX_INDEX - commitment_number;
}

// BOLT 3 generate_from_seed(seed, I): for each bit B of I from 47 down to 0 that is set,
// flip bit B of the value and hash it.
crypto::Secret32 generate_from_seed(const crypto::Secret32& seed, uint64_t index);

// The receiver's store of the peer's revealed per-commitment secrets.
class ShachainStore {
 public:
  static constexpr size_t BUCKETS = 49;
  // Serialized: 8-byte big-endian count of inserted secrets, then for each of the 49 buckets
  // its 8-byte index and 32-byte secret (unused buckets are zero). Fixed size.
  static constexpr size_t SERIALIZED_SIZE = 8 + BUCKETS * 40;

  // BOLT 3: the receiving node MUST fail the channel if the secret does not generate the
  // previous ones. Also rejects an index out of order: secrets arrive from 2^48 - 1 down,
  // one at a time, with no gaps.
  Status insert(uint64_t index, const crypto::Secret32& secret);

  // The secret at `index`, if it was inserted or derives from one inserted.
  std::optional<crypto::Secret32> secret_at(uint64_t index) const;

  // The index the next insert must carry (2^48 - 1 before the first), or nothing once
  // index 0 is stored.
  std::optional<uint64_t> next_index() const;
  // How many secrets were inserted so far.
  uint64_t count() const { return m_count; }

  // Persisted form (contains secrets: the caller stores it like one).
  Bytes to_bytes() const;
  // Parses and re-checks the stored secrets against each other; errors on any mismatch.
  static Result<ShachainStore> from_bytes(ByteSpan bytes);

 private:
  struct Entry {
    uint64_t index = 0;
    crypto::Secret32 secret;
  };
  // True when the entry holds a secret actually inserted (unused buckets are index 0).
  bool in_use(const Entry& e) const;

  std::array<Entry, BUCKETS> m_known{};
  uint64_t m_count = 0;  // secrets inserted; the last one has index 2^48 - m_count
};

}  // namespace fulgur::channel
