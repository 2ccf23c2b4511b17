// The codecs of every message, subtype and TLV set in wire/messages.h, generated from its
// table, and the top-level dispatch on the message type (BOLT 1's odd/even rule).
#include "wire/messages.h"

#include <string>

#include "common/assert.h"
#include "wire/record_codec.h"

namespace fulgur::wire::msg {

FULGUR_WIRE_DEFINE_TLVS(NoTlvs, FULGUR_WIRE_NO_TLVS)
FULGUR_WIRE_DEFINE_TLVS(InitTlvs, FULGUR_WIRE_INIT_TLVS)
FULGUR_WIRE_DEFINE_TLVS(OpenChannelTlvs, FULGUR_WIRE_OPEN_CHANNEL_TLVS)
FULGUR_WIRE_DEFINE_TLVS(AcceptChannelTlvs, FULGUR_WIRE_OPEN_CHANNEL_TLVS)
FULGUR_WIRE_DEFINE_TLVS(ChannelReadyTlvs, FULGUR_WIRE_CHANNEL_READY_TLVS)
FULGUR_WIRE_DEFINE_RECORD(FeeRange, FULGUR_WIRE_FEE_RANGE)
FULGUR_WIRE_DEFINE_TLVS(ClosingSignedTlvs, FULGUR_WIRE_CLOSING_SIGNED_TLVS)
FULGUR_WIRE_DEFINE_TLVS(ClosingTlvs, FULGUR_WIRE_CLOSING_TLVS)
FULGUR_WIRE_DEFINE_TLVS(UpdateAddHtlcTlvs, FULGUR_WIRE_UPDATE_ADD_HTLC_TLVS)
FULGUR_WIRE_DEFINE_RECORD(AttributionData, FULGUR_WIRE_ATTRIBUTION_DATA)
FULGUR_WIRE_DEFINE_TLVS(UpdateFulfillHtlcTlvs, FULGUR_WIRE_ATTRIBUTION_TLVS)
FULGUR_WIRE_DEFINE_TLVS(UpdateFailHtlcTlvs, FULGUR_WIRE_ATTRIBUTION_TLVS)
FULGUR_WIRE_DEFINE_TLVS(CommitmentSignedTlvs, FULGUR_WIRE_COMMITMENT_SIGNED_TLVS)
FULGUR_WIRE_DEFINE_TLVS(StartBatchTlvs, FULGUR_WIRE_START_BATCH_TLVS)
FULGUR_WIRE_DEFINE_RECORD(NextFunding, FULGUR_WIRE_NEXT_FUNDING)
FULGUR_WIRE_DEFINE_RECORD(MyCurrentFundingLocked, FULGUR_WIRE_MY_CURRENT_FUNDING_LOCKED)
FULGUR_WIRE_DEFINE_TLVS(ChannelReestablishTlvs, FULGUR_WIRE_CHANNEL_REESTABLISH_TLVS)
FULGUR_WIRE_DEFINE_TLVS(TxAddInputTlvs, FULGUR_WIRE_TX_ADD_INPUT_TLVS)
FULGUR_WIRE_DEFINE_TLVS(TxSignaturesTlvs, FULGUR_WIRE_TX_SIGNATURES_TLVS)
FULGUR_WIRE_DEFINE_TLVS(TxRbfTlvs, FULGUR_WIRE_TX_RBF_TLVS)
FULGUR_WIRE_DEFINE_TLVS(OpeningTlvs, FULGUR_WIRE_OPENING_TLVS)
FULGUR_WIRE_DEFINE_TLVS(SpliceTlvs, FULGUR_WIRE_SPLICE_TLVS)
FULGUR_WIRE_DEFINE_RECORD(QueryFlags, FULGUR_WIRE_QUERY_FLAGS)
FULGUR_WIRE_DEFINE_TLVS(QueryShortChannelIdsTlvs, FULGUR_WIRE_QUERY_SHORT_CHANNEL_IDS_TLVS)
FULGUR_WIRE_DEFINE_TLVS(QueryChannelRangeTlvs, FULGUR_WIRE_QUERY_CHANNEL_RANGE_TLVS)
FULGUR_WIRE_DEFINE_RECORD(TimestampsTlv, FULGUR_WIRE_TIMESTAMPS_TLV)
FULGUR_WIRE_DEFINE_RECORD(ChannelUpdateChecksums, FULGUR_WIRE_CHANNEL_UPDATE_CHECKSUMS)
FULGUR_WIRE_DEFINE_RECORD(ChannelUpdateTimestamps, FULGUR_WIRE_CHANNEL_UPDATE_TIMESTAMPS)
FULGUR_WIRE_DEFINE_TLVS(ReplyChannelRangeTlvs, FULGUR_WIRE_REPLY_CHANNEL_RANGE_TLVS)

namespace {
// A message's payload is its fields followed by its TLV extension, so it is a record whose
// last field is the TLV set.
#define FULGUR_WIRE_MESSAGE_BODY(Name, spec_name, number, FIELDS, Tlvs)                          \
  void write_payload(Writer& w, const Name& v) {                                                \
    using namespace ::fulgur::wire::enc;                                                        \
    FIELDS(FULGUR_WIRE_FIELD_WRITE)                                                             \
    write_record(w, v.tlvs);                                                                    \
  }                                                                                             \
  Status read_payload(Reader& r, Name& v) {                                                     \
    using namespace ::fulgur::wire::enc;                                                        \
    FIELDS(FULGUR_WIRE_FIELD_READ)                                                              \
    /* BOLT #1: "upon receiving a message with an `extension`: ... if the `extension` is   */  \
    /* invalid: MUST close the connection."                                                 */  \
    return ::fulgur::wire::detail::in_field(read_record(r, v.tlvs), "extension");               \
  }
FULGUR_WIRE_MESSAGES(FULGUR_WIRE_MESSAGE_BODY)
#undef FULGUR_WIRE_MESSAGE_BODY
}  // namespace

}  // namespace fulgur::wire::msg

namespace fulgur::wire {

namespace {
template <typename M>
Result<Message> decode_payload(Reader& r) {
  M m;
  auto status = msg::read_payload(r, m);
  if (!status) {
    const Error& e = status.error();
    return fail(std::string(M::NAME) + "." + e.message, e.action);
  }
  return Message(std::move(m));
}

template <typename M>
Bytes encode_typed(const M& m) {
  Writer w;
  w.u16(M::TYPE);
  msg::write_payload(w, m);
  return w.take();
}
}  // namespace

#define FULGUR_WIRE_DEFINE_ENCODE(Name, spec_name, number, FIELDS, Tlvs)                         \
  Bytes encode_message(const msg::Name& m) { return encode_typed(m); }
FULGUR_WIRE_MESSAGES(FULGUR_WIRE_DEFINE_ENCODE)
#undef FULGUR_WIRE_DEFINE_ENCODE

Bytes encode_message(const Message& m) {
  return std::visit(
      [](const auto& typed) -> Bytes {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, IgnoredMessage>) {
          FULGUR_REQUIRE(!"an ignored message has no payload to encode");
          return {};
        } else {
          return encode_typed(typed);
        }
      },
      m);
}

Result<Message> decode_message(ByteSpan bytes) {
  Reader r(bytes);
  FULGUR_TRY(uint16_t type, r.u16());
  switch (type) {
#define FULGUR_WIRE_DECODE_CASE(Name, spec_name, number, FIELDS, Tlvs)                           \
  case number:                                                                                  \
    return decode_payload<msg::Name>(r);
    FULGUR_WIRE_MESSAGES(FULGUR_WIRE_DECODE_CASE)
#undef FULGUR_WIRE_DECODE_CASE
    default:
      break;
  }
  // BOLT #1: "upon receiving a message of _odd_, unknown type: MUST ignore the received
  // message"; "upon receiving a message of _even_, unknown type: MUST close the connection".
  if (type % 2 == 1) return Message(IgnoredMessage{type});
  return decode_error("unknown even message type " + std::to_string(type));
}

std::optional<uint16_t> peek_type(ByteSpan bytes) {
  if (bytes.size() < 2) return std::nullopt;
  return static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
}

uint16_t message_type(const Message& m) {
  return std::visit(
      [](const auto& typed) -> uint16_t {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, IgnoredMessage>) {
          return typed.type;
        } else {
          return T::TYPE;
        }
      },
      m);
}

std::string_view message_name(uint16_t type) {
  switch (type) {
#define FULGUR_WIRE_NAME_CASE(Name, spec_name, number, FIELDS, Tlvs)                             \
  case number:                                                                                  \
    return msg::Name::NAME;
    FULGUR_WIRE_MESSAGES(FULGUR_WIRE_NAME_CASE)
#undef FULGUR_WIRE_NAME_CASE
    default:
      return "unknown";
  }
}

bool is_known_message_type(uint16_t type) { return message_name(type) != "unknown"; }

}  // namespace fulgur::wire
