// rapidcheck generators for every message, subtype and TLV set of wire/messages.h, derived
// from the same table as the codec: each field is filled by the generator of its wire
// encoding, so a generated message always fits its fields (a u16 CltvDelta stays < 2^16).
// Unknown odd TLV records are added to every TLV set. Use inside a rapidcheck property.
#pragma once

#include <rapidcheck.h>

#include "crypto/keys.h"
#include "wire/fields.h"
#include "wire/messages.h"

namespace fulgur::wire::test {

template <typename Enc>
struct Arb;

template <size_t BYTES, typename T>
void fill_uint(T& v) {
  uint64_t x = *rc::gen::arbitrary<uint64_t>() & detail::max_for_bytes<BYTES>();
  v = detail::from_uint<T>(x);
}

template <> struct Arb<enc::u8> { template <typename T> static void fill(T& v) { fill_uint<1>(v); } };
template <> struct Arb<enc::u16> { template <typename T> static void fill(T& v) { fill_uint<2>(v); } };
template <> struct Arb<enc::u32> { template <typename T> static void fill(T& v) { fill_uint<4>(v); } };
template <> struct Arb<enc::u64> { template <typename T> static void fill(T& v) { fill_uint<8>(v); } };
template <size_t N> struct Arb<enc::truncated_uint<N>> {
  template <typename T> static void fill(T& v) { fill_uint<N>(v); }
};
template <> struct Arb<enc::bigsize> { template <typename T> static void fill(T& v) { fill_uint<8>(v); } };

template <> struct Arb<enc::fixed> {
  template <size_t N, typename Tag> static void fill(FixedBytes<N, Tag>& v) {
    auto bytes = *rc::gen::container<std::vector<uint8_t>>(N, rc::gen::arbitrary<uint8_t>());
    v = *FixedBytes<N, Tag>::from_span(bytes);
  }
};
template <> struct Arb<enc::point> {
  template <typename Tag> static void fill(FixedBytes<33, Tag>& v) {
    auto seed = *rc::gen::container<std::vector<uint8_t>>(32, rc::gen::arbitrary<uint8_t>());
    seed[0] &= 0x7f;  // below the group order
    seed[31] |= 0x01;  // not zero
    auto key = crypto::SecretKey::from_bytes(seed);
    RC_ASSERT(key.ok());
    v = *FixedBytes<33, Tag>::from_span(key->public_key().serialize());
  }
};
template <> struct Arb<enc::signature> {
  static void fill(Signature& v) {
    auto bytes = *rc::gen::container<std::vector<uint8_t>>(64, rc::gen::arbitrary<uint8_t>());
    bytes[0] &= 0x7f;  // r and s below the group order
    bytes[32] &= 0x7f;
    v = *Signature::from_span(bytes);
  }
};
template <> struct Arb<enc::s64> {
  static void fill(int64_t& v) { v = *rc::gen::arbitrary<int64_t>(); }
};
template <> struct Arb<enc::empty> {
  static void fill(Flag&) {}
};
template <> struct Arb<enc::short_channel_id> {
  static void fill(ShortChannelId& v) { v = ShortChannelId(*rc::gen::arbitrary<uint64_t>()); }
};
template <> struct Arb<enc::u16_bytes> {
  static void fill(Bytes& v) { v = *rc::gen::arbitrary<Bytes>(); }
};
template <> struct Arb<enc::rest_bytes> {
  static void fill(Bytes& v) { v = *rc::gen::arbitrary<Bytes>(); }
};
template <typename Elem> struct Arb<enc::u16_array<Elem>> {
  template <typename T> static void fill(std::vector<T>& v) {
    size_t n = *rc::gen::inRange<size_t>(0, 8);
    v.assign(n, T{});
    for (T& item : v) Arb<Elem>::fill(item);
  }
};
template <typename Elem> struct Arb<enc::rest_array<Elem>> {
  template <typename T> static void fill(std::vector<T>& v) {
    size_t n = *rc::gen::inRange<size_t>(0, 8);
    v.assign(n, T{});
    for (T& item : v) Arb<Elem>::fill(item);
  }
};
template <size_t N, typename Elem> struct Arb<enc::fixed_array<N, Elem>> {
  template <typename T> static void fill(std::array<T, N>& v) {
    for (T& item : v) Arb<Elem>::fill(item);
  }
};

// Records: the overloads below, generated from the tables.
template <> struct Arb<enc::record> {
  template <typename T> static void fill(T& v) { arbitrary_record(v); }
};

// Unknown odd records above every known type, strictly increasing.
inline TlvRecords arbitrary_unknown_odd() {
  TlvRecords out;
  size_t n = *rc::gen::inRange<size_t>(0, 3);
  uint64_t type = 1001;
  for (size_t i = 0; i < n; ++i) {
    type += 2 * *rc::gen::inRange<uint64_t>(0, 100000);
    out.push_back(TlvRecord{type, *rc::gen::arbitrary<Bytes>()});
    type += 2;
  }
  return out;
}

}  // namespace fulgur::wire::test

namespace fulgur::wire::msg {
#define FULGUR_TEST_FILL_FIELD(type, name, encoding) ::fulgur::wire::test::Arb<encoding>::fill(v.name);
#define FULGUR_TEST_FILL_TLV(number, type, name, encoding)                                       \
  if (*rc::gen::arbitrary<bool>()) {                                                            \
    type value{};                                                                               \
    ::fulgur::wire::test::Arb<encoding>::fill(value);                                           \
    v.name = std::move(value);                                                                  \
  }
#define FULGUR_TEST_RECORD(Name, FIELDS)                                                         \
  inline void arbitrary_record(Name& v) {                                                       \
    using namespace ::fulgur::wire::enc;                                                        \
    FIELDS(FULGUR_TEST_FILL_FIELD)                                                              \
  }
#define FULGUR_TEST_TLVS(Name, RECORDS)                                                          \
  inline void arbitrary_record(Name& v) {                                                       \
    using namespace ::fulgur::wire::enc;                                                        \
    RECORDS(FULGUR_TEST_FILL_TLV)                                                               \
    v.unknown = ::fulgur::wire::test::arbitrary_unknown_odd();                                  \
  }

FULGUR_TEST_RECORD(FeeRange, FULGUR_WIRE_FEE_RANGE)
FULGUR_TEST_RECORD(AttributionData, FULGUR_WIRE_ATTRIBUTION_DATA)
FULGUR_TEST_RECORD(NextFunding, FULGUR_WIRE_NEXT_FUNDING)
FULGUR_TEST_RECORD(MyCurrentFundingLocked, FULGUR_WIRE_MY_CURRENT_FUNDING_LOCKED)
FULGUR_TEST_RECORD(QueryFlags, FULGUR_WIRE_QUERY_FLAGS)
FULGUR_TEST_RECORD(TimestampsTlv, FULGUR_WIRE_TIMESTAMPS_TLV)
FULGUR_TEST_RECORD(ChannelUpdateChecksums, FULGUR_WIRE_CHANNEL_UPDATE_CHECKSUMS)
FULGUR_TEST_TLVS(NoTlvs, FULGUR_WIRE_NO_TLVS)
FULGUR_TEST_TLVS(InitTlvs, FULGUR_WIRE_INIT_TLVS)
FULGUR_TEST_TLVS(OpenChannelTlvs, FULGUR_WIRE_OPEN_CHANNEL_TLVS)
FULGUR_TEST_TLVS(AcceptChannelTlvs, FULGUR_WIRE_OPEN_CHANNEL_TLVS)
FULGUR_TEST_TLVS(ChannelReadyTlvs, FULGUR_WIRE_CHANNEL_READY_TLVS)
FULGUR_TEST_TLVS(ClosingSignedTlvs, FULGUR_WIRE_CLOSING_SIGNED_TLVS)
FULGUR_TEST_TLVS(ClosingTlvs, FULGUR_WIRE_CLOSING_TLVS)
FULGUR_TEST_TLVS(UpdateAddHtlcTlvs, FULGUR_WIRE_UPDATE_ADD_HTLC_TLVS)
FULGUR_TEST_TLVS(UpdateFulfillHtlcTlvs, FULGUR_WIRE_ATTRIBUTION_TLVS)
FULGUR_TEST_TLVS(UpdateFailHtlcTlvs, FULGUR_WIRE_ATTRIBUTION_TLVS)
FULGUR_TEST_TLVS(CommitmentSignedTlvs, FULGUR_WIRE_COMMITMENT_SIGNED_TLVS)
FULGUR_TEST_TLVS(StartBatchTlvs, FULGUR_WIRE_START_BATCH_TLVS)
FULGUR_TEST_TLVS(ChannelReestablishTlvs, FULGUR_WIRE_CHANNEL_REESTABLISH_TLVS)
FULGUR_TEST_TLVS(TxAddInputTlvs, FULGUR_WIRE_TX_ADD_INPUT_TLVS)
FULGUR_TEST_TLVS(TxSignaturesTlvs, FULGUR_WIRE_TX_SIGNATURES_TLVS)
FULGUR_TEST_TLVS(TxRbfTlvs, FULGUR_WIRE_TX_RBF_TLVS)
FULGUR_TEST_TLVS(OpeningTlvs, FULGUR_WIRE_OPENING_TLVS)
FULGUR_TEST_TLVS(SpliceTlvs, FULGUR_WIRE_SPLICE_TLVS)
FULGUR_TEST_TLVS(QueryShortChannelIdsTlvs, FULGUR_WIRE_QUERY_SHORT_CHANNEL_IDS_TLVS)
FULGUR_TEST_TLVS(QueryChannelRangeTlvs, FULGUR_WIRE_QUERY_CHANNEL_RANGE_TLVS)
FULGUR_TEST_TLVS(ReplyChannelRangeTlvs, FULGUR_WIRE_REPLY_CHANNEL_RANGE_TLVS)

#define FULGUR_TEST_MESSAGE(Name, spec_name, number, FIELDS, Tlvs)                               \
  inline void arbitrary_record(Name& v) {                                                       \
    using namespace ::fulgur::wire::enc;                                                        \
    FIELDS(FULGUR_TEST_FILL_FIELD)                                                              \
    arbitrary_record(v.tlvs);                                                                   \
  }
FULGUR_WIRE_MESSAGES(FULGUR_TEST_MESSAGE)
#undef FULGUR_TEST_MESSAGE
}  // namespace fulgur::wire::msg
