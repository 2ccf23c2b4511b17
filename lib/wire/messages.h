// Every BOLT 1, 2 and 7 message, declared once in the table below with the spec's own
// names; the structs come from it here and the codec from it in messages.cpp (no message
// has a hand-written encoder). A row is F(C++ type, spec field name, wire encoding) and a
// TLV row is R(type number, C++ type, spec record name, wire encoding); see wire/record.h.
// Each message also keeps the unknown odd records of its extension (`tlvs.unknown`).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"
#include "wire/record.h"
#include "wire/types.h"

namespace fulgur::wire::msg {

// ---- subtypes and TLV record sets ------------------------------------------------------

// Messages without TLV records of their own still carry (and keep) unknown odd ones.
#define FULGUR_WIRE_NO_TLVS(R)
FULGUR_WIRE_DECLARE_TLVS(NoTlvs, FULGUR_WIRE_NO_TLVS)

// BOLT #1 init_tlvs: networks [...*chain_hash:chains], remote_addr [...*byte:data].
#define FULGUR_WIRE_INIT_TLVS(R)                                                                 \
  R(1, std::vector<ChainHash>, networks, rest_array<chain_hash>)                                \
  R(3, Bytes, remote_addr, rest_bytes)
FULGUR_WIRE_DECLARE_TLVS(InitTlvs, FULGUR_WIRE_INIT_TLVS)

// BOLT #2 open_channel_tlvs / accept_channel_tlvs: upfront_shutdown_script
// [...*byte:shutdown_scriptpubkey], channel_type [...*byte:type].
#define FULGUR_WIRE_OPEN_CHANNEL_TLVS(R)                                                         \
  R(0, Bytes, upfront_shutdown_script, rest_bytes)                                              \
  R(1, Bytes, channel_type, rest_bytes)
FULGUR_WIRE_DECLARE_TLVS(OpenChannelTlvs, FULGUR_WIRE_OPEN_CHANNEL_TLVS)
FULGUR_WIRE_DECLARE_TLVS(AcceptChannelTlvs, FULGUR_WIRE_OPEN_CHANNEL_TLVS)

// BOLT #2 channel_ready_tlvs: short_channel_id [short_channel_id:alias].
#define FULGUR_WIRE_CHANNEL_READY_TLVS(R) R(1, ShortChannelId, short_channel_id, short_channel_id)
FULGUR_WIRE_DECLARE_TLVS(ChannelReadyTlvs, FULGUR_WIRE_CHANNEL_READY_TLVS)

// BOLT #2 closing_signed_tlvs: fee_range [u64:min_fee_satoshis][u64:max_fee_satoshis].
#define FULGUR_WIRE_FEE_RANGE(F) F(Sat, min_fee_satoshis, u64) F(Sat, max_fee_satoshis, u64)
FULGUR_WIRE_DECLARE_RECORD(FeeRange, FULGUR_WIRE_FEE_RANGE)
#define FULGUR_WIRE_CLOSING_SIGNED_TLVS(R) R(1, FeeRange, fee_range, record)
FULGUR_WIRE_DECLARE_TLVS(ClosingSignedTlvs, FULGUR_WIRE_CLOSING_SIGNED_TLVS)

// BOLT #2 closing_tlvs (closing_complete, closing_sig): one signature per closing variant.
#define FULGUR_WIRE_CLOSING_TLVS(R)                                                              \
  R(1, Signature, closer_output_only, signature)                                                \
  R(2, Signature, closee_output_only, signature)                                                \
  R(3, Signature, closer_and_closee_outputs, signature)
FULGUR_WIRE_DECLARE_TLVS(ClosingTlvs, FULGUR_WIRE_CLOSING_TLVS)

// BOLT #2 update_add_htlc_tlvs: blinded_path [point:path_key].
#define FULGUR_WIRE_UPDATE_ADD_HTLC_TLVS(R) R(0, Point, blinded_path, point)
FULGUR_WIRE_DECLARE_TLVS(UpdateAddHtlcTlvs, FULGUR_WIRE_UPDATE_ADD_HTLC_TLVS)

// BOLT #2 attribution_data: [20*u32:htlc_hold_times][210*sha256[..4]:truncated_hmacs].
// (FULGUR_WIRE_COMMA is a comma inside a template argument list of a table cell.)
#define FULGUR_WIRE_COMMA ,
#define FULGUR_WIRE_ATTRIBUTION_DATA(F)                                                          \
  F(std::array<uint32_t FULGUR_WIRE_COMMA 20>, htlc_hold_times,                                 \
    fixed_array<20 FULGUR_WIRE_COMMA u32>)                                                      \
  F(TruncatedHmacs, truncated_hmacs, fixed)
FULGUR_WIRE_DECLARE_RECORD(AttributionData, FULGUR_WIRE_ATTRIBUTION_DATA)
#define FULGUR_WIRE_ATTRIBUTION_TLVS(R) R(1, AttributionData, attribution_data, record)
FULGUR_WIRE_DECLARE_TLVS(UpdateFulfillHtlcTlvs, FULGUR_WIRE_ATTRIBUTION_TLVS)
FULGUR_WIRE_DECLARE_TLVS(UpdateFailHtlcTlvs, FULGUR_WIRE_ATTRIBUTION_TLVS)

// BOLT #2 commitment_signed_tlvs: funding_txid [sha256:funding_txid].
#define FULGUR_WIRE_COMMITMENT_SIGNED_TLVS(R) R(1, Txid, funding_txid, sha256)
FULGUR_WIRE_DECLARE_TLVS(CommitmentSignedTlvs, FULGUR_WIRE_COMMITMENT_SIGNED_TLVS)

// BOLT #2 start_batch_tlvs: message_type [u16:message_type].
#define FULGUR_WIRE_START_BATCH_TLVS(R) R(1, uint16_t, message_type, u16)
FULGUR_WIRE_DECLARE_TLVS(StartBatchTlvs, FULGUR_WIRE_START_BATCH_TLVS)

// BOLT #2 channel_reestablish_tlvs: next_funding [sha256:next_funding_txid]
// [byte:retransmit_flags]; my_current_funding_locked [sha256:my_current_funding_locked_txid]
// [byte:retransmit_flags].
#define FULGUR_WIRE_NEXT_FUNDING(F) F(Txid, next_funding_txid, sha256) F(uint8_t, retransmit_flags, byte)
FULGUR_WIRE_DECLARE_RECORD(NextFunding, FULGUR_WIRE_NEXT_FUNDING)
#define FULGUR_WIRE_MY_CURRENT_FUNDING_LOCKED(F)                                                 \
  F(Txid, my_current_funding_locked_txid, sha256) F(uint8_t, retransmit_flags, byte)
FULGUR_WIRE_DECLARE_RECORD(MyCurrentFundingLocked, FULGUR_WIRE_MY_CURRENT_FUNDING_LOCKED)
#define FULGUR_WIRE_CHANNEL_REESTABLISH_TLVS(R)                                                  \
  R(1, NextFunding, next_funding, record)                                                       \
  R(5, MyCurrentFundingLocked, my_current_funding_locked, record)
FULGUR_WIRE_DECLARE_TLVS(ChannelReestablishTlvs, FULGUR_WIRE_CHANNEL_REESTABLISH_TLVS)

// BOLT #2 interactive transaction construction and dual funding.
// tx_add_input_tlvs: shared_input_txid [sha256:funding_txid].
#define FULGUR_WIRE_TX_ADD_INPUT_TLVS(R) R(0, Txid, shared_input_txid, sha256)
FULGUR_WIRE_DECLARE_TLVS(TxAddInputTlvs, FULGUR_WIRE_TX_ADD_INPUT_TLVS)
// tx_signatures_tlvs: shared_input_signature [signature:signature].
#define FULGUR_WIRE_TX_SIGNATURES_TLVS(R) R(0, Signature, shared_input_signature, signature)
FULGUR_WIRE_DECLARE_TLVS(TxSignaturesTlvs, FULGUR_WIRE_TX_SIGNATURES_TLVS)
// tx_init_rbf_tlvs / tx_ack_rbf_tlvs: funding_output_contribution [s64:satoshis],
// require_confirmed_inputs (no data).
#define FULGUR_WIRE_TX_RBF_TLVS(R)                                                               \
  R(0, int64_t, funding_output_contribution, s64)                                               \
  R(2, Flag, require_confirmed_inputs, empty)
FULGUR_WIRE_DECLARE_TLVS(TxRbfTlvs, FULGUR_WIRE_TX_RBF_TLVS)
// opening_tlvs / accept_tlvs (open_channel2, accept_channel2).
#define FULGUR_WIRE_OPENING_TLVS(R)                                                              \
  R(0, Bytes, upfront_shutdown_script, rest_bytes)                                              \
  R(1, Bytes, channel_type, rest_bytes)                                                         \
  R(2, Flag, require_confirmed_inputs, empty)
FULGUR_WIRE_DECLARE_TLVS(OpeningTlvs, FULGUR_WIRE_OPENING_TLVS)
// splice_init_tlvs / splice_ack_tlvs: require_confirmed_inputs (no data).
#define FULGUR_WIRE_SPLICE_TLVS(R) R(2, Flag, require_confirmed_inputs, empty)
FULGUR_WIRE_DECLARE_TLVS(SpliceTlvs, FULGUR_WIRE_SPLICE_TLVS)

// BOLT #7 query_short_channel_ids_tlvs: query_flags [byte:encoding_type]
// [...*byte:encoded_query_flags].
#define FULGUR_WIRE_QUERY_FLAGS(F) F(uint8_t, encoding_type, byte) F(Bytes, encoded_query_flags, rest_bytes)
FULGUR_WIRE_DECLARE_RECORD(QueryFlags, FULGUR_WIRE_QUERY_FLAGS)
#define FULGUR_WIRE_QUERY_SHORT_CHANNEL_IDS_TLVS(R) R(1, QueryFlags, query_flags, record)
FULGUR_WIRE_DECLARE_TLVS(QueryShortChannelIdsTlvs, FULGUR_WIRE_QUERY_SHORT_CHANNEL_IDS_TLVS)

// BOLT #7 query_channel_range_tlvs: query_option [bigsize:query_option_flags].
#define FULGUR_WIRE_QUERY_CHANNEL_RANGE_TLVS(R) R(1, uint64_t, query_option, bigsize)
FULGUR_WIRE_DECLARE_TLVS(QueryChannelRangeTlvs, FULGUR_WIRE_QUERY_CHANNEL_RANGE_TLVS)

// BOLT #7 reply_channel_range_tlvs: timestamps_tlv [byte:encoding_type]
// [...*byte:encoded_timestamps]; checksums_tlv [...*channel_update_checksums:checksums].
#define FULGUR_WIRE_TIMESTAMPS_TLV(F) F(uint8_t, encoding_type, byte) F(Bytes, encoded_timestamps, rest_bytes)
FULGUR_WIRE_DECLARE_RECORD(TimestampsTlv, FULGUR_WIRE_TIMESTAMPS_TLV)
#define FULGUR_WIRE_CHANNEL_UPDATE_CHECKSUMS(F)                                                  \
  F(uint32_t, checksum_node_id_1, u32) F(uint32_t, checksum_node_id_2, u32)
FULGUR_WIRE_DECLARE_RECORD(ChannelUpdateChecksums, FULGUR_WIRE_CHANNEL_UPDATE_CHECKSUMS)
#define FULGUR_WIRE_CHANNEL_UPDATE_TIMESTAMPS(F)                                                 \
  F(uint32_t, timestamp_node_id_1, u32) F(uint32_t, timestamp_node_id_2, u32)
FULGUR_WIRE_DECLARE_RECORD(ChannelUpdateTimestamps, FULGUR_WIRE_CHANNEL_UPDATE_TIMESTAMPS)
#define FULGUR_WIRE_REPLY_CHANNEL_RANGE_TLVS(R)                                                  \
  R(1, TimestampsTlv, timestamps_tlv, record)                                                   \
  R(3, std::vector<ChannelUpdateChecksums>, checksums_tlv, rest_array<record>)
FULGUR_WIRE_DECLARE_TLVS(ReplyChannelRangeTlvs, FULGUR_WIRE_REPLY_CHANNEL_RANGE_TLVS)

// ---- the messages ------------------------------------------------------------------------
// `[u16:len][len*byte:x]` is one field x with encoding u16_bytes; `[u16:num][num*T:x]` is
// u16_array<T>. Field order is the spec's.

// BOLT #1
#define FULGUR_WIRE_INIT(F) F(Bytes, globalfeatures, u16_bytes) F(Bytes, features, u16_bytes)
#define FULGUR_WIRE_ERROR(F) F(ChannelId, channel_id, channel_id) F(Bytes, data, u16_bytes)
#define FULGUR_WIRE_PING(F) F(uint16_t, num_pong_bytes, u16) F(Bytes, ignored, u16_bytes)
#define FULGUR_WIRE_PONG(F) F(Bytes, ignored, u16_bytes)
#define FULGUR_WIRE_PEER_STORAGE(F) F(Bytes, blob, u16_bytes)

// BOLT #2
#define FULGUR_WIRE_OPEN_CHANNEL(F)                                                              \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(ChannelId, temporary_channel_id, fixed)                                                     \
  F(Sat, funding_satoshis, u64)                                                                 \
  F(Msat, push_msat, u64)                                                                       \
  F(Sat, dust_limit_satoshis, u64)                                                              \
  F(Msat, max_htlc_value_in_flight_msat, u64)                                                   \
  F(Sat, channel_reserve_satoshis, u64)                                                         \
  F(Msat, htlc_minimum_msat, u64)                                                               \
  F(FeeratePerKw, feerate_per_kw, u32)                                                          \
  F(CltvDelta, to_self_delay, u16)                                                              \
  F(uint16_t, max_accepted_htlcs, u16)                                                          \
  F(Point, funding_pubkey, point)                                                               \
  F(Point, revocation_basepoint, point)                                                         \
  F(Point, payment_basepoint, point)                                                            \
  F(Point, delayed_payment_basepoint, point)                                                    \
  F(Point, htlc_basepoint, point)                                                               \
  F(Point, first_per_commitment_point, point)                                                   \
  F(uint8_t, channel_flags, byte)
#define FULGUR_WIRE_ACCEPT_CHANNEL(F)                                                            \
  F(ChannelId, temporary_channel_id, fixed)                                                     \
  F(Sat, dust_limit_satoshis, u64)                                                              \
  F(Msat, max_htlc_value_in_flight_msat, u64)                                                   \
  F(Sat, channel_reserve_satoshis, u64)                                                         \
  F(Msat, htlc_minimum_msat, u64)                                                               \
  F(uint32_t, minimum_depth, u32)                                                               \
  F(CltvDelta, to_self_delay, u16)                                                              \
  F(uint16_t, max_accepted_htlcs, u16)                                                          \
  F(Point, funding_pubkey, point)                                                               \
  F(Point, revocation_basepoint, point)                                                         \
  F(Point, payment_basepoint, point)                                                            \
  F(Point, delayed_payment_basepoint, point)                                                    \
  F(Point, htlc_basepoint, point)                                                               \
  F(Point, first_per_commitment_point, point)
#define FULGUR_WIRE_FUNDING_CREATED(F)                                                           \
  F(ChannelId, temporary_channel_id, fixed)                                                     \
  F(Txid, funding_txid, sha256)                                                                 \
  F(uint16_t, funding_output_index, u16)                                                        \
  F(Signature, signature, signature)
#define FULGUR_WIRE_FUNDING_SIGNED(F) F(ChannelId, channel_id, channel_id) F(Signature, signature, signature)
#define FULGUR_WIRE_CHANNEL_READY(F)                                                             \
  F(ChannelId, channel_id, channel_id) F(Point, second_per_commitment_point, point)
#define FULGUR_WIRE_STFU(F) F(ChannelId, channel_id, channel_id) F(uint8_t, initiator, u8)
#define FULGUR_WIRE_SHUTDOWN(F) F(ChannelId, channel_id, channel_id) F(Bytes, scriptpubkey, u16_bytes)
#define FULGUR_WIRE_CLOSING_SIGNED(F)                                                            \
  F(ChannelId, channel_id, channel_id) F(Sat, fee_satoshis, u64) F(Signature, signature, signature)
#define FULGUR_WIRE_CLOSING_COMPLETE(F)                                                          \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(Bytes, closer_scriptpubkey, u16_bytes)                                                      \
  F(Bytes, closee_scriptpubkey, u16_bytes)                                                      \
  F(Sat, fee_satoshis, u64)                                                                     \
  F(uint32_t, locktime, u32)
#define FULGUR_WIRE_UPDATE_ADD_HTLC(F)                                                           \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(uint64_t, id, u64)                                                                          \
  F(Msat, amount_msat, u64)                                                                     \
  F(PaymentHash, payment_hash, sha256)                                                          \
  F(BlockHeight, cltv_expiry, u32)                                                              \
  F(OnionPacket, onion_routing_packet, fixed)
#define FULGUR_WIRE_UPDATE_FULFILL_HTLC(F)                                                       \
  F(ChannelId, channel_id, channel_id) F(uint64_t, id, u64) F(Preimage, payment_preimage, fixed)
#define FULGUR_WIRE_UPDATE_FAIL_HTLC(F)                                                          \
  F(ChannelId, channel_id, channel_id) F(uint64_t, id, u64) F(Bytes, reason, u16_bytes)
#define FULGUR_WIRE_UPDATE_FAIL_MALFORMED_HTLC(F)                                                \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(uint64_t, id, u64)                                                                          \
  F(Hash256, sha256_of_onion, sha256)                                                           \
  F(uint16_t, failure_code, u16)
#define FULGUR_WIRE_START_BATCH(F) F(ChannelId, channel_id, channel_id) F(uint16_t, batch_size, u16)
#define FULGUR_WIRE_COMMITMENT_SIGNED(F)                                                         \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(Signature, signature, signature)                                                            \
  F(std::vector<Signature>, htlc_signature, u16_array<signature>)
#define FULGUR_WIRE_REVOKE_AND_ACK(F)                                                            \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(PerCommitmentSecret, per_commitment_secret, fixed)                                          \
  F(Point, next_per_commitment_point, point)
#define FULGUR_WIRE_UPDATE_FEE(F) F(ChannelId, channel_id, channel_id) F(FeeratePerKw, feerate_per_kw, u32)
#define FULGUR_WIRE_CHANNEL_REESTABLISH(F)                                                       \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(uint64_t, next_commitment_number, u64)                                                      \
  F(uint64_t, next_revocation_number, u64)                                                      \
  F(PerCommitmentSecret, your_last_per_commitment_secret, fixed)                                \
  F(Point, my_current_per_commitment_point, point)

#define FULGUR_WIRE_TX_ADD_INPUT(F)                                                              \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(uint64_t, serial_id, u64)                                                                   \
  F(Bytes, prevtx, u16_bytes)                                                                   \
  F(uint32_t, prevtx_vout, u32)                                                                 \
  F(uint32_t, sequence, u32)
#define FULGUR_WIRE_TX_ADD_OUTPUT(F)                                                             \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(uint64_t, serial_id, u64)                                                                   \
  F(Sat, sats, u64)                                                                             \
  F(Bytes, script, u16_bytes)
#define FULGUR_WIRE_TX_REMOVE(F) F(ChannelId, channel_id, channel_id) F(uint64_t, serial_id, u64)
#define FULGUR_WIRE_CHANNEL_ID_ONLY(F) F(ChannelId, channel_id, channel_id)
// witnesses: [u16:num_witnesses][num_witnesses*witness], witness = [u16:len][len*byte].
#define FULGUR_WIRE_TX_SIGNATURES(F)                                                             \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(Txid, txid, sha256)                                                                         \
  F(std::vector<Bytes>, witnesses, u16_array<u16_bytes>)
#define FULGUR_WIRE_TX_INIT_RBF(F)                                                               \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(uint32_t, locktime, u32)                                                                    \
  F(FeeratePerKw, feerate, u32)
#define FULGUR_WIRE_OPEN_CHANNEL2(F)                                                             \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(ChannelId, temporary_channel_id, channel_id)                                                \
  F(FeeratePerKw, funding_feerate_perkw, u32)                                                   \
  F(FeeratePerKw, commitment_feerate_perkw, u32)                                                \
  F(Sat, funding_satoshis, u64)                                                                 \
  F(Sat, dust_limit_satoshis, u64)                                                              \
  F(Msat, max_htlc_value_in_flight_msat, u64)                                                   \
  F(Msat, htlc_minimum_msat, u64)                                                               \
  F(CltvDelta, to_self_delay, u16)                                                              \
  F(uint16_t, max_accepted_htlcs, u16)                                                          \
  F(uint32_t, locktime, u32)                                                                    \
  F(Point, funding_pubkey, point)                                                               \
  F(Point, revocation_basepoint, point)                                                         \
  F(Point, payment_basepoint, point)                                                            \
  F(Point, delayed_payment_basepoint, point)                                                    \
  F(Point, htlc_basepoint, point)                                                               \
  F(Point, first_per_commitment_point, point)                                                   \
  F(Point, second_per_commitment_point, point)                                                  \
  F(uint8_t, channel_flags, byte)
#define FULGUR_WIRE_ACCEPT_CHANNEL2(F)                                                           \
  F(ChannelId, temporary_channel_id, channel_id)                                                \
  F(Sat, funding_satoshis, u64)                                                                 \
  F(Sat, dust_limit_satoshis, u64)                                                              \
  F(Msat, max_htlc_value_in_flight_msat, u64)                                                   \
  F(Msat, htlc_minimum_msat, u64)                                                               \
  F(uint32_t, minimum_depth, u32)                                                               \
  F(CltvDelta, to_self_delay, u16)                                                              \
  F(uint16_t, max_accepted_htlcs, u16)                                                          \
  F(Point, funding_pubkey, point)                                                               \
  F(Point, revocation_basepoint, point)                                                         \
  F(Point, payment_basepoint, point)                                                            \
  F(Point, delayed_payment_basepoint, point)                                                    \
  F(Point, htlc_basepoint, point)                                                               \
  F(Point, first_per_commitment_point, point)                                                   \
  F(Point, second_per_commitment_point, point)
#define FULGUR_WIRE_SPLICE_INIT(F)                                                               \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(int64_t, funding_contribution_satoshis, s64)                                                \
  F(FeeratePerKw, funding_feerate_perkw, u32)                                                   \
  F(uint32_t, locktime, u32)                                                                    \
  F(Point, funding_pubkey, point)
#define FULGUR_WIRE_SPLICE_ACK(F)                                                                \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(int64_t, funding_contribution_satoshis, s64)                                                \
  F(Point, funding_pubkey, point)
#define FULGUR_WIRE_SPLICE_LOCKED(F) F(ChannelId, channel_id, channel_id) F(Txid, splice_txid, sha256)

// BOLT #7
#define FULGUR_WIRE_ANNOUNCEMENT_SIGNATURES(F)                                                   \
  F(ChannelId, channel_id, channel_id)                                                          \
  F(ShortChannelId, short_channel_id, short_channel_id)                                         \
  F(Signature, node_signature, signature)                                                       \
  F(Signature, bitcoin_signature, signature)
#define FULGUR_WIRE_CHANNEL_ANNOUNCEMENT(F)                                                      \
  F(Signature, node_signature_1, signature)                                                     \
  F(Signature, node_signature_2, signature)                                                     \
  F(Signature, bitcoin_signature_1, signature)                                                  \
  F(Signature, bitcoin_signature_2, signature)                                                  \
  F(Bytes, features, u16_bytes)                                                                 \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(ShortChannelId, short_channel_id, short_channel_id)                                         \
  F(NodeId, node_id_1, point)                                                                   \
  F(NodeId, node_id_2, point)                                                                   \
  F(Point, bitcoin_key_1, point)                                                                \
  F(Point, bitcoin_key_2, point)
#define FULGUR_WIRE_NODE_ANNOUNCEMENT(F)                                                         \
  F(Signature, signature, signature)                                                            \
  F(Bytes, features, u16_bytes)                                                                 \
  F(uint32_t, timestamp, u32)                                                                   \
  F(NodeId, node_id, point)                                                                     \
  F(RgbColor, rgb_color, fixed)                                                                 \
  F(Alias, alias, fixed)                                                                        \
  F(Bytes, addresses, u16_bytes)
#define FULGUR_WIRE_CHANNEL_UPDATE(F)                                                            \
  F(Signature, signature, signature)                                                            \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(ShortChannelId, short_channel_id, short_channel_id)                                         \
  F(uint32_t, timestamp, u32)                                                                   \
  F(uint8_t, message_flags, byte)                                                               \
  F(uint8_t, channel_flags, byte)                                                               \
  F(CltvDelta, cltv_expiry_delta, u16)                                                          \
  F(Msat, htlc_minimum_msat, u64)                                                               \
  F(Msat, fee_base_msat, u32)                                                                   \
  F(uint32_t, fee_proportional_millionths, u32)                                                 \
  F(Msat, htlc_maximum_msat, u64)
#define FULGUR_WIRE_QUERY_SHORT_CHANNEL_IDS(F)                                                   \
  F(ChainHash, chain_hash, chain_hash) F(Bytes, encoded_short_ids, u16_bytes)
#define FULGUR_WIRE_REPLY_SHORT_CHANNEL_IDS_END(F)                                               \
  F(ChainHash, chain_hash, chain_hash) F(uint8_t, full_information, byte)
#define FULGUR_WIRE_QUERY_CHANNEL_RANGE(F)                                                       \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(BlockHeight, first_blocknum, u32)                                                           \
  F(uint32_t, number_of_blocks, u32)
#define FULGUR_WIRE_REPLY_CHANNEL_RANGE(F)                                                       \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(BlockHeight, first_blocknum, u32)                                                           \
  F(uint32_t, number_of_blocks, u32)                                                            \
  F(uint8_t, sync_complete, byte)                                                               \
  F(Bytes, encoded_short_ids, u16_bytes)
#define FULGUR_WIRE_GOSSIP_TIMESTAMP_FILTER(F)                                                   \
  F(ChainHash, chain_hash, chain_hash)                                                          \
  F(uint32_t, first_timestamp, u32)                                                             \
  F(uint32_t, timestamp_range, u32)

// THE table: M(struct name, spec name, type, fields, TLV set).
#define FULGUR_WIRE_MESSAGES(M)                                                                  \
  M(Warning, warning, 1, FULGUR_WIRE_ERROR, NoTlvs)                                             \
  M(Stfu, stfu, 2, FULGUR_WIRE_STFU, NoTlvs)                                                    \
  M(PeerStorage, peer_storage, 7, FULGUR_WIRE_PEER_STORAGE, NoTlvs)                             \
  M(PeerStorageRetrieval, peer_storage_retrieval, 9, FULGUR_WIRE_PEER_STORAGE, NoTlvs)          \
  M(Init, init, 16, FULGUR_WIRE_INIT, InitTlvs)                                                 \
  M(Error, error, 17, FULGUR_WIRE_ERROR, NoTlvs)                                                \
  M(Ping, ping, 18, FULGUR_WIRE_PING, NoTlvs)                                                   \
  M(Pong, pong, 19, FULGUR_WIRE_PONG, NoTlvs)                                                   \
  M(OpenChannel, open_channel, 32, FULGUR_WIRE_OPEN_CHANNEL, OpenChannelTlvs)                   \
  M(AcceptChannel, accept_channel, 33, FULGUR_WIRE_ACCEPT_CHANNEL, AcceptChannelTlvs)           \
  M(FundingCreated, funding_created, 34, FULGUR_WIRE_FUNDING_CREATED, NoTlvs)                   \
  M(FundingSigned, funding_signed, 35, FULGUR_WIRE_FUNDING_SIGNED, NoTlvs)                      \
  M(ChannelReady, channel_ready, 36, FULGUR_WIRE_CHANNEL_READY, ChannelReadyTlvs)               \
  M(Shutdown, shutdown, 38, FULGUR_WIRE_SHUTDOWN, NoTlvs)                                       \
  M(ClosingSigned, closing_signed, 39, FULGUR_WIRE_CLOSING_SIGNED, ClosingSignedTlvs)           \
  M(ClosingComplete, closing_complete, 40, FULGUR_WIRE_CLOSING_COMPLETE, ClosingTlvs)           \
  M(ClosingSig, closing_sig, 41, FULGUR_WIRE_CLOSING_COMPLETE, ClosingTlvs)                     \
  M(OpenChannel2, open_channel2, 64, FULGUR_WIRE_OPEN_CHANNEL2, OpeningTlvs)                     \
  M(AcceptChannel2, accept_channel2, 65, FULGUR_WIRE_ACCEPT_CHANNEL2, OpeningTlvs)               \
  M(TxAddInput, tx_add_input, 66, FULGUR_WIRE_TX_ADD_INPUT, TxAddInputTlvs)                      \
  M(TxAddOutput, tx_add_output, 67, FULGUR_WIRE_TX_ADD_OUTPUT, NoTlvs)                           \
  M(TxRemoveInput, tx_remove_input, 68, FULGUR_WIRE_TX_REMOVE, NoTlvs)                           \
  M(TxRemoveOutput, tx_remove_output, 69, FULGUR_WIRE_TX_REMOVE, NoTlvs)                         \
  M(TxComplete, tx_complete, 70, FULGUR_WIRE_CHANNEL_ID_ONLY, NoTlvs)                            \
  M(TxSignatures, tx_signatures, 71, FULGUR_WIRE_TX_SIGNATURES, TxSignaturesTlvs)                \
  M(TxInitRbf, tx_init_rbf, 72, FULGUR_WIRE_TX_INIT_RBF, TxRbfTlvs)                              \
  M(TxAckRbf, tx_ack_rbf, 73, FULGUR_WIRE_CHANNEL_ID_ONLY, TxRbfTlvs)                            \
  M(TxAbort, tx_abort, 74, FULGUR_WIRE_ERROR, NoTlvs)                                            \
  M(SpliceLocked, splice_locked, 77, FULGUR_WIRE_SPLICE_LOCKED, NoTlvs)                          \
  M(SpliceInit, splice_init, 80, FULGUR_WIRE_SPLICE_INIT, SpliceTlvs)                            \
  M(SpliceAck, splice_ack, 81, FULGUR_WIRE_SPLICE_ACK, SpliceTlvs)                               \
  M(StartBatch, start_batch, 127, FULGUR_WIRE_START_BATCH, StartBatchTlvs)                      \
  M(UpdateAddHtlc, update_add_htlc, 128, FULGUR_WIRE_UPDATE_ADD_HTLC, UpdateAddHtlcTlvs)        \
  M(UpdateFulfillHtlc, update_fulfill_htlc, 130, FULGUR_WIRE_UPDATE_FULFILL_HTLC,               \
    UpdateFulfillHtlcTlvs)                                                                      \
  M(UpdateFailHtlc, update_fail_htlc, 131, FULGUR_WIRE_UPDATE_FAIL_HTLC, UpdateFailHtlcTlvs)    \
  M(CommitmentSigned, commitment_signed, 132, FULGUR_WIRE_COMMITMENT_SIGNED,                    \
    CommitmentSignedTlvs)                                                                       \
  M(RevokeAndAck, revoke_and_ack, 133, FULGUR_WIRE_REVOKE_AND_ACK, NoTlvs)                      \
  M(UpdateFee, update_fee, 134, FULGUR_WIRE_UPDATE_FEE, NoTlvs)                                 \
  M(UpdateFailMalformedHtlc, update_fail_malformed_htlc, 135,                                   \
    FULGUR_WIRE_UPDATE_FAIL_MALFORMED_HTLC, NoTlvs)                                             \
  M(ChannelReestablish, channel_reestablish, 136, FULGUR_WIRE_CHANNEL_REESTABLISH,              \
    ChannelReestablishTlvs)                                                                     \
  M(ChannelAnnouncement, channel_announcement, 256, FULGUR_WIRE_CHANNEL_ANNOUNCEMENT, NoTlvs)    \
  M(NodeAnnouncement, node_announcement, 257, FULGUR_WIRE_NODE_ANNOUNCEMENT, NoTlvs)             \
  M(ChannelUpdate, channel_update, 258, FULGUR_WIRE_CHANNEL_UPDATE, NoTlvs)                     \
  M(AnnouncementSignatures, announcement_signatures, 259, FULGUR_WIRE_ANNOUNCEMENT_SIGNATURES,  \
    NoTlvs)                                                                                     \
  M(QueryShortChannelIds, query_short_channel_ids, 261, FULGUR_WIRE_QUERY_SHORT_CHANNEL_IDS,    \
    QueryShortChannelIdsTlvs)                                                                   \
  M(ReplyShortChannelIdsEnd, reply_short_channel_ids_end, 262,                                  \
    FULGUR_WIRE_REPLY_SHORT_CHANNEL_IDS_END, NoTlvs)                                            \
  M(QueryChannelRange, query_channel_range, 263, FULGUR_WIRE_QUERY_CHANNEL_RANGE,               \
    QueryChannelRangeTlvs)                                                                      \
  M(ReplyChannelRange, reply_channel_range, 264, FULGUR_WIRE_REPLY_CHANNEL_RANGE,               \
    ReplyChannelRangeTlvs)                                                                      \
  M(GossipTimestampFilter, gossip_timestamp_filter, 265, FULGUR_WIRE_GOSSIP_TIMESTAMP_FILTER,   \
    NoTlvs)

#define FULGUR_WIRE_DECLARE_MESSAGE(Name, spec_name, number, FIELDS, Tlvs)                       \
  struct Name {                                                                                 \
    static constexpr uint16_t TYPE = number;                                                    \
    static constexpr std::string_view NAME = #spec_name;                                        \
    FIELDS(FULGUR_WIRE_FIELD_MEMBER)                                                            \
    Tlvs tlvs;                                                                                  \
    friend bool operator==(const Name&, const Name&) = default;                                 \
  };
FULGUR_WIRE_MESSAGES(FULGUR_WIRE_DECLARE_MESSAGE)
#undef FULGUR_WIRE_DECLARE_MESSAGE

}  // namespace fulgur::wire::msg

namespace fulgur::wire {

// BOLT #1: "upon receiving a message of _odd_, unknown type: MUST ignore the received
// message." Decoding such a message gives this, so the caller can count and drop it.
struct IgnoredMessage {
  uint16_t type = 0;
  friend bool operator==(const IgnoredMessage&, const IgnoredMessage&) = default;
};

#define FULGUR_WIRE_VARIANT_ALTERNATIVE(Name, spec_name, number, FIELDS, Tlvs) msg::Name,
using Message = std::variant<FULGUR_WIRE_MESSAGES(FULGUR_WIRE_VARIANT_ALTERNATIVE) IgnoredMessage>;
#undef FULGUR_WIRE_VARIANT_ALTERNATIVE

// The largest message the transport carries (BOLT 1 and 8: a 2-byte length).
constexpr size_t MAX_MESSAGE_SIZE = 65535;

// Decodes one whole message (2-byte type, payload, optional extension TLV stream).
// Errors carry PeerAction::Disconnect: an unknown even type, a payload too short for its
// fields, an invalid point or signature, or an invalid extension.
Result<Message> decode_message(ByteSpan bytes);

// Encodes a message with its type. The caller (the transport) refuses anything longer than
// MAX_MESSAGE_SIZE.
#define FULGUR_WIRE_DECLARE_ENCODE(Name, spec_name, number, FIELDS, Tlvs)                        \
  Bytes encode_message(const msg::Name& m);
FULGUR_WIRE_MESSAGES(FULGUR_WIRE_DECLARE_ENCODE)
#undef FULGUR_WIRE_DECLARE_ENCODE
// An IgnoredMessage cannot be encoded (it has no payload): a caller bug.
Bytes encode_message(const Message& m);

// The type field of a message, without decoding the rest; nothing if shorter than 2 bytes.
std::optional<uint16_t> peek_type(ByteSpan bytes);
uint16_t message_type(const Message& m);
// The spec's name ("update_add_htlc") for a known type, or "unknown".
std::string_view message_name(uint16_t type);
bool is_known_message_type(uint16_t type);

// Decodes and insists on one message type M.
template <typename M>
Result<M> decode_as(ByteSpan bytes) {
  FULGUR_TRY(Message m, decode_message(bytes));
  if (auto* typed = std::get_if<M>(&m)) return std::move(*typed);
  return decode_error("expected " + std::string(M::NAME) + ", got " +
                      std::string(message_name(message_type(m))));
}

}  // namespace fulgur::wire
