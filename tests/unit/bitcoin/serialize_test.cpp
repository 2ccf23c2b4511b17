// CompactSize and bounded reads.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "bitcoin/serialize.h"
#include "support/vectors.h"

namespace fulgur::bitcoin {
namespace {

using test::unhex;

TEST(Serialize, CompactSizeEncodings) {
  struct Case {
    uint64_t n;
    const char* hex;
  };
  for (const Case& c : {Case{0, "00"}, Case{0xfc, "fc"}, Case{0xfd, "fdfd00"},
                        Case{0xffff, "fdffff"}, Case{0x10000, "fe00000100"},
                        Case{0x2000000, "fe00000002"}}) {
    Writer w;
    w.compact_size(c.n);
    EXPECT_EQ(to_hex(w.out()), c.hex);
    Bytes raw = unhex(c.hex);
    Reader r(raw);
    auto n = r.compact_size();
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, c.n);
    EXPECT_TRUE(r.empty());
  }
}

TEST(Serialize, CompactSizeRejectsNonCanonicalAndHuge) {
  for (const char* hex : {"fdfc00", "feffff0000", "ff00000000ff000000", "fe01000002",
                          "ffffffffffffffffff", "fd00", ""}) {
    Bytes raw = unhex(hex);
    Reader r(raw);
    EXPECT_FALSE(r.compact_size().ok()) << hex;
  }
  Bytes raw = unhex("fdfc00");
  Reader r(raw);
  EXPECT_EQ(r.compact_size().error().message, "non-canonical ReadCompactSize()");
}

TEST(Serialize, VarBytesChecksLengthBeforeAllocating) {
  Bytes raw = unhex("fe00000002aabb");  // claims 32 MiB, has 2 bytes
  Reader r(raw);
  EXPECT_FALSE(r.var_bytes().ok());
}

RC_GTEST_PROP(Serialize, IntegersRoundTrip, (uint64_t a, uint32_t b, uint16_t c, int32_t d)) {
  Writer w;
  w.u64(a);
  w.u32(b);
  w.u16(c);
  w.i32(d);
  w.compact_size(a % (MAX_COMPACT_SIZE + 1));
  Reader r(w.out());
  RC_ASSERT(*r.u64() == a);
  RC_ASSERT(*r.u32() == b);
  RC_ASSERT(*r.u16() == c);
  RC_ASSERT(*r.i32() == d);
  RC_ASSERT(*r.compact_size() == a % (MAX_COMPACT_SIZE + 1));
  RC_ASSERT(r.empty());
  RC_ASSERT(!r.u8().ok());
}

}  // namespace
}  // namespace fulgur::bitcoin
