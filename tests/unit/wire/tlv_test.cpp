// BOLT 1 TLV streams: every vector of tlv.json (decoding failures and successes in the
// n1/n2 namespaces, stream ordering failures), declared with the record macros exactly
// as another module would declare its own TLV namespace; plus re-encoding of unknown odd
// records and property round-trips.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "support/vectors.h"
#include "wire/record.h"
#include "wire/record_codec.h"
#include "wire/tlv.h"

using namespace fulgur;
using namespace fulgur::wire;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

namespace tlvtest {
// n1's tlv3: [point:node_id][u64:amount_msat_1][u64:amount_msat_2]
#define TLVTEST_N1_TLV3(F)                                                                       \
  F(NodeId, node_id, point) F(uint64_t, amount_msat_1, u64) F(uint64_t, amount_msat_2, u64)
FULGUR_WIRE_DECLARE_RECORD(N1Tlv3, TLVTEST_N1_TLV3)
FULGUR_WIRE_DEFINE_RECORD(N1Tlv3, TLVTEST_N1_TLV3)

#define TLVTEST_N1(R)                                                                            \
  R(1, Msat, tlv1, tu64)                                                                         \
  R(2, ShortChannelId, tlv2, short_channel_id)                                                  \
  R(3, N1Tlv3, tlv3, record)                                                                     \
  R(254, uint16_t, tlv4, u16)
FULGUR_WIRE_DECLARE_TLVS(N1, TLVTEST_N1)
FULGUR_WIRE_DEFINE_TLVS(N1, TLVTEST_N1)

#define TLVTEST_N2(R) R(0, Msat, tlv1, tu64) R(11, uint32_t, tlv2, tu32)
FULGUR_WIRE_DECLARE_TLVS(N2, TLVTEST_N2)
FULGUR_WIRE_DEFINE_TLVS(N2, TLVTEST_N2)
}  // namespace tlvtest

using tlvtest::N1;
using tlvtest::N2;

namespace {
std::vector<std::string> namespaces_of(const std::string& ns) {
  if (ns == "any" || ns == "either") return {"n1", "n2"};
  return {ns};
}

Status decode_in(const std::string& ns, const Bytes& stream) {
  if (ns == "n1") {
    auto r = decode_record<N1>(stream);
    return r ? Status{} : Status{Unexpected<Error>{r.error()}};
  }
  auto r = decode_record<N2>(stream);
  return r ? Status{} : Status{Unexpected<Error>{r.error()}};
}

void check_n1_values(const N1& n1, const nlohmann::json& values) {
  EXPECT_EQ(n1.tlv1.has_value(), values.contains("tlv1"));
  EXPECT_EQ(n1.tlv2.has_value(), values.contains("tlv2"));
  EXPECT_EQ(n1.tlv3.has_value(), values.contains("tlv3"));
  EXPECT_EQ(n1.tlv4.has_value(), values.contains("tlv4"));
  if (n1.tlv1) {
    EXPECT_EQ(n1.tlv1->value(), values["tlv1"]["amount_msat"].get<uint64_t>());
  }
  if (n1.tlv2) {
    auto scid = ShortChannelId::parse(values["tlv2"]["scid"].get<std::string>());
    ASSERT_TRUE(scid.ok());
    EXPECT_EQ(*n1.tlv2, *scid);
  }
  if (n1.tlv3) {
    EXPECT_EQ(n1.tlv3->node_id.to_hex(), values["tlv3"]["node_id"].get<std::string>());
    EXPECT_EQ(n1.tlv3->amount_msat_1, values["tlv3"]["amount_msat_1"].get<uint64_t>());
    EXPECT_EQ(n1.tlv3->amount_msat_2, values["tlv3"]["amount_msat_2"].get<uint64_t>());
  }
  if (n1.tlv4) {
    EXPECT_EQ(*n1.tlv4, values["tlv4"]["cltv_delta"].get<uint16_t>());
  }
}
}  // namespace

TEST(Tlv, DecodingFailureVectors) {
  auto vectors = load_vectors("bolt01/tlv.json");
  ASSERT_GE(vectors["decoding_failures"].size(), 30u);
  for (const auto& v : vectors["decoding_failures"]) {
    Bytes stream = unhex(v["stream"].get<std::string>());
    for (const auto& ns : namespaces_of(v["namespace"].get<std::string>())) {
      SCOPED_TRACE(ns + " " + v["stream_annotated"].get<std::string>() + ": " +
                   v["reason"].get<std::string>());
      Status s = decode_in(ns, stream);
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.error().action, PeerAction::Disconnect);
    }
  }
}

TEST(Tlv, StreamOrderingFailureVectors) {
  auto vectors = load_vectors("bolt01/tlv.json");
  ASSERT_GE(vectors["stream_decoding_failures"].size(), 5u);
  for (const auto& v : vectors["stream_decoding_failures"]) {
    Bytes stream = unhex(v["stream"].get<std::string>());
    SCOPED_TRACE(v["stream_annotated"].get<std::string>() + ": " + v["reason"].get<std::string>());
    EXPECT_FALSE(decode_in(v["namespace"].get<std::string>(), stream).ok());
    // Ordering is a stream rule, independent of what the types mean.
    EXPECT_FALSE(split_tlv_stream(stream).ok());
  }
}

TEST(Tlv, DecodingSuccessVectorsAndReencoding) {
  auto vectors = load_vectors("bolt01/tlv.json");
  ASSERT_GE(vectors["decoding_successes"].size(), 15u);
  for (const auto& v : vectors["decoding_successes"]) {
    Bytes stream = unhex(v["stream"].get<std::string>());
    for (const auto& ns : namespaces_of(v["namespace"].get<std::string>())) {
      SCOPED_TRACE(ns + " " + v["stream_annotated"].get<std::string>());
      if (ns == "n1") {
        auto n1 = decode_record<N1>(stream);
        ASSERT_TRUE(n1.ok()) << n1.error().message;
        check_n1_values(*n1, v["values"]);
        // Unknown odd records are kept and written back unchanged.
        EXPECT_EQ(to_hex(encode_record(*n1)), to_hex(stream));
      } else {
        auto n2 = decode_record<N2>(stream);
        ASSERT_TRUE(n2.ok()) << n2.error().message;
        EXPECT_EQ(to_hex(encode_record(*n2)), to_hex(stream));
      }
    }
  }
}

TEST(Tlv, UnknownOddRecordsKeptInOrderWithKnownOnes) {
  // n2: 00 01 07 (tlv1 = 7), 01 01 ff (unknown odd), 0b 02 012c (tlv2 = 300), 0d 00 (unknown).
  Bytes stream = unhex("0001070101ff0b02012c0d00");
  auto n2 = decode_record<N2>(stream);
  ASSERT_TRUE(n2.ok()) << n2.error().message;
  ASSERT_TRUE(n2->tlv1.has_value());
  EXPECT_EQ(n2->tlv1->value(), 7u);
  EXPECT_EQ(*n2->tlv2, 300u);
  ASSERT_EQ(n2->unknown.size(), 2u);
  EXPECT_EQ(n2->unknown[0], (TlvRecord{1, {0xff}}));
  EXPECT_EQ(n2->unknown[1], (TlvRecord{13, {}}));
  EXPECT_EQ(encode_record(*n2), stream);
}

TEST(Tlv, WriterRejectsOutOfOrderRecordsAsCallerBug) {
  TlvRecords known = {{3, {}}, {1, {}}};
  Writer w;
  EXPECT_DEATH(write_tlv_stream(w, known, {}), "REQUIRE");
}

RC_GTEST_PROP(Tlv, N1RoundTrips,
              (bool has_amount, uint64_t amount, bool has_scid, uint64_t scid, bool has_cltv,
               uint16_t cltv, std::vector<std::pair<uint16_t, Bytes>> extra)) {
  N1 n1;
  if (has_amount) n1.tlv1 = Msat(amount);
  if (has_scid) n1.tlv2 = ShortChannelId(scid);
  if (has_cltv) n1.tlv4 = cltv;
  // Unknown odd types above the known ones, strictly increasing.
  uint64_t type = 255;
  for (auto& [step, value] : extra) {
    type += 2 * (uint64_t{step} + 1);
    n1.unknown.push_back(TlvRecord{type, value});
  }
  Bytes encoded = encode_record(n1);
  auto back = decode_record<N1>(encoded);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == n1);
  RC_ASSERT(encode_record(*back) == encoded);
}
