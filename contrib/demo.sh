#!/usr/bin/env bash
# The Fulgur demo: three nodes A, B, C on l1sim (the embedded regtest L1).
#
#   1. start l1sim and three nodes, each with its own wallet on l1sim, and fund them
#   2. open channels A->B (anchors) and B->C (static_remotekey)
#   3. payments over each channel, both ways (keysend: the preimage rides in the onion)
#   4. close A-B mutually and force-close B-C; the closing transactions confirmed on l1sim
#      and the mutual close's outputs in the wallets
#
# Not in Fulgur yet, so not shown: a payment routed through B (invoice + HTLC switch), the
# sweeps of a force-closed channel's outputs, and the penalty for a revoked commitment.
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
for n in A B C; do start_node "$n"; done
for n in A B C; do say "node $n: $(node_uri "$n")"; done

for n in A B C; do
  addr="$(cli "$n" newaddr | jq -r .address)"
  rpc generatetoaddress 1 "\"$addr\"" >/dev/null
done
mine 100
say "each node's wallet received a coinbase of 50 BTC (matured by 100 blocks)"

step "2. channels A->B and B->C"
cli A connect "$(node_uri B)" >/dev/null
cli B connect "$(node_uri C)" >/dev/null
AB="$(cli A openchannel "$(node_id B)" 1000000 --type anchors | jq -r .channel.channel_id)"
BC="$(cli B openchannel "$(node_id C)" 1000000 --type static_remotekey | jq -r .channel.channel_id)"
mine 3
wait_for "A->B normal" channel_is A "$AB" normal
wait_for "B->C normal" channel_is B "$BC" normal
say "A->B $AB (anchors, 1,000,000 sat)"
say "B->C $BC (static_remotekey, 1,000,000 sat)"

balances() {
  say "A->B: A $(sat "$(channel A "$AB" | jq .to_us_msat)") sat | B $(sat "$(channel B "$AB" | jq .to_us_msat)") sat"
  say "B->C: B $(sat "$(channel B "$BC" | jq .to_us_msat)") sat | C $(sat "$(channel C "$BC" | jq .to_us_msat)") sat"
}
say "balances:"; balances

step "3. payments over each channel, both ways"
pay() {  # pay <from> <to> <msat>
  local r; r="$(cli "$1" keysend "$(node_id "$2")" "$3")" || die "keysend $1 -> $2 failed: $r"
  say "$1 -> $2: $(( $3 / 1000 )) sat, preimage $(jq -r .payment.preimage <<<"$r" | cut -c1-16)..."
}
pay A B 150000000
pay B C 250000000
pay C B 50000000
pay B A 20000000
say "balances:"; balances

step "4. close A-B mutually, force-close B-C"
wallet_sat() { cli "$1" listfunds | jq .onchain_total_sat; }
before_a="$(wallet_sat A)"; before_b="$(wallet_sat B)"
mutual="$(cli A close "$AB" | jq -r .closing_txid)"
say "A-B mutual close: $mutual"
# B broadcasts its commitment and tells C (a BOLT 1 error); C, failing the channel, puts
# its own commitment out too: the L1 keeps whichever came first.
cli B close "$BC" --force >"$WORK/force.json" || true
say "B-C force close by B: $(jq -c '{closing_txid, error: .error.message}' "$WORK/force.json")"
mine 1
confirmed() { rpc_try getrawtransaction "\"$1\"" true | jq -e '.confirmations >= 1' >/dev/null; }
wait_for "the mutual close to confirm" confirmed "$mutual"
forced=""
for n in B C; do
  txid="$(channel "$n" "$BC" | jq -r '.closing_txid // empty')"
  if [ -n "$txid" ] && confirmed "$txid"; then forced="$txid"; say "confirmed B-C commitment: $txid (${n}'s)"; fi
done
[ -n "$forced" ] || die "no B-C commitment confirmed"
say "both closes confirmed by block $(height)"
mine 1  # the wallets count the close's outputs once confirmed
wait_for "A's wallet to see the close" test "$(wallet_sat A)" -gt "$before_a"
say "A's wallet: $before_a -> $(wallet_sat A) sat (its 870,000 sat side less the closing fee)"
say "B's wallet: $before_b -> $(wallet_sat B) sat (its 130,000 sat side)"
say "(the outputs of the confirmed B-C commitment wait for their sweeps: on-chain"
say " resolution, which Fulgur does not do yet)"

step "done: stopping every process and removing $WORK"
