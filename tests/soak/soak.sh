#!/usr/bin/env bash
# Soak test (outside CI): one strata-server under back-to-back `strata bench`
# runs for --minutes, watching for errors and memory growth.
#
#   tests/soak/soak.sh --minutes M [--build DIR] [--interval-s 30]
#       [--batch 128] [--concurrency 8] [--scale 0.01] [--dim 16]
#       [--pool 256] [--warmup-intervals 1] [--keep]
#
# Generates a Criteo-shaped model (`strata gen-model --scale`), imports it,
# starts strata-server on loopback, then runs `strata bench --duration
# <interval> --json` back to back for M minutes (--pool: the distinct
# requests each run draws from, i.e. the key set the caches see), sampling
# the server's RSS (/proc/PID/status VmRSS) after each interval. Prints one
# row per interval (elapsed, requests/s, errors, p50, p99, RSS MB, the
# in-memory tiers' strata_tier_bytes in MB) and at the end: RSS growth (last
# interval vs. the first after --warmup-intervals) beside the tier caches'
# growth, total errors, the server's own non-OK Lookup count (/metrics),
# p99 first vs. last.
# Exits 1 if any call failed, a bench run failed or the server died; 2 on a
# usage error.
#
# The binaries are copied into the work dir first, so a rebuild of DIR
# during the run changes nothing. Absolute numbers depend on what else the
# machine runs; errors and RSS growth are the signal.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MINUTES=""
BUILD="$ROOT/build"
INTERVAL_S=30
BATCH=128
CONCURRENCY=8
SCALE=0.01
DIM=16
POOL=256
WARMUP_INTERVALS=1
KEEP=0

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --interval-s) INTERVAL_S="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --scale) SCALE="$2"; shift 2 ;;
    --dim) DIM="$2"; shift 2 ;;
    --pool) POOL="$2"; shift 2 ;;
    --warmup-intervals) WARMUP_INTERVALS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    *) echo "soak.sh: unknown argument $1" >&2; usage ;;
  esac
done
[[ -n "$MINUTES" ]] || { echo "soak.sh: --minutes is required" >&2; usage; }
for b in server/strata-server client/strata; do
  [[ -x "$BUILD/$b" ]] || { echo "soak.sh: no $BUILD/$b (build first)" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/strata-soak.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ "$KEEP" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$BUILD/server/strata-server" "$BUILD/client/strata" "$WORK/"
CLI="$WORK/strata"

echo "== model: gen-model --scale $SCALE --dim $DIM"
"$CLI" gen-model --out "$WORK/model" --scale "$SCALE" --dim "$DIM" --seed 1
"$CLI" import --data-dir "$WORK/data" --model criteo --from "$WORK/model"
rm -rf "$WORK/model"

"$WORK/strata-server" --data-dir "$WORK/data" --listen 127.0.0.1:0 \
  --port-file "$WORK/port" --metrics-listen 127.0.0.1:0 \
  --metrics-port-file "$WORK/metrics_port" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  [[ -s "$WORK/port" && -s "$WORK/metrics_port" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ ! -s "$WORK/port" ]] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "soak.sh: strata-server did not start:" >&2
  tail -20 "$WORK/server.log" >&2
  exit 1
fi
TARGET="127.0.0.1:$(cat "$WORK/port")"
METRICS_PORT="$(cat "$WORK/metrics_port")"
echo "== server pid $SERVER_PID on $TARGET (metrics :$METRICS_PORT);" \
  "bench --batch $BATCH --concurrency $CONCURRENCY, ${INTERVAL_S}s intervals" \
  "for $MINUTES min"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }

# The report, over $WORK/samples.tsv (interval, elapsed_s, rss_kb, bench rc)
# and the bench JSON of each interval: `row N` prints interval N's row,
# `summary` the totals.
report() {
  /usr/bin/python3 - "$WORK" "$WARMUP_INTERVALS" "$METRICS_PORT" "$@" <<'PY'
import json, re, sys, urllib.request

work, warmup, metrics_port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def load(n):
    try:
        with open(f"{work}/bench_{n}.json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def cache_mb(n):
    """Bytes the in-memory tiers (all but rocksdb) held after interval n."""
    try:
        with open(f"{work}/cache_{n}") as f:
            return float(f.read()) / 2**20
    except (OSError, ValueError):
        return None

def scrape_cache(n):
    try:
        text = urllib.request.urlopen(
            f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    except OSError:
        return
    total = sum(float(v) for tier, v in re.findall(
        r'^strata_tier_bytes\{[^}]*tier="(\w+)"\} (\S+)$', text, re.M)
        if tier != "rocksdb")
    with open(f"{work}/cache_{n}", "w") as f:
        f.write(str(total))

def pct(d, p):
    for e in d.get("latencyDistribution", []):
        if e["percentage"] == p:
            return e["latency"] / 1e6  # ns -> ms
    return float("nan")

rows = []
with open(f"{work}/samples.tsv") as f:
    for line in f:
        n, elapsed, rss, rc = line.split()
        d = load(n)
        errors = (d["errors"] if d else None)
        # rss 0: the server was gone when sampled.
        rows.append(dict(n=int(n), elapsed=float(elapsed),
                         rss_mb=int(rss) / 1024 if int(rss) else None,
                         rc=int(rc), d=d, errors=errors))

def fmt(r):
    d = r["d"]
    mark = " *" if r["n"] <= warmup else ""
    rss = f"{r['rss_mb']:>8.1f}" if r["rss_mb"] else f"{'-':>8}"
    c = cache_mb(r["n"])
    rss += f" {c:>8.1f}" if c is not None else f" {'-':>8}"
    if d is None:
        return (f"{r['n']:>4} {r['elapsed']:>8.0f} {'-':>10} {'-':>7} {'-':>8} "
                f"{'-':>8} {rss}  bench exited {r['rc']}")
    return (f"{r['n']:>4} {r['elapsed']:>8.0f} {d['rps']:>10.0f} {d['errors']:>7} "
            f"{pct(d, 50.0):>8.3f} {pct(d, 99.0):>8.3f} {rss}{mark}")

if what == "header":
    print(f"{'#':>4} {'elapsed_s':>8} {'req/s':>10} {'errors':>7} {'p50_ms':>8} "
          f"{'p99_ms':>8} {'rss_mb':>8} {'cache_mb':>8}")
elif what == "row":
    scrape_cache(rows[-1]["n"])
    print(fmt(rows[-1]), flush=True)
else:
    sampled = [r for r in rows if r["d"] is not None and r["rss_mb"]]
    steady = [r for r in sampled if r["n"] > warmup] or sampled
    errors = sum(r["errors"] or 0 for r in rows)
    failed_runs = [r["n"] for r in rows if r["rc"] != 0 or r["d"] is None]
    print(f"intervals: {len(rows)} ({warmup} warm-up, marked *)")
    if steady:
        a, b = steady[0], steady[-1]
        growth = b["rss_mb"] - a["rss_mb"]
        minutes = max((b["elapsed"] - a["elapsed"]) / 60, 1e-9)
        print(f"RSS: {a['rss_mb']:.1f} MB (interval {a['n']}) -> {b['rss_mb']:.1f} MB "
              f"(interval {b['n']}): {growth:+.1f} MB "
              f"({100 * growth / a['rss_mb']:+.1f}%, {growth / minutes:+.2f} MB/min); "
              f"peak {max(r['rss_mb'] for r in sampled):.1f} MB")
        ca, cb = cache_mb(a["n"]), cache_mb(b["n"])
        if ca is not None and cb is not None:
            print(f"tier caches (strata_tier_bytes, all but rocksdb): {ca:.1f} -> "
                  f"{cb:.1f} MB ({cb - ca:+.1f} MB); RSS growth beyond it: "
                  f"{growth - (cb - ca):+.1f} MB")
        print(f"p99: {pct(a['d'], 99.0):.3f} ms first -> {pct(b['d'], 99.0):.3f} ms last; "
              f"req/s {a['d']['rps']:.0f} -> {b['d']['rps']:.0f}")
        requests = sum(r["d"]["count"] for r in rows if r["d"])
        print(f"requests: {requests}")
    print(f"errors (bench): {errors}")
    try:
        text = urllib.request.urlopen(
            f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        non_ok = sum(float(v) for code, v in re.findall(
            r'^strata_requests_total\{method="Lookup",code="(\w+)"\} (\S+)$', text, re.M)
            if code != "OK")
        print(f"errors (server, Lookup non-OK in /metrics): {non_ok:.0f}")
    except OSError as e:
        non_ok = 0
        print(f"errors (server): /metrics unreadable: {e}")
    if failed_runs:
        print(f"bench runs that failed: {failed_runs}")
    sys.exit(1 if errors or non_ok or failed_runs else 0)
PY
}

: >"$WORK/samples.tsv"
report header
START=$(date +%s)
TOTAL_S=$(awk -v m="$MINUTES" 'BEGIN {printf "%d", m * 60}')
n=0
died=0
while (( $(date +%s) - START + INTERVAL_S <= TOTAL_S || n == 0 )); do
  n=$((n + 1))
  rc=0
  "$CLI" bench --target "$TARGET" --model criteo --batch "$BATCH" \
    --concurrency "$CONCURRENCY" --duration "$INTERVAL_S" --warmup 0 --pool "$POOL" --json \
    >"$WORK/bench_$n.json" 2>"$WORK/bench_$n.err" || rc=$?
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then died=1; fi
  echo "$n $(( $(date +%s) - START )) $(rss_kb) $rc" >>"$WORK/samples.tsv"
  report row
  if [[ "$rc" != 0 ]]; then tail -3 "$WORK/bench_$n.err" >&2; fi
  if [[ "$died" == 1 ]]; then
    echo "soak.sh: strata-server died during interval $n:" >&2
    tail -20 "$WORK/server.log" >&2
    break
  fi
done

echo "== summary"
status=0
report summary || status=1
if [[ "$died" == 1 ]]; then
  echo "server: DIED"
  status=1
else
  echo "server: alive"
fi
echo "result: $([[ $status == 0 ]] && echo PASS || echo FAIL)"
exit "$status"
