// BOLT 1/2/7 messages: the message-extension vectors (Appendix C), the BOLT 7 extended
// gossip query vectors decoded and re-encoded byte for byte, the odd/even rule for unknown
// types, rejection of truncated and malformed input, and a round-trip property for every
// message type in the table.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "message_arbitrary.h"
#include "support/vectors.h"
#include "wire/messages.h"

using namespace fulgur;
using namespace fulgur::wire;
using fulgur::test::load_vectors;
using fulgur::test::unhex;

TEST(MessageExtension, AppendixCVectors) {
  auto vectors = load_vectors("bolt01/message-extension.json");
  ASSERT_EQ(vectors["valid"].size(), 2u);
  ASSERT_EQ(vectors["invalid"].size(), 3u);
  for (const auto& v : vectors["valid"]) {
    SCOPED_TRACE(v["explanation"].get<std::string>());
    Bytes bytes = unhex(v["message"].get<std::string>());
    auto decoded = decode_as<msg::Init>(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_TRUE(decoded->features.empty());
    // Unknown odd extension records survive a re-encoding unchanged.
    EXPECT_EQ(to_hex(encode_message(*decoded)), to_hex(bytes));
  }
  for (const auto& v : vectors["invalid"]) {
    SCOPED_TRACE(v["explanation"].get<std::string>());
    auto decoded = decode_message(unhex(v["message"].get<std::string>()));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().action, PeerAction::Disconnect);
  }
}

namespace {
ShortChannelId scid(const std::string& text) {
  auto parsed = ShortChannelId::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : ShortChannelId();
}

// The uncompressed (encoding 0) array of a gossip query, read for the test's own check.
std::vector<ShortChannelId> uncompressed_scids(const Bytes& encoded) {
  std::vector<ShortChannelId> out;
  EXPECT_FALSE(encoded.empty());
  EXPECT_EQ(encoded[0], 0);
  Reader r(ByteSpan(encoded).subspan(1));
  while (!r.empty()) out.push_back(ShortChannelId(*r.u64()));
  return out;
}

void check_scids(const nlohmann::json& expected, const Bytes& encoded) {
  if (expected["encoding"] != "UNCOMPRESSED") {
    EXPECT_EQ(encoded.at(0), 1);  // zlib, deprecated: kept as raw bytes
    return;
  }
  std::vector<ShortChannelId> want;
  for (const auto& s : expected["array"]) want.push_back(scid(s.get<std::string>()));
  EXPECT_EQ(uncompressed_scids(encoded), want);
}

void check_reply_channel_range(const msg::ReplyChannelRange& m, const nlohmann::json& j) {
  EXPECT_EQ(m.first_blocknum.value(), j["firstBlockNum"].get<uint32_t>());
  EXPECT_EQ(m.number_of_blocks, j["numberOfBlocks"].get<uint32_t>());
  EXPECT_EQ(m.sync_complete, j["complete"].get<uint8_t>());
  check_scids(j["shortChannelIds"], m.encoded_short_ids);
  EXPECT_EQ(m.tlvs.checksums_tlv.has_value(), j.contains("checksums"));
  if (m.tlvs.checksums_tlv) {
    const auto& want = j["checksums"]["checksums"];
    ASSERT_EQ(m.tlvs.checksums_tlv->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ((*m.tlvs.checksums_tlv)[i].checksum_node_id_1, want[i]["checksum1"].get<uint32_t>());
      EXPECT_EQ((*m.tlvs.checksums_tlv)[i].checksum_node_id_2, want[i]["checksum2"].get<uint32_t>());
    }
  }
  EXPECT_EQ(m.tlvs.timestamps_tlv.has_value(), j.contains("timestamps"));
  if (m.tlvs.timestamps_tlv && j["timestamps"]["encoding"] == "UNCOMPRESSED") {
    EXPECT_EQ(m.tlvs.timestamps_tlv->encoding_type, 0);
    auto stamps = decode_record<msg::ChannelUpdateTimestamps>(
        ByteSpan(m.tlvs.timestamps_tlv->encoded_timestamps).subspan(0, 8));
    ASSERT_TRUE(stamps.ok());
    EXPECT_EQ(stamps->timestamp_node_id_1,
              j["timestamps"]["timestamps"][0]["timestamp1"].get<uint32_t>());
    EXPECT_EQ(stamps->timestamp_node_id_2,
              j["timestamps"]["timestamps"][0]["timestamp2"].get<uint32_t>());
  }
}
}  // namespace

TEST(GossipQueries, ExtendedQueryVectorsRoundTripByteForByte) {
  auto vectors = load_vectors("bolt07/extended-queries.json");
  ASSERT_GE(vectors.size(), 8u);
  for (const auto& v : vectors) {
    const auto& j = v["msg"];
    std::string kind = j["type"].get<std::string>();
    SCOPED_TRACE(kind + " " + v["hex"].get<std::string>());
    Bytes bytes = unhex(v["hex"].get<std::string>());
    auto decoded = decode_message(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(to_hex(encode_message(*decoded)), to_hex(bytes));
    ChainHash chain = *ChainHash::from_span(unhex(j["chainHash"].get<std::string>()));
    EXPECT_EQ(chain, regtest_chain_hash());
    if (kind == "QueryChannelRange") {
      auto* m = std::get_if<msg::QueryChannelRange>(&*decoded);
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->chain_hash, chain);
      EXPECT_EQ(m->first_blocknum.value(), j["firstBlockNum"].get<uint32_t>());
      EXPECT_EQ(m->number_of_blocks, j["numberOfBlocks"].get<uint32_t>());
      bool wants = !j["tlvStream"]["records"].empty();
      EXPECT_EQ(m->tlvs.query_option.has_value(), wants);
      if (wants) {
        EXPECT_EQ(*m->tlvs.query_option, 3u);  // WANT_TIMESTAMPS | WANT_CHECKSUMS
      }
    } else if (kind == "ReplyChannelRange") {
      auto* m = std::get_if<msg::ReplyChannelRange>(&*decoded);
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->chain_hash, chain);
      check_reply_channel_range(*m, j);
    } else if (kind == "QueryShortChannelIds") {
      auto* m = std::get_if<msg::QueryShortChannelIds>(&*decoded);
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->chain_hash, chain);
      check_scids(j["shortChannelIds"], m->encoded_short_ids);
      EXPECT_EQ(m->tlvs.query_flags.has_value(), !j["tlvStream"]["records"].empty());
    } else {
      ADD_FAILURE() << "unexpected vector type " << kind;
    }
  }
}

TEST(Messages, UnknownOddTypeIsIgnoredEvenTypeDisconnects) {
  auto odd = decode_message(unhex("8001deadbeef"));  // 32769: custom, odd
  ASSERT_TRUE(odd.ok());
  ASSERT_TRUE(std::holds_alternative<IgnoredMessage>(*odd));
  EXPECT_EQ(std::get<IgnoredMessage>(*odd).type, 32769);
  EXPECT_EQ(message_type(*odd), 32769);
  auto odd_known_range = decode_message(unhex("0003"));
  ASSERT_TRUE(odd_known_range.ok());
  EXPECT_TRUE(std::holds_alternative<IgnoredMessage>(*odd_known_range));
  auto even = decode_message(unhex("8000deadbeef"));
  ASSERT_FALSE(even.ok());
  EXPECT_EQ(even.error().action, PeerAction::Disconnect);
  EXPECT_FALSE(decode_message(unhex("00")).ok());  // no room for the type
  EXPECT_FALSE(decode_message({}).ok());
}

TEST(Messages, PingPongShapes) {
  msg::Ping ping;
  ping.num_pong_bytes = 4;
  ping.ignored = Bytes(3, 0);
  Bytes bytes = encode_message(ping);
  EXPECT_EQ(to_hex(bytes), "0012000400030000" "00");
  auto back = decode_as<msg::Ping>(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, ping);
  EXPECT_FALSE(decode_as<msg::Pong>(bytes).ok());  // right bytes, wrong type asked for
  EXPECT_EQ(message_name(msg::Pong::TYPE), "pong");
  EXPECT_EQ(message_name(1234), "unknown");
  EXPECT_EQ(peek_type(bytes), std::optional<uint16_t>(18));
}

TEST(Messages, InitNetworksAndRemoteAddr) {
  msg::Init init;
  init.features = {0x02, 0x00};
  init.tlvs.networks = std::vector<ChainHash>{regtest_chain_hash()};
  init.tlvs.remote_addr = Bytes{0x01, 127, 0, 0, 1, 0x26, 0x07};
  Bytes bytes = encode_message(init);
  // 0010 | gflen 0000 | flen 0002 0200 | 01 20 <chain> | 03 07 <addr>
  EXPECT_EQ(to_hex(bytes), "0010000000020200" "0120" + to_hex(regtest_chain_hash().span()) +
                               "0307017f0000012607");
  auto back = decode_as<msg::Init>(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, init);
  // A networks record that is not a whole number of chain hashes is invalid.
  Bytes bad = unhex("00100000000001" "1f" + std::string(62, '0'));
  EXPECT_FALSE(decode_message(bad).ok());
}

TEST(Messages, InvalidPointOrSignatureRejected) {
  msg::RevokeAndAck rev;
  rev.next_per_commitment_point = *Point::from_hex(
      "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  Bytes good = encode_message(rev);
  ASSERT_TRUE(decode_message(good).ok());
  Bytes bad = good;
  bad[2 + 32 + 32] = 0x04;  // the point's prefix: not a compressed point
  auto decoded = decode_message(bad);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("next_per_commitment_point"), std::string::npos);
  EXPECT_EQ(decoded.error().action, PeerAction::Disconnect);

  msg::FundingSigned fs;
  Bytes sig_bytes = encode_message(fs);
  std::fill(sig_bytes.begin() + 34, sig_bytes.end(), 0xff);  // r, s >= group order
  EXPECT_FALSE(decode_message(sig_bytes).ok());
}

TEST(Messages, ExtensionMustBeAValidTlvStream) {
  msg::UpdateFee fee;
  fee.feerate_per_kw = FeeratePerKw(253);
  Bytes bytes = encode_message(fee);
  // Trailing bytes are the extension: a valid odd record is kept...
  Bytes with_odd = bytes;
  append(with_odd, unhex("2b0101"));
  auto ok = decode_as<msg::UpdateFee>(with_odd);
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->tlvs.unknown.size(), 1u);
  EXPECT_EQ(ok->tlvs.unknown[0].type, 0x2bu);
  EXPECT_EQ(encode_message(*ok), with_odd);
  // ...garbage (a truncated record), an unknown even record or a misordered stream is not.
  for (const char* tail : {"ff", "2b05", "2a0101", "2b00 2900", "fd0001 00"}) {
    std::string hex;
    for (const char* c = tail; *c; ++c) {
      if (*c != ' ') hex += *c;
    }
    Bytes bad = bytes;
    append(bad, unhex(hex));
    EXPECT_FALSE(decode_message(bad).ok()) << tail;
  }
}

TEST(Messages, KnownTlvWithWrongLengthRejected) {
  // channel_ready's short_channel_id record must be exactly 8 bytes.
  msg::ChannelReady ready;
  ready.second_per_commitment_point = *Point::from_hex(
      "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  Bytes base = encode_message(ready);
  Bytes seven = base;
  append(seven, unhex("01070000000000000a"));
  Bytes nine = base;
  append(nine, unhex("0109000000000000000a00"));
  Bytes eight = base;
  append(eight, unhex("0108000000000000000a"));
  EXPECT_FALSE(decode_message(seven).ok());
  EXPECT_FALSE(decode_message(nine).ok());
  auto good = decode_as<msg::ChannelReady>(eight);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->tlvs.short_channel_id, std::optional<ShortChannelId>(ShortChannelId(10)));
}

// Every message type: arbitrary contents round-trip, and every strict prefix of a message
// without extension is rejected (a payload too short for its fields closes the connection).
#define FULGUR_TEST_ROUND_TRIP(Name, spec_name, number, FIELDS, Tlvs)                            \
  RC_GTEST_PROP(MessageRoundTrip, Name, ()) {                                                   \
    msg::Name m;                                                                                \
    arbitrary_record(m);                                                                        \
    Bytes bytes = encode_message(m);                                                            \
    RC_ASSERT(peek_type(bytes) == std::optional<uint16_t>(number));                            \
    auto back = decode_message(bytes);                                                          \
    RC_ASSERT(back.ok());                                                                       \
    RC_ASSERT(std::holds_alternative<msg::Name>(*back));                                        \
    RC_ASSERT(std::get<msg::Name>(*back) == m);                                                 \
    RC_ASSERT(encode_message(*back) == bytes);                                                  \
    m.tlvs = {};                                                                                \
    Bytes bare = encode_message(m);                                                             \
    size_t cut = *rc::gen::inRange<size_t>(0, bare.size());                                     \
    auto truncated = decode_message(ByteSpan(bare).first(cut));                                 \
    RC_ASSERT(!truncated.ok());                                                                 \
    RC_ASSERT(truncated.error().action == PeerAction::Disconnect);                             \
  }
namespace fulgur::wire::msg {
FULGUR_WIRE_MESSAGES(FULGUR_TEST_ROUND_TRIP)
}  // namespace fulgur::wire::msg
