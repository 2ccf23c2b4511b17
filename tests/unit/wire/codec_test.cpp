// BOLT 1 fundamental types: BigSize (Appendix A vectors), signed integers (Appendix D
// vectors), truncated integers, and bounds checks on every read.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "support/vectors.h"
#include "wire/codec.h"
#include "wire/fields.h"

using namespace fulgur;
using namespace fulgur::wire;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

TEST(BigSize, DecodingVectors) {
  auto vectors = load_vectors("bolt01/bigsize.json");
  ASSERT_GE(vectors["decoding"].size(), 10u);
  for (const auto& v : vectors["decoding"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto decoded = decode_bigsize(unhex(v["bytes"].get<std::string>()));
    if (v.contains("exp_error")) {
      ASSERT_FALSE(decoded.ok());
      EXPECT_EQ(decoded.error().action, PeerAction::Disconnect);
    } else {
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      EXPECT_EQ(*decoded, v["value"].get<uint64_t>());
    }
  }
}

TEST(BigSize, EncodingVectors) {
  auto vectors = load_vectors("bolt01/bigsize.json");
  ASSERT_GE(vectors["encoding"].size(), 5u);
  for (const auto& v : vectors["encoding"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    uint64_t value = v["value"].get<uint64_t>();
    EXPECT_EQ(to_hex(encode_bigsize(value)), v["bytes"].get<std::string>());
    EXPECT_EQ(encode_bigsize(value).size(), bigsize_length(value));
  }
}

TEST(BigSize, TrailingBytesRejected) {
  EXPECT_FALSE(decode_bigsize(unhex("0000")).ok());
  EXPECT_FALSE(decode_bigsize({}).ok());
}

RC_GTEST_PROP(BigSize, RoundTrips, (uint64_t value)) {
  auto decoded = decode_bigsize(encode_bigsize(value));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == value);
}

TEST(SignedIntegers, AppendixDVectors) {
  auto vectors = load_vectors("bolt01/signed-integers.json");
  ASSERT_GE(vectors["vectors"].size(), 10u);
  for (const auto& v : vectors["vectors"]) {
    int64_t value = v["value"].get<int64_t>();
    Bytes bytes = unhex(v["bytes"].get<std::string>());
    SCOPED_TRACE(std::to_string(value));
    Writer w;
    Reader r(bytes);
    int64_t decoded = 0;
    switch (bytes.size()) {
      case 1:
        w.s8(static_cast<int8_t>(value));
        decoded = *r.s8();
        break;
      case 2:
        w.s16(static_cast<int16_t>(value));
        decoded = *r.s16();
        break;
      case 4:
        w.s32(static_cast<int32_t>(value));
        decoded = *r.s32();
        break;
      case 8:
        w.s64(value);
        decoded = *r.s64();
        break;
      default: FAIL() << "unexpected width " << bytes.size();
    }
    EXPECT_EQ(w.data(), bytes);
    EXPECT_EQ(decoded, value);
    EXPECT_TRUE(r.empty());
  }
}

TEST(Reader, EveryReadIsBoundsChecked) {
  Bytes three = {1, 2, 3};
  Reader r(three);
  EXPECT_FALSE(r.u32().ok());
  EXPECT_EQ(r.remaining(), 3u);  // a failed read consumes nothing
  EXPECT_FALSE(r.u64().ok());
  EXPECT_FALSE(r.bytes(4).ok());
  EXPECT_EQ(*r.u16(), 0x0102);
  EXPECT_FALSE(r.u16().ok());
  EXPECT_EQ(*r.u8(), 3);
  EXPECT_FALSE(r.u8().ok());
  EXPECT_EQ(r.u8().error().action, PeerAction::Disconnect);
}

TEST(Truncated, MinimalEncodings) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{0x1000000},
                     ~uint64_t{0}}) {
    Writer w;
    w.truncated(v);
    EXPECT_EQ(w.size(), truncated_length(v));
    Reader r(w.data());
    auto back = r.truncated(8);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, v);
  }
  Bytes leading_zero = {0x00, 0x01};
  Reader r(leading_zero);
  EXPECT_FALSE(r.truncated(8).ok());
  Bytes too_long = {1, 2, 3};
  Reader r2(too_long);
  EXPECT_FALSE(r2.truncated(2).ok());  // a tu16 of three bytes
}

TEST(Fields, IntegerFieldsFillStrongTypes) {
  Writer w;
  enc::u64::write(w, Msat(1234));
  enc::u16::write(w, CltvDelta(144));
  enc::u32::write(w, BlockHeight(800000));
  enc::tu64::write(w, Msat(0x10000));
  Reader r(w.data());
  Msat m;
  CltvDelta d;
  BlockHeight h;
  Msat t;
  ASSERT_TRUE(enc::u64::read(r, m).ok());
  ASSERT_TRUE(enc::u16::read(r, d).ok());
  ASSERT_TRUE(enc::u32::read(r, h).ok());
  ASSERT_TRUE(enc::tu64::read(r, t).ok());
  EXPECT_EQ(m, Msat(1234));
  EXPECT_EQ(d, CltvDelta(144));
  EXPECT_EQ(h, BlockHeight(800000));
  EXPECT_EQ(t, Msat(0x10000));
}

TEST(Fields, PointAndSignatureAreValidated) {
  // The generator point G is valid; flipping its prefix to 0x04 or 0x05 is not.
  Bytes g = unhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  Point p;
  Reader ok(g);
  EXPECT_TRUE(enc::point::read(ok, p).ok());
  g[0] = 0x05;
  Reader bad(g);
  EXPECT_FALSE(enc::point::read(bad, p).ok());
  Bytes sig(64, 0xff);  // r and s above the group order
  Signature s;
  Reader bad_sig(sig);
  EXPECT_FALSE(enc::signature::read(bad_sig, s).ok());
  Bytes good_sig(64, 0x01);
  Reader good(good_sig);
  EXPECT_TRUE(enc::signature::read(good, s).ok());
}
