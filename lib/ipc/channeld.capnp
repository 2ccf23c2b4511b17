# The contract of channeld, the channel daemon: the node's identity, its peers, its channels,
# payments (sent along routes the caller gives, received with invoices, forwarded), and the
# L1 wallet behind them. Served on
# <datadir>/rpc/channeld.sock; fulgur-cli's peer, channel, payment and wallet commands and
# fulgurd's `nodeStatus` (the node id) talk to it. Ordinals are never reused.
#
# Errors: a method that can fail returns `error`; its `code` is empty on success, otherwise
# a stable machine-readable name (listed per method) and `message` says what went wrong for
# people. Nothing else in the results is meaningful when `code` is set.
@0xc298a66f3f741550;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fulgur::ipc::schema");

using Daemon = import "daemon.capnp";

struct CallError {
  code @0 :Text;
  message @1 :Text;
}

struct NodeInfo {
  nodeId @0 :Text;           # 33-byte compressed public key, hex
  listenAddress @1 :Text;    # host:port peers dial, empty when not listening
  network @2 :Text;          # regtest, signet, testnet, mainnet
  blockHeight @3 :UInt32;    # the L1 tip we follow, 0 until the L1 first answers
  connectedPeers @4 :UInt32;
  activeChannels @5 :UInt32; # channels not closed, force closed or aborted
  l1Status @6 :Text;         # "ok", "disabled" (no L1 configured) or the last L1 error
}

struct PeerEntry {
  nodeId @0 :Text;
  connected @1 :Bool;
  inbound @2 :Bool;          # the live connection was made by the peer
  remoteAddress @3 :Text;    # of the live connection
  dialAddress @4 :Text;      # where we redial it when it drops; empty if we do not
  features @5 :Text;         # the peer's init features, "name/bit" separated by spaces
  channels @6 :UInt32;       # channels with it, closed ones included
}

struct HtlcEntry {
  offered @0 :Bool;          # true: we offered it (outgoing); false: the peer did
  id @1 :UInt64;
  amountMsat @2 :UInt64;
  paymentHash @3 :Text;
  cltvExpiry @4 :UInt32;
}

struct OnchainOutput {
  outpoint @0 :Text;         # txid:vout
  role @1 :Text;             # local_to_local, local_offered_htlc, local_received_htlc,
                             # local_htlc_tx_output, to_remote, remote_offered_htlc,
                             # remote_received_htlc, revoked_to_local, revoked_htlc,
                             # revoked_htlc_tx_output
  amountSat @2 :UInt64;
  status @3 :Text;           # waiting, spent_by_us, spent_by_peer, abandoned (worth less
                             # than its fee)
  spentBy @4 :Text;          # the spending txid, empty while unspent
}

struct OnchainClaim {
  txid @0 :Text;
  kind @1 :Text;             # commitment, sweep, htlc_tx, penalty
  confirmations @2 :UInt32;  # 0 while pending (rebroadcast on every block)
  amountSat @3 :UInt64;      # what it pays to the L1 wallet
}

# The channel's on-chain resolution (BOLT 5): what spent the funding output and how each of
# its outputs is being claimed.
struct OnchainState {
  phase @0 :Text;            # watching (funding output unspent), resolving, resolved
  spendKind @1 :Text;        # mutual_close, local_commitment, remote_commitment,
                             # remote_next_commitment, revoked_commitment,
                             # unknown_commitment, unknown; empty while watching
  spendTxid @2 :Text;
  spendHeight @3 :UInt32;
  spendConfirmations @4 :UInt32;
  outputs @5 :List(OnchainOutput);
  claims @6 :List(OnchainClaim);
  confirmedSat @7 :UInt64;   # paid to the L1 wallet by confirmed claims
  pendingSat @8 :UInt64;     # by claims not confirmed yet
}

struct ChannelEntry {
  channelId @0 :Text;        # hex; the temporary id until funding_created
  peerId @1 :Text;
  state @2 :Text;            # awaiting_accept, awaiting_funding_tx, awaiting_funding_created,
                             # awaiting_funding_signed, awaiting_lockin, normal, shutdown,
                             # negotiating, closed, force_closed, aborted
  channelType @3 :Text;      # static_remotekey or anchors
  opener @4 :Text;           # local or remote
  fundingTxid @5 :Text;      # empty before funding_created
  fundingOutput @6 :UInt32;
  fundingSat @7 :UInt64;
  fundingDepth @8 :UInt32;
  shortChannelId @9 :Text;   # BLOCKxTXxOUT once the funding tx is confirmed, else empty
  toUsMsat @10 :UInt64;      # our balance in our current commitment (before fees)
  toThemMsat @11 :UInt64;
  feeratePerKw @12 :UInt32;
  htlcs @13 :List(HtlcEntry);  # in our current commitment
  peerConnected @14 :Bool;
  closingTxid @15 :Text;     # the mutual close or our commitment, once handed to the L1
  closingFeeSat @16 :UInt64; # for a mutual close
  localCommitmentNumber @17 :UInt64;
  pushMsat @18 :UInt64;
  hasOnchain @19 :Bool;      # a resolver watches the funding output (funded channels)
  onchain @20 :OnchainState;
}

# One hop of a route, from our peer to the destination: the node and the channel that
# reaches it, with that channel's relay policy as its source node advertises it (hop 0's fee
# and delta are not used: we do not pay ourselves).
struct RouteHop {
  nodeId @0 :Text;                    # hex
  shortChannelId @1 :Text;            # BLOCKxTXxOUT
  feeBaseMsat @2 :UInt64;
  feeProportionalMillionths @3 :UInt32;
  cltvExpiryDelta @4 :UInt32;
  htlcMinimumMsat @5 :UInt64;
  htlcMaximumMsat @6 :UInt64;         # 0: no maximum
}

# One part of a payment: a route and what it delivers (0: the whole payment).
struct PayPart {
  amountMsat @0 :UInt64;
  route @1 :List(RouteHop);
}

# One attempt of a payment: one HTLC on one of our channels.
struct AttemptEntry {
  channelId @0 :Text;
  htlcId @1 :UInt64;
  shortChannelId @2 :Text;   # of the first hop
  amountMsat @3 :UInt64;     # delivered to the destination
  sentMsat @4 :UInt64;       # left our channel (amount plus fees)
  status @5 :Text;           # pending, succeeded, failed
  failure @6 :Text;          # for people, empty unless failed
  failureCode @7 :UInt16;    # BOLT 4 failure_code, 0 when none could be read
  erringHop @8 :Int32;       # the hop that failed it (0: our peer), -1 when unknown
  erringNode @9 :Text;       # its node id, empty when unknown
  hops @10 :UInt32;
  dropped @11 :Bool;         # never left this node (dropped before it was committed)
}

struct PaymentEntry {
  paymentHash @0 :Text;
  status @1 :Text;           # pending, succeeded, failed
  destination @2 :Text;      # node id
  amountMsat @3 :UInt64;     # what the destination is paid (the total of all parts)
  preimage @4 :Text;         # proof of payment once succeeded, empty otherwise
  failure @5 :Text;          # why it failed (the last failed attempt, decoded)
  failureCode @6 :UInt16;    # the BOLT 4 failure_code, 0 when none was returned
  channelId @7 :Text;        # the channel the (first) HTLC went out on
  createdAt @8 :UInt64;      # unix seconds
  sentMsat @9 :UInt64;       # by the attempts that did not fail
  feeMsat @10 :UInt64;       # sentMsat less what they deliver
  keysend @11 :Bool;
  erringHop @12 :Int32;      # of the last failed attempt; -1 when unknown
  erringNode @13 :Text;
  attempts @14 :List(AttemptEntry);
}

struct InvoiceEntry {
  paymentHash @0 :Text;
  bolt11 @1 :Text;           # empty for a keysend receipt
  status @2 :Text;           # unpaid, paid, expired
  amountMsat @3 :UInt64;     # 0: any amount
  receivedMsat @4 :UInt64;   # once paid: the HTLCs fulfilled
  description @5 :Text;
  createdAt @6 :UInt64;
  expiresAt @7 :UInt64;
  paidAt @8 :UInt64;         # 0 unless paid
  preimage @9 :Text;         # once paid
  keysend @10 :Bool;
  parts @11 :UInt32;         # HTLCs held (unpaid) or fulfilled (paid)
}

struct ForwardEntry {
  paymentHash @0 :Text;
  inChannelId @1 :Text;
  inHtlcId @2 :UInt64;
  inShortChannelId @3 :Text;
  outChannelId @4 :Text;
  outHtlcId @5 :UInt64;
  outShortChannelId @6 :Text;
  inMsat @7 :UInt64;
  outMsat @8 :UInt64;
  feeMsat @9 :UInt64;        # earned: in less out, once settled (0 otherwise)
  status @10 :Text;          # offered, settled, failed
  failureCode @11 :UInt16;   # when this node failed it, else 0
  receivedAt @12 :UInt64;
  resolvedAt @13 :UInt64;    # 0 while offered
}

struct WalletOutput {
  txid @0 :Text;
  vout @1 :UInt32;
  amountSat @2 :UInt64;
  address @3 :Text;
  confirmations @4 :Int64;
}

struct ChannelFunds {
  channelId @0 :Text;
  peerId @1 :Text;
  state @2 :Text;
  ourAmountMsat @3 :UInt64;
  fundingSat @4 :UInt64;
}

interface Channeld extends(Daemon.Daemon) {
  # The node's identity and a summary. Never fails.
  getInfo @0 () -> (info :NodeInfo);

  # Connects to `uri` = "nodeid@host:port" (numeric host) and waits for the BOLT 8 handshake
  # and the init exchange. The peer's address is remembered. Errors: bad_argument,
  # connect_failed.
  connect @1 (uri :Text) -> (error :CallError, peer :PeerEntry);

  # Every peer connected now or remembered (we have channels with it or dialed it).
  listPeers @2 () -> (peers :List(PeerEntry));

  # Opens a channel of `amountSat` with a connected peer, funded by the L1 wallet, and waits
  # until the funding transaction is broadcast (after the peer's funding_signed).
  # `channelType` is "static_remotekey" or "anchors". Errors: bad_argument, not_connected,
  # no_l1, wallet_failed (e.g. insufficient funds), open_failed (the peer refused or left).
  openChannel @3 (nodeId :Text, amountSat :UInt64, pushMsat :UInt64, channelType :Text)
      -> (error :CallError, channel :ChannelEntry);

  # Every channel, closed ones included, oldest first.
  listChannels @4 () -> (channels :List(ChannelEntry));

  # Mutual close (shutdown, closing_signed negotiation; pays our side to a new L1 wallet
  # address), waiting until the closing transaction is broadcast; or with `force`, our latest
  # commitment is broadcast at once (and only then the BOLT 1 `error` goes to the peer).
  # When another transaction spent the funding output first (the peer's commitment), that
  # is no error: `closingTxid` is that transaction and `note` says so. Errors: bad_argument,
  # unknown_channel, no_l1, close_failed, broadcast_failed (with `closingTxid` still set).
  close @5 (channelId :Text, force :Bool)
      -> (error :CallError, channel :ChannelEntry, closingTxid :Text, note :Text);

  # A new address of the L1 wallet. Errors: no_l1, wallet_failed.
  newAddress @6 () -> (error :CallError, address :Text);

  # The L1 wallet's unspent outputs and our side of every channel. Errors: no_l1,
  # wallet_failed.
  listFunds @7 () -> (error :CallError, outputs :List(WalletOutput), channels :List(ChannelFunds));

  # Pays `amountMsat` to `nodeId` with keysend (the preimage rides in the onion), waiting for
  # the outcome: the payment with its preimage, or failed with the decoded BOLT 4 failure and
  # the hop that sent it. Without `route`, over a direct channel with `nodeId`; with one, along
  # it (it must end at `nodeId`). Errors: bad_argument, no_channel (no usable first channel
  # with enough balance, or the route was refused), payment_failed (with `payment`).
  keysend @8 (nodeId :Text, amountMsat :UInt64, route :List(RouteHop))
      -> (error :CallError, payment :PaymentEntry);

  # Every outgoing payment, oldest first, with its attempts.
  listPayments @9 () -> (payments :List(PaymentEntry));

  # A new BOLT 11 invoice signed with the node key (payment_secret required, basic_mpp
  # offered). `amountMsat` 0: any amount; `expirySeconds` 0: 3600; `minFinalCltvExpiryDelta`
  # 0: 18. Errors: bad_argument.
  invoice @10 (amountMsat :UInt64, description :Text, expirySeconds :UInt64,
               minFinalCltvExpiryDelta :UInt32)
      -> (error :CallError, bolt11 :Text, paymentHash :Text, expiresAt :UInt64);

  # Every invoice (and keysend receipt), oldest first.
  listInvoices @11 () -> (invoices :List(InvoiceEntry));

  # Pays a BOLT 11 invoice along the routes given, one HTLC per part (several: a multi-part
  # payment), and waits for the outcome: the preimage, or the failure with its code and the
  # hop that sent it. `amountMsat`: the total for an invoice without an amount (0: the
  # invoice's). Errors: invalid_invoice, bad_argument (a route that does not parse),
  # cannot_pay (nothing was sent: no such first channel, an expired invoice, amounts BOLT 4
  # forbids, a route not ending at the payee...), payment_failed (with `payment`).
  pay @12 (bolt11 :Text, amountMsat :UInt64, parts :List(PayPart))
      -> (error :CallError, payment :PaymentEntry);

  # Every HTLC forwarded through this node, oldest first, and the fees earned.
  listForwards @13 () -> (forwards :List(ForwardEntry), feesEarnedMsat :UInt64);

  # DEVELOPMENT ONLY, for tests of the penalty: our current commitment of the channel, fully
  # signed, WITHOUT broadcasting it (once revoked, broadcasting it is cheating). Refused
  # unless channeld runs with dev-allow-cheat=1. Errors: bad_argument, unknown_channel,
  # not_allowed, no_commitment.
  devSignedCommitment @14 (channelId :Text)
      -> (error :CallError, tx :Text, txid :Text, commitmentNumber :UInt64);

  # DEVELOPMENT ONLY, for the penalty demo and tests: broadcasts the newest commitment of
  # ours that we revoked (kept in memory only when channeld runs with dev-allow-cheat=1):
  # cheating, which the peer punishes by taking the whole channel. Errors: bad_argument,
  # unknown_channel, not_allowed, no_commitment (none kept yet), broadcast_failed.
  devBroadcastRevoked @15 (channelId :Text)
      -> (error :CallError, txid :Text, commitmentNumber :UInt64);
}
