# The contract of channeld, the channel daemon: the node's identity, its peers, its channels,
# direct payments over them, and the L1 wallet behind them. Served on
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
}

struct PaymentEntry {
  paymentHash @0 :Text;
  status @1 :Text;           # pending, succeeded, failed
  destination @2 :Text;      # node id
  amountMsat @3 :UInt64;
  preimage @4 :Text;         # proof of payment once succeeded, empty otherwise
  failure @5 :Text;          # why it failed (the decrypted BOLT 4 failure when there is one)
  failureCode @6 :UInt16;    # the BOLT 4 failure_code, 0 when none was returned
  channelId @7 :Text;        # the channel the HTLC went out on
  createdAt @8 :UInt64;      # unix seconds
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
  # commitment is broadcast at once. Errors: bad_argument, unknown_channel, no_l1,
  # close_failed, broadcast_failed (with `closingTxid` still set).
  close @5 (channelId :Text, force :Bool)
      -> (error :CallError, channel :ChannelEntry, closingTxid :Text);

  # A new address of the L1 wallet. Errors: no_l1, wallet_failed.
  newAddress @6 () -> (error :CallError, address :Text);

  # The L1 wallet's unspent outputs and our side of every channel. Errors: no_l1,
  # wallet_failed.
  listFunds @7 () -> (error :CallError, outputs :List(WalletOutput), channels :List(ChannelFunds));

  # Pays `amountMsat` to the peer `nodeId` over a direct channel (keysend: the preimage rides
  # in the onion), waiting for the outcome: the payment with its preimage, or failed with
  # the reason (the peer's decrypted BOLT 4 failure when it sent one). Errors: bad_argument,
  # no_channel (no usable channel with enough balance), payment_failed (with `payment`).
  keysend @8 (nodeId :Text, amountMsat :UInt64) -> (error :CallError, payment :PaymentEntry);

  # Every outgoing payment, oldest first.
  listPayments @9 () -> (payments :List(PaymentEntry));
}
