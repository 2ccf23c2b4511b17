#!/usr/bin/env bash
# One entry point for people and CI. Each command installs what it needs (missing Debian
# packages only), configures with CMake + Ninja (+ ccache), builds, and runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FULGUR_BUILD_DIR:-$ROOT/build}"
JOBS="$(nproc)"

PACKAGES=(build-essential cmake ninja-build ccache pkg-config git
  libsodium-dev libsecp256k1-dev nettle-dev libuv1-dev liblmdb-dev capnproto libcapnp-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev liblemon-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  jq curl)
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

usage() {
  cat <<USAGE
usage: contrib/fulgur.sh <command> [args]

commands:
  setup            install missing Debian packages, configure and build (into build/)
  test             setup, then run every test with ctest (ends with ctest's summary)
  sanitize         build with AddressSanitizer + UBSan (build-asan/) and run every test
  fuzz [SECONDS]   build the libFuzzer targets with clang (build-fuzz/) and run each one
                   for SECONDS (default 10) on a copy of its seed corpus
  bench            build in Release (build-release/) and run every benchmark, then the
                   load tool for FULGUR_LOAD_SECONDS (default 10)
  demo             setup, then the three-node demo on l1sim (contrib/demo.sh)

environment:
  FULGUR_BUILD_DIR   build folder for setup/test (default: build/)
  FULGUR_WERROR=ON   treat compiler warnings as errors (CI sets it)
USAGE
}

log() { printf '\n==> %s\n' "$*"; }

install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure_and_build <dir> [cmake args...] [-- ninja targets...]
configure_and_build() {
  local dir="$1"; shift
  local cmake_args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmake_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift && targets=("$@")
  log "configuring $dir"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DFULGUR_WERROR="${FULGUR_WERROR:-OFF}" "${cmake_args[@]}" >/dev/null
  log "building $dir"
  cmake --build "$dir" --parallel "$JOBS" ${targets[@]:+--target "${targets[@]}"}
}

run_ctest() {
  log "testing $1"
  ctest --test-dir "$1" --output-on-failure --parallel "$JOBS" --timeout 600
}

cmd_setup() {
  install_missing "${PACKAGES[@]}"
  configure_and_build "$BUILD"
}

cmd_test() {
  cmd_setup
  run_ctest "$BUILD"
}

cmd_sanitize() {
  install_missing "${PACKAGES[@]}"
  configure_and_build "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DFULGUR_SANITIZE=ON -DFULGUR_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest "$ROOT/build-asan"
}

cmd_fuzz() {
  local seconds="${1:-10}" dir="$ROOT/build-fuzz"
  install_missing "${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
  CC=clang CXX=clang++ configure_and_build "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFULGUR_FUZZ=ON -DFULGUR_BENCH=OFF
  local failed=0
  while read -r target; do
    [ -z "$target" ] && continue
    local name="${target#fuzz_}" corpus="$dir/corpus/${target#fuzz_}"
    mkdir -p "$corpus"
    [ -d "$ROOT/tests/fuzz/corpus/$name" ] && cp -n "$ROOT/tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
    log "fuzzing $target for ${seconds}s"
    if ! "$dir/$(find "$dir" -name "$target" -type f -executable -printf '%P\n' | head -1)" \
        -max_total_time="$seconds" -print_final_stats=0 -close_fd_mask=3 "$corpus" 2>"$dir/$target.log"; then
      tail -50 "$dir/$target.log"; echo "FUZZ FAILURE: $target (log: $dir/$target.log)"; failed=1
    else
      grep -E '^Done|#[0-9]+.*DONE' "$dir/$target.log" | tail -1 || true
    fi
  done < "$dir/fuzzers.txt"
  return $failed
}

cmd_bench() {
  local dir="$ROOT/build-release"
  install_missing "${PACKAGES[@]}"
  configure_and_build "$dir" -DCMAKE_BUILD_TYPE=Release -DFULGUR_BENCH=ON
  while read -r target; do
    [ -z "$target" ] && continue
    log "$target"
    "$dir/$(find "$dir" -name "$target" -type f -executable -printf '%P\n' | head -1)" "$@"
  done < "$dir/benchmarks.txt"
  log "fulgur-load (${FULGUR_LOAD_SECONDS:-10} s of payments through one channel)"
  "$dir/bench/load/fulgur-load" --seconds "${FULGUR_LOAD_SECONDS:-10}"
}

cmd_demo() {
  cmd_setup
  bash "$ROOT/contrib/demo.sh" "$BUILD"
}

main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    setup) cmd_setup "$@" ;;
    test) cmd_test "$@" ;;
    sanitize) cmd_sanitize "$@" ;;
    fuzz) cmd_fuzz "$@" ;;
    bench) cmd_bench "$@" ;;
    demo) cmd_demo "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
