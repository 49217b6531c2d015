#!/usr/bin/env bash
# Runs the GPU checks on a device machine from a folder packed by
# pack_for_device.sh (the folder of this script, or $PACK_DIR), with
# LD_LIBRARY_PATH set to it, and writes into OUT_DIR:
#   nvidia-smi.txt        the device
#   libraries.txt         ldd of every binary (a missing library fails)
#   gpu_tests.xml / .log  strata_gpu_tests (JUnit) and its console output
#   gpu_dense_tests.xml / .log  the same for strata_gpu_dense_tests
#   gpu_cache_bench.json  strata_gpu_cache_bench --json (and .log: stderr)
#   binaries.log          strata-server --help and strata --help (they load)
#   lookup_e2e_*.json     Lookup end to end through strata-server with the
#                         cuda GPU cache: 256 and 4096 samples x 26 tables
#                         (strata bench --target: p50/p99, requests/s)
#   summary.txt           one "step rc=N" line per step
# Every step runs under a timeout (8 minutes 30 s in all at the very most;
# about three in practice); a failing step does not stop the others; the
# exit status is non-zero when any step failed.
#
#   ./run_on_device.sh OUT_DIR
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
pack=${PACK_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
mkdir -p "$1"
out=$(cd "$1" && pwd)
export LD_LIBRARY_PATH="$pack${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cd "$pack"
: >"$out/summary.txt"

failed=0
# step NAME TIMEOUT_S STDOUT STDERR COMMAND...: runs COMMAND with its output
# in the two files (under OUT_DIR), records its rc, never exits.
step() {
  local name=$1 limit=$2 stdout=$out/$3 stderr=$out/$4
  shift 4
  local rc=0 start=$SECONDS
  if [[ "$stdout" == "$stderr" ]]; then
    timeout -k 5 "$limit" "$@" >"$stdout" 2>&1 || rc=$?
  else
    timeout -k 5 "$limit" "$@" >"$stdout" 2>"$stderr" || rc=$?
  fi
  echo "$name rc=$rc seconds=$((SECONDS - start))" >>"$out/summary.txt"
  if [[ $rc -ne 0 ]]; then failed=1; fi
}

# shellcheck disable=SC2317  # run through bash -c below
check_libraries() {
  local rc=0 b
  for b in strata_gpu_tests strata_gpu_dense_tests strata_gpu_cache_bench \
           strata-server strata; do
    echo "== $b"
    ldd "./$b" || rc=1
    if ldd "./$b" | grep -q "not found"; then rc=1; fi
  done
  return "$rc"
}

# shellcheck disable=SC2317  # run through bash -c below
lookup_e2e() {
  local work rc=0 port
  work=$(mktemp -d)
  ./strata gen-model --out "$work/model" --scale 0.01 --dim 64 >/dev/null &&
    ./strata import --data-dir "$work/data" --model criteo \
      --from "$work/model" >/dev/null || return 1
  ./strata-server --data-dir "$work/data" --listen 127.0.0.1:0 \
    --port-file "$work/port" --gpu-cache-backend cuda \
    --gpu-cache-fraction 0.1 >"$out/lookup_e2e_server.log" 2>&1 &
  local server=$!
  for _ in $(seq 200); do
    [[ -s "$work/port" ]] && break
    kill -0 "$server" 2>/dev/null || { rm -rf "$work"; return 1; }
    sleep 0.1
  done
  port=$(cat "$work/port")
  for samples in 256 4096; do
    ./strata bench --target "127.0.0.1:$port" --model criteo \
      --batch "$samples" --concurrency 1 --duration 10 --json \
      >"$out/lookup_e2e_$samples.json" || rc=1
  done
  kill -TERM "$server"; wait "$server" || rc=1
  rm -rf "$work"
  return "$rc"
}

step nvidia-smi 20 nvidia-smi.txt nvidia-smi.txt nvidia-smi
step libraries 20 libraries.txt libraries.txt \
  bash -c "$(declare -f check_libraries); check_libraries"
step gpu_tests 150 gpu_tests.log gpu_tests.log \
  ./strata_gpu_tests -r junit -o "$out/gpu_tests.xml"
step gpu_dense_tests 60 gpu_dense_tests.log gpu_dense_tests.log \
  ./strata_gpu_dense_tests -r junit -o "$out/gpu_dense_tests.xml"
step gpu_cache_bench 100 gpu_cache_bench.json gpu_cache_bench.log \
  ./strata_gpu_cache_bench --json
step binaries 15 binaries.log binaries.log \
  bash -c './strata-server --help && ./strata --help'

step lookup_e2e 120 lookup_e2e.log lookup_e2e.log \
  bash -c "out=$out; $(declare -f lookup_e2e); lookup_e2e"

cat "$out/summary.txt"
exit $failed
