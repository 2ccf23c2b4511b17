// BOLT 5 on-chain resolution of one channel, sans-I/O: recognises the transaction that spends
// the funding output (mutual close, our commitment, the peer's current or next commitment, a
// revoked commitment of the peer), claims every output that is ours (sweeps, second-stage
// HTLC transactions, the penalty), follows each claim to a safe depth, survives reorgs and
// restarts. Inputs: channel snapshots while the channel runs, block connects/disconnects with
// their transactions, preimages, feerates. Outputs: an ordered action list (persist the
// record, broadcast, fund or CPFP requests for the wallet, events). Reads no clock, does no
// I/O, never crashes on what L1 or a stored record contains.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "bitcoin/tx.h"
#include "channel/local_keys.h"
#include "channel/scripts.h"
#include "common/bytes.h"
#include "common/ids.h"
#include "common/result.h"
#include "common/units.h"

namespace fulgur::channel {
struct HtlcTx;
}

namespace fulgur::channel::onchain {

namespace detail {
struct BuiltCommitment;
}

using PointBytes = std::array<uint8_t, 33>;  // a compressed point (checked when stored)
using SigBytes = std::array<uint8_t, 64>;    // a compact ECDSA signature (checked when stored)

// ---- what the channel tells the resolver ----

// An HTLC as committed, seen from our side.
struct Htlc {
  bool offered_by_us = false;
  uint64_t id = 0;
  Msat amount;
  PaymentHash payment_hash;
  uint32_t cltv_expiry = 0;
  friend bool operator==(const Htlc&, const Htlc&) = default;
};

// One commitment's contents from our side (to_us is ours whoever holds the commitment).
struct Commitment {
  uint64_t number = 0;
  FeeratePerKw feerate;
  Msat to_us;
  Msat to_them;
  std::vector<Htlc> htlcs;
  friend bool operator==(const Commitment&, const Commitment&) = default;
};

// What never changes once the channel is funded. Our secrets are not here: they derive from
// the node seed and `key_index` (channel/local_keys.h).
struct ChannelInfo {
  uint64_t key_index = 0;
  ChannelType type = ChannelType::StaticRemoteKey;
  bitcoin::OutPoint funding_outpoint;
  Sat funding_amount;
  bool we_are_opener = false;
  PointBytes remote_funding_pubkey{};
  PointBytes remote_revocation_basepoint{};
  PointBytes remote_payment_basepoint{};
  PointBytes remote_delayed_payment_basepoint{};
  PointBytes remote_htlc_basepoint{};
  uint16_t our_to_self_delay = 0;    // the CSV on our outputs in our commitment (peer's choice)
  uint16_t their_to_self_delay = 0;  // the CSV on their outputs in their commitment (ours)
  Sat our_dust_limit;
  Sat their_dust_limit;
  bitcoin::Script sweep_script;  // where every claim pays (a wallet scriptpubkey)
  friend bool operator==(const ChannelInfo&, const ChannelInfo&) = default;
};

// The channel's latest commitments, as the state machine persisted them.
struct Snapshot {
  Commitment local;                    // our latest commitment (never revoked)
  std::vector<SigBytes> local_htlc_signatures;  // the peer's, in HTLC output order
  Commitment remote;                   // the peer's current commitment
  PointBytes remote_point{};           // its per_commitment_point
  std::optional<Commitment> remote_next;  // signed by us, not yet revoked-for
  PointBytes remote_next_point{};
  Bytes remote_secrets;  // ShachainStore::to_bytes(): the peer's revealed secrets
  Bytes local_shutdown_script;
  Bytes remote_shutdown_script;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

struct Config {
  // Depth at which a resolving transaction counts as final for our decisions and events
  // (BOLT 5's "reasonable depth": fail upstream HTLCs, report claims and the penalty).
  uint32_t safe_depth = 6;
  // BOLT 5: outputs are irrevocably resolved once the resolving transaction is 100 deep;
  // the resolver watches until then and then reports ResolutionFinished.
  uint32_t final_depth = 100;
  // option_anchors: once the cheater's to_local is this close to leaving its CSV lock and
  // the penalty has not confirmed, each revoked output gets its own penalty (BOLT 5
  // recommends 18).
  uint32_t security_delay = 18;
};

// ---- the resolver's own state (persisted) ----

enum class Phase : uint8_t {
  Watching,   // funding output unspent (or its spend not confirmed)
  Resolving,  // a funding spend is confirmed: claiming and following outputs
  Finished,   // everything irrevocably resolved
};

enum class SpendKind : uint8_t {
  MutualClose,
  LocalCommitment,
  RemoteCommitment,      // the peer's current commitment
  RemoteNextCommitment,  // the peer's next commitment (signed, not yet revoked-for)
  RevokedCommitment,     // a commitment the peer revoked: penalty
  UnknownCommitment,     // a peer commitment we cannot place (data loss): to_remote only
  Unknown,               // not a close we know: BOLT 5 says warn about lost funds
};
const char* to_string(SpendKind kind);

enum class OutputRole : uint8_t {
  LocalToLocal,        // to_local of our commitment: ours after our_to_self_delay
  LocalOfferedHtlc,    // our offered HTLC on our commitment: HTLC-timeout tx after cltv
  LocalReceivedHtlc,   // their offered HTLC on our commitment: HTLC-success tx with preimage
  LocalHtlcTxOutput,   // the output of our HTLC-timeout/success tx: ours after the delay
  ToRemote,            // our main output on the peer's commitment
  RemoteOfferedHtlc,   // the peer's offered HTLC on its commitment: ours with the preimage
  RemoteReceivedHtlc,  // our offered HTLC on the peer's commitment: ours after cltv
  RevokedToLocal,      // the cheater's main output: penalty
  RevokedHtlc,         // any HTLC output of a revoked commitment: penalty
  RevokedHtlcTxOutput,  // the output of the cheater's HTLC-timeout/success tx: penalty
};
const char* to_string(OutputRole role);

// An output we must resolve.
struct TrackedOutput {
  bitcoin::OutPoint outpoint;
  Sat amount;
  OutputRole role = OutputRole::LocalToLocal;
  bitcoin::Script witness_script;  // empty for a P2WPKH to_remote
  uint32_t created_height = 0;     // where the transaction holding it confirmed
  std::optional<Htlc> htlc;        // for the HTLC roles
  uint32_t htlc_sig_index = 0;     // LocalOffered/ReceivedHtlc: index in local_htlc_signatures
  // Spent by a confirmed transaction (ours or not).
  std::optional<Txid> spent_by;
  uint32_t spent_height = 0;
  bool spent_by_us = false;
  std::vector<Txid> our_txids;  // every claim we built for it (so we recognise any of them)
  bool abandoned = false;       // worth less than its fee at the minimum relay feerate
  bool reported = false;        // OutputResolved emitted
  bool htlc_reported = false;   // the HTLC's outcome emitted
  friend bool operator==(const TrackedOutput&, const TrackedOutput&) = default;
};

enum class ClaimKind : uint8_t {
  Commitment,  // our own commitment, handed out by the state machine
  Sweep,       // an output of ours to sweep_script
  HtlcTx,      // our HTLC-timeout / HTLC-success transaction
  Penalty,     // revoked outputs with the revocation key
};
const char* to_string(ClaimKind kind);

// A transaction we broadcast and rebroadcast until it confirms or one of its inputs is spent
// by another transaction.
struct Claim {
  ClaimKind kind = ClaimKind::Sweep;
  bitcoin::Transaction tx;  // signed
  std::vector<bitcoin::OutPoint> claimed;  // the tracked outputs it spends
  FeeratePerKw feerate;
  uint32_t built_height = 0;
  std::optional<uint32_t> confirmed_height;
  bool reported = false;  // ClaimConfirmed / PenaltyConfirmed emitted
  friend bool operator==(const Claim&, const Claim&) = default;
};

struct FundingSpend {
  bitcoin::Transaction tx;
  uint32_t height = 0;
  SpendKind kind = SpendKind::Unknown;
  uint64_t commitment_number = 0;
  PointBytes point{};  // the commitment's per_commitment_point (commitments we can place)
  bool reported = false;  // HTLCs without an output failed at safe depth
  friend bool operator==(const FundingSpend&, const FundingSpend&) = default;
};

// An HTLC of the peer's commitments and the range of its commitment numbers that held it:
// what a penalty needs to rebuild the scripts of a revoked commitment.
struct HtlcHistory {
  Htlc htlc;
  uint64_t first_remote_number = 0;
  uint64_t last_remote_number = 0;
  friend bool operator==(const HtlcHistory&, const HtlcHistory&) = default;
};

// ---- outputs ----

struct PersistRecord {
  Bytes record;
};
struct Broadcast {
  ClaimKind kind = ClaimKind::Sweep;
  bitcoin::Transaction tx;
};
// option_anchors: an HTLC-timeout/success transaction carries no fee. The wallet adds inputs
// (and a change output) AFTER input 0 and output 0, signs its own inputs, and hands the
// transaction back through Resolver::complete_htlc_tx, which signs input 0.
struct FundHtlcTx {
  bitcoin::OutPoint htlc_outpoint;
  bitcoin::Transaction tx;   // unsigned template: one input, one output
  uint64_t weight = 0;       // of the template once input 0 is signed
  FeeratePerKw feerate;
};
// option_anchors: our commitment is unconfirmed and may pay too little. The wallet spends our
// anchor (signed by Resolver::sign_anchor_input) with its own inputs so that the package
// reaches `feerate`.
struct CpfpNeeded {
  Txid parent;
  uint64_t parent_weight = 0;
  Sat parent_fee;
  bitcoin::OutPoint anchor;
  Sat anchor_amount;
  bitcoin::Script anchor_witness_script;
  FeeratePerKw feerate;
};

namespace event {
struct FundingSpent {
  SpendKind kind = SpendKind::Unknown;
  Txid txid;
  uint32_t height = 0;
  uint64_t commitment_number = 0;
};
struct FundingSpendReorged {  // back to watching
  Txid txid;
};
// A preimage revealed on chain for an HTLC (settle the upstream HTLC now).
struct HtlcFulfilled {
  Htlc htlc;
  Preimage preimage;
};
// An HTLC that ended without its preimage at safe depth: for one we offered, fail the
// upstream HTLC; for one offered to us, the peer took it back.
struct HtlcTimedOut {
  Htlc htlc;
};
// A tracked output's resolving transaction reached safe depth.
struct OutputResolved {
  bitcoin::OutPoint outpoint;
  OutputRole role = OutputRole::LocalToLocal;
  Txid spent_by;
  bool by_us = false;
};
// One of our claims reached safe depth; `amount` is what it paid to sweep_script.
struct ClaimConfirmed {
  ClaimKind kind = ClaimKind::Sweep;
  Txid txid;
  Sat amount;
};
struct PenaltyConfirmed {
  Txid txid;
  Sat amount;
};
// Everything irrevocably resolved (final_depth): the record may be archived.
struct ResolutionFinished {};
}  // namespace event

using Event = std::variant<event::FundingSpent, event::FundingSpendReorged, event::HtlcFulfilled,
                           event::HtlcTimedOut, event::OutputResolved, event::ClaimConfirmed,
                           event::PenaltyConfirmed, event::ResolutionFinished>;
using Action = std::variant<PersistRecord, Broadcast, FundHtlcTx, CpfpNeeded, Event>;

// Contract: execute in order. The PersistRecord comes last: every action before it derives
// from the previous record and the inputs given since, so if the process stops before the
// record is durable, the same inputs (the blocks above the recorded tip(), fed again) give
// the same actions again. Events are therefore delivered at least once: handle them
// idempotently.
struct Outputs {
  std::vector<Action> actions;
};

// ---- the resolver ----

class Resolver {
 public:
  // A resolver watching a funded channel. Errors on keys that are not points or a snapshot
  // whose commitments cannot be built.
  static Result<Resolver> create(const Config& config, const crypto::Secret32& node_seed,
                                 ChannelInfo info, Snapshot snapshot);
  // From a record; errors (never crashes) on a corrupt or unknown one.
  static Result<Resolver> restore(const Config& config, const crypto::Secret32& node_seed,
                                  ByteSpan record);

  // The channel's latest state (after each state the machine persisted): while watching it
  // replaces the snapshot and extends the HTLC history; ignored once resolving.
  Result<Outputs> update(Snapshot snapshot);
  // Our commitment was handed out for broadcast (force close): rebroadcast on each block until
  // the funding output is spent; with anchors, CpfpNeeded each block too. Ignored (error)
  // unless it is our latest commitment.
  Result<Outputs> local_commitment_broadcast(bitcoin::Transaction signed_commitment);
  // Block `height` connected as the new tip, with its transactions in block order (all of
  // them, or at least those spending watched_outpoints()).
  Outputs on_block(BlockHeight height, std::span<const bitcoin::Transaction> txs);
  // The tip block `height` was disconnected; the new tip is height - 1.
  Outputs on_block_disconnected(BlockHeight height);
  // A preimage learnt off chain (the daemon gives every preimage it may use).
  Outputs on_preimage(const Preimage& preimage);
  // The feerate new sweeps pay; a pending sweep is rebuilt when it rises by >= 25%.
  Outputs on_feerate(FeeratePerKw feerate);
  // The wallet-funded, wallet-signed transaction for a FundHtlcTx: checked (input 0 and
  // output 0 untouched) and input 0 signed; broadcast from now on.
  Result<Outputs> complete_htlc_tx(const bitcoin::OutPoint& htlc_outpoint,
                                   bitcoin::Transaction funded);
  // The witness for input `index` of a CPFP child spending our anchor (SIGHASH_ALL).
  Result<bitcoin::Witness> sign_anchor_input(const bitcoin::Transaction& child,
                                             size_t index) const;

  // What a transaction spending the funding output is, were it to confirm (e.g. the peer's
  // commitment found in the mempool when ours was refused as a conflict).
  SpendKind classify_spend(const bitcoin::Transaction& tx) const {
    return classify(tx, m_tip).kind;
  }

  // What the daemon must watch on chain.
  std::vector<bitcoin::OutPoint> watched_outpoints() const;
  Phase phase() const { return m_phase; }
  uint32_t tip() const { return m_tip; }
  const ChannelInfo& info() const { return m_info; }
  const Snapshot& snapshot() const { return m_snapshot; }
  const std::optional<FundingSpend>& funding_spend() const { return m_spend; }
  const std::vector<TrackedOutput>& outputs() const { return m_outputs; }
  const std::vector<Claim>& claims() const { return m_claims; }
  const std::vector<HtlcHistory>& history() const { return m_history; }
  Bytes record() const;

 private:
  Resolver(const Config& config, const crypto::Secret32& node_seed, uint64_t key_index);

  // onchain.cpp: inputs.
  Status load_snapshot(Snapshot snapshot);
  void extend_history(const Commitment& c);
  void process_tx(const bitcoin::Transaction& tx, uint32_t height, Outputs& out);
  void on_funding_spent(const bitcoin::Transaction& tx, uint32_t height, Outputs& out);
  void on_output_spent(size_t index, const bitcoin::Transaction& tx, size_t input,
                       uint32_t height, Outputs& out);
  void learn_preimage(const Preimage& preimage);
  void finish_update(Outputs& out, bool new_block);
  size_t find_output(const bitcoin::OutPoint& outpoint) const;  // SIZE_MAX when absent
  uint32_t depth(uint32_t height) const { return height > m_tip ? 0 : m_tip - height + 1; }

  // Keys (onchain.cpp, onchain_classify.cpp).
  uint64_t obscuring() const;
  Basepoints our_basepoints() const;
  Result<Basepoints> their_basepoints() const;
  Result<crypto::PublicKey> our_point(uint64_t number) const;
  Result<crypto::SecretKey> key_for(const TrackedOutput& o) const;
  Result<detail::BuiltCommitment> built(bool holder_is_us, const Commitment& c,
                                        const crypto::PublicKey& point) const;
  Result<CommitmentKeys> spend_keys() const;  // of the confirmed commitment

  // onchain_classify.cpp: what the funding spend is and which outputs to resolve.
  FundingSpend classify(const bitcoin::Transaction& tx, uint32_t height) const;
  void track_commitment_outputs(const FundingSpend& spend);
  void track_local(const FundingSpend& spend);
  void track_remote(const FundingSpend& spend, const Commitment& c);
  void track_revoked(const FundingSpend& spend);
  void track_to_remote(const FundingSpend& spend);
  void track_second_stage(const TrackedOutput& spent, const bitcoin::Transaction& tx,
                          size_t input);
  void track(const bitcoin::OutPoint& outpoint, Sat amount, OutputRole role,
             bitcoin::Script script, std::optional<Htlc> htlc, uint32_t height,
             uint32_t sig_index = 0);

  // onchain_claims.cpp: claims and events.
  bool ready(const TrackedOutput& o) const;
  void plan(Outputs& out, bool new_block);
  void plan_penalty(Outputs& out, bool new_block);
  bool penalty_split() const;
  void plan_split_penalties(const std::vector<size_t>& indexes, Outputs& out, bool new_block);
  void plan_output(size_t index, Outputs& out, bool new_block);
  Claim* live_claim(const std::vector<bitcoin::OutPoint>& claimed);
  void keep_alive(Claim& live, const std::vector<size_t>& indexes, Outputs& out, bool new_block);
  void add_claim(Claim claim, Outputs& out);
  Result<Claim> build_sweep(const std::vector<size_t>& indexes, ClaimKind kind,
                            FeeratePerKw feerate) const;
  Result<Claim> build_affordable(const std::vector<size_t>& indexes, ClaimKind kind) const;
  Result<HtlcTx> local_htlc_tx(const TrackedOutput& o) const;
  Result<bitcoin::Witness> htlc_tx_witness(const TrackedOutput& o,
                                           const bitcoin::Transaction& tx) const;
  void rebroadcast_local_commitment(Outputs& out);
  bool pending_htlc(const Htlc& h) const;
  void report(Outputs& out);
  void report_htlc(TrackedOutput& o, Outputs& out);
  void report_missing_htlcs(Outputs& out);
  bool all_resolved() const;

  friend struct RecordCodec;

  Config m_config;
  LocalChannelSecrets m_secrets;
  ChannelInfo m_info;
  Snapshot m_snapshot;
  std::vector<HtlcHistory> m_history;
  std::map<std::pair<bool, uint64_t>, size_t> m_history_index;  // (offered_by_us, id) -> entry
  std::map<PaymentHash, Preimage> m_preimages;
  uint32_t m_tip = 0;
  FeeratePerKw m_feerate{253};
  std::optional<bitcoin::Transaction> m_local_broadcast;  // our commitment, handed out
  Phase m_phase = Phase::Watching;
  std::optional<FundingSpend> m_spend;
  std::vector<TrackedOutput> m_outputs;
  std::vector<Claim> m_claims;
  bool m_finish_reported = false;
};

}  // namespace fulgur::channel::onchain
