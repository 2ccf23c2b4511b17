#!/usr/bin/env bash
# The Fulgur demo: three nodes A, B, C on l1sim (the embedded regtest L1).
#
#   1. start l1sim and three nodes, each with its own wallet on l1sim, and fund them
#   2. open channels A->B (anchors), B->C (static_remotekey) and C->A (anchors)
#   3. C creates an invoice; A pays it along the route A->B->C; B earns its forwarding fee
#   4. close A-B mutually and force-close B-C; every output swept to the wallets, confirmed
#   5. C cheats: after paying A over C->A it broadcasts its revoked commitment; A's penalty
#      transaction takes the whole channel
#
# Everything runs in a temporary directory that is removed at the end, and every process
# it started is stopped, also on failure or Ctrl-C. Usage: contrib/demo.sh <build dir>
set -euo pipefail

BUILD="${1:?usage: demo.sh <build dir>}"
L1SIM="$BUILD/contrib/l1sim/l1sim"
FULGURD="$BUILD/bin/fulgurd"
CLI="$BUILD/cli/fulgur-cli"
for bin in "$L1SIM" "$FULGURD" "$CLI"; do
  [ -x "$bin" ] || { echo "demo: $bin is missing (build first: contrib/fulgur.sh setup)" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fulgur-demo-XXXXXX")"
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    echo
    echo "demo failed (exit $rc); the last lines of each log:" >&2
    for log in "$WORK"/*/data/logs/channeld.log "$WORK"/l1/regtest/l1sim.log; do
      [ -f "$log" ] && { echo "--- $log" >&2; tail -15 "$log" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# ---- l1sim ----------------------------------------------------------------------------
RPC_PORT=""
rpc() {  # rpc <method> [json params...]: bitcoind-style JSON-RPC call to l1sim
  local result; result="$(rpc_try "$@")" || die "l1sim $1: $result"
  echo "$result"
}
rpc_try() {  # as rpc, but an RPC error is this function's failure (printed), not the demo's
  local method="$1"; shift
  local params; params="$(printf '%s,' "$@")"; params="[${params%,}]"
  local reply
  reply="$(curl -sS --user "$(cat "$WORK/l1/regtest/.cookie")" \
    --data-binary "{\"jsonrpc\":\"1.0\",\"id\":\"demo\",\"method\":\"$method\",\"params\":$params}" \
    -H 'content-type: text/plain;' "http://127.0.0.1:$RPC_PORT/")"
  if [ "$(jq -r '.error' <<<"$reply")" != "null" ]; then
    jq -c '.error' <<<"$reply"
    return 1
  fi
  jq -c '.result' <<<"$reply"
}
BURN=""
mine() { rpc generatetoaddress "$1" "\"$BURN\"" >/dev/null; }
height() { rpc getblockcount; }

# ---- nodes ----------------------------------------------------------------------------
cli() {  # cli <node> <args...>
  local node="$1"; shift
  "$CLI" --datadir "$WORK/$node/data" "$@"
}
wait_for() {  # wait_for <what> <command...>: polls the command until it succeeds (60 s)
  local what="$1"; shift
  for _ in $(seq 1 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "timed out waiting for $what"
}
start_node() {  # start_node <name> [extra conf lines...]
  local name="$1"; shift
  mkdir -p "$WORK/$name/data"
  rpc createwallet "\"$name\"" >/dev/null  # the node's own on-chain wallet on l1sim
  {
    echo "network=regtest"
    echo "bind-addr=127.0.0.1:0"
    echo "bitcoind-rpcport=$RPC_PORT"
    echo "bitcoind-rpccookie=$WORK/l1/regtest/.cookie"
    echo "bitcoind-wallet=$name"
    echo "block-poll-ms=100"
    echo "to-self-delay=10"
    for line in "$@"; do echo "$line"; done
  } >"$WORK/$name/data/fulgur.conf"
  "$FULGURD" --datadir "$WORK/$name/data" >"$WORK/$name/fulgurd.out" 2>&1 &
  PIDS+=($!)
  wait_for "node $name" node_ready "$name"
}
node_ready() { cli "$1" getinfo | jq -e '.node_id and .channeld.listen_address' >/dev/null; }
node_id() { cli "$1" getinfo | jq -r '.node_id'; }
node_uri() { cli "$1" getinfo | jq -r '.node_id + "@" + .channeld.listen_address'; }
channel() { cli "$1" listchannels | jq -c --arg id "$2" '.channels[] | select(.channel_id == $id)'; }
channel_is() { channel "$1" "$2" | jq -e --arg s "$3" '.state == $s' >/dev/null; }
sat() { echo $(( $1 / 1000 )); }

step "1. l1sim and three nodes"
mkdir -p "$WORK/l1"
"$L1SIM" --datadir "$WORK/l1" --rpcport 0 >"$WORK/l1.out" 2>&1 &
PIDS+=($!)
wait_for "l1sim" test -s "$WORK/l1/regtest/rpcport"
RPC_PORT="$(cat "$WORK/l1/regtest/rpcport")"
wait_for "l1sim's cookie" test -s "$WORK/l1/regtest/.cookie"
BURN="$(rpc getnewaddress | jq -r .)"
say "l1sim: regtest on 127.0.0.1:$RPC_PORT"
start_node A
start_node B fee-base-msat=1000 fee-proportional-millionths=1000 cltv-expiry-delta=40
start_node C dev-allow-cheat=1  # lets C broadcast a revoked commitment in step 5
for n in A B C; do say "node $n: $(node_uri "$n")"; done

for n in A B C; do
  addr="$(cli "$n" newaddr | jq -r .address)"
  rpc generatetoaddress 1 "\"$addr\"" >/dev/null
done
mine 100
say "each node's wallet received a coinbase of 50 BTC (matured by 100 blocks)"

step "2. channels A->B, B->C and C->A"
cli A connect "$(node_uri B)" >/dev/null
cli B connect "$(node_uri C)" >/dev/null
cli C connect "$(node_uri A)" >/dev/null
AB="$(cli A openchannel "$(node_id B)" 1000000 --type anchors | jq -r .channel.channel_id)"
BC="$(cli B openchannel "$(node_id C)" 1000000 --type static_remotekey | jq -r .channel.channel_id)"
CA="$(cli C openchannel "$(node_id A)" 500000 --type anchors | jq -r .channel.channel_id)"
mine 3
wait_for "A->B normal" channel_is A "$AB" normal
wait_for "B->C normal" channel_is B "$BC" normal
wait_for "C->A normal" channel_is C "$CA" normal
has_scid() { channel "$1" "$2" | jq -e '.short_channel_id | type == "string"' >/dev/null; }
wait_for "A-B's short_channel_id" has_scid A "$AB"
wait_for "B-C's short_channel_id" has_scid B "$BC"
SCID_AB="$(channel A "$AB" | jq -r .short_channel_id)"
SCID_BC="$(channel B "$BC" | jq -r .short_channel_id)"
say "A->B $SCID_AB (anchors, 1,000,000 sat)"
say "B->C $SCID_BC (static_remotekey, 1,000,000 sat)"
say "C->A $(channel C "$CA" | jq -r .short_channel_id) (anchors, 500,000 sat)"

to_us() { sat "$(channel "$1" "$2" | jq .to_us_msat)"; }
balances() {
  say "A->B: A $(to_us A "$AB") sat | B $(to_us B "$AB") sat"
  say "B->C: B $(to_us B "$BC") sat | C $(to_us C "$BC") sat"
}
say "balances:"; balances

step "3. C invoices 100,000 sat; A pays it through B"
INVOICE="$(cli C invoice 100000000 "a coffee, paid through B" | jq -r .bolt11)"
say "C's invoice: ${INVOICE:0:60}..."
# B's policy (fee-base-msat, fee-proportional-millionths, cltv-expiry-delta in its config)
# is what A must pay for the hop B->C; routerd will find routes, here A is told the route.
ROUTE="$(jq -nc --arg b "$(node_id B)" --arg c "$(node_id C)" --arg ab "$SCID_AB" --arg bc "$SCID_BC" \
  '[{node_id: $b, short_channel_id: $ab},
    {node_id: $c, short_channel_id: $bc, fee_base_msat: 1000, fee_proportional_millionths: 1000,
     cltv_expiry_delta: 40}]')"
paid="$(cli A pay "$INVOICE" --route "$ROUTE")" || die "A could not pay C's invoice: $paid"
say "paid: preimage $(jq -r .payment.preimage <<<"$paid" | cut -c1-16)..., fee $(jq -r .payment.fee_msat <<<"$paid") msat"
say "C's invoice: $(cli C listinvoices | jq -r '.invoices[0].status')"
say "B's forwards: $(cli B listforwards | jq -c '[.forwards[] | {in_msat, out_msat, fee_msat, status}]')"
say "B earned $(cli B listforwards | jq .fees_earned_msat) msat"
wait_settled() { channel "$1" "$2" | jq -e '.htlcs | length == 0' >/dev/null; }
wait_for "A-B to settle" wait_settled A "$AB"
wait_for "B-C to settle" wait_settled B "$BC"
say "balances:"; balances

step "4. close A-B mutually, force-close B-C"
wallet_sat() { cli "$1" listfunds | jq .onchain_total_sat; }
before_a="$(wallet_sat A)"; before_b="$(wallet_sat B)"; before_c="$(wallet_sat C)"
mutual="$(cli A close "$AB" | jq -r .closing_txid)"
say "A-B mutual close: $mutual"
forced="$(cli B close "$BC" --force | jq -r .closing_txid)" || die "B could not force-close B-C"
say "B-C force close: B's commitment $forced"
mine 1
swept() {  # swept <node> <channel>: each of the node's outputs claimed and every claim confirmed
  cli "$1" listonchain | jq -e --arg id "$2" '.channels[] | select(.channel_id == $id) |
    (.claims | length > 0 and all(.confirmations >= 1)) and (.outputs | all(.status != "waiting"))' >/dev/null
}
claims() {  # claims <node> <channel>: what the node's on-chain resolution did
  cli "$1" listonchain | jq -r --arg id "$2" '.channels[] | select(.channel_id == $id) |
    "     spent by \(.spend_kind) \(.spend_txid[0:16])...",
    (.claims[] | "     \(.kind) \(.txid[0:16])... \(.amount_sat) sat, \(.confirmations) confirmations")'
}
# B's own output waits for its to_self_delay (10 blocks here); C's is swept at once.
for _ in $(seq 1 12); do
  mine 1
  swept B "$BC" 2>/dev/null && swept C "$BC" 2>/dev/null && break
  sleep 0.3
done
mine 6   # the sweeps to a safe depth
wait_for "B to sweep B-C" swept B "$BC"
wait_for "C to sweep B-C" swept C "$BC"
say "B's resolution of B-C:"; claims B "$BC"
say "C's resolution of B-C:"; claims C "$BC"
wait_for "A's wallet to see the mutual close" test "$(wallet_sat A)" -gt "$before_a"
say "wallets: A $before_a -> $(wallet_sat A) sat, B $before_b -> $(wallet_sat B) sat, C $before_c -> $(wallet_sat C) sat"

step "5. C cheats on C->A; A's penalty takes the whole channel"
cli C keysend "$(node_id A)" 300000000 >/dev/null || die "C could not pay A"
wait_for "C-A to settle" wait_settled C "$CA"
say "C paid A 300,000 sat: C $(to_us C "$CA") sat | A $(to_us A "$CA") sat"
before_a="$(wallet_sat A)"; before_c="$(wallet_sat C)"
cheat="$(cli C dev-broadcast-revoked "$CA")" || die "C could not broadcast: $cheat"
say "C broadcasts its revoked commitment $(jq -r .commitment_number <<<"$cheat"): $(jq -r .txid <<<"$cheat")"
mine 1
penalized() { cli A listonchain | jq -e --arg id "$CA" \
  '.channels[] | select(.channel_id == $id) | .claims | any(.kind == "penalty")' >/dev/null; }
wait_for "A's penalty" penalized
mine 6
wait_for "A to sweep C-A" swept A "$CA"
say "A's resolution of C-A:"; claims A "$CA"
say "wallets: A $before_a -> $(wallet_sat A) sat (the whole 500,000 sat channel less fees)"
say "         C $before_c -> $(wallet_sat C) sat (nothing back from the channel)"

step "done: stopping every process and removing $WORK"
