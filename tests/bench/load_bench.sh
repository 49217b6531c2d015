#!/usr/bin/env bash
# Run-time model load speed: rows/s and MB/s of `strata models load` of a
# generated model into a running strata-server, next to the same disk's
# sequential write speed measured in the same run (dd of as many bytes, with
# conv=fdatasync, into the data dir's filesystem). Prints one JSON line;
# ratio = load MB/s / dd MB/s (BENCHMARKS.md: target >= 0.5).
#
#   tests/bench/load_bench.sh BUILD_DIR [ROWS_PER_TABLE] [TABLES] [DIM]
set -euo pipefail
build="$(cd "$1" && pwd)"
rows="${2:-2000000}"
tables="${3:-4}"
dim="${4:-64}"
work="$(mktemp -d "${TMPDIR:-/tmp}/strata-load-bench.XXXXXX")"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$build/client/strata" gen-model --out "$work/model" --tables "$tables" \
  --rows "$rows" --dim "$dim" >/dev/null
bytes=$(du -cb "$work"/model/*/key "$work"/model/*/emb_vector | tail -1 | cut -f1)

"$build/server/strata-server" --data-dir "$work/data" --listen 127.0.0.1:0 \
  --port-file "$work/port" --metrics-listen "" --log-level warn \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do [[ -s "$work/port" ]] && break; sleep 0.05; done
target="127.0.0.1:$(cat "$work/port")"

# The source is in the page cache (just written), as dd's is in memory: both
# sides measure what it costs to get the bytes onto the disk.
"$build/client/strata" models load --target "$target" --model bench \
  --from "$work/model" >/dev/null
load_json="$("$build/client/strata" models get --target "$target" --model bench)"
seconds=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["load"]["seconds"])' "$load_json")

dd_start=$(date +%s.%N)
dd if=/dev/zero of="$work/data/dd.bin" bs=4M count=$(( (bytes + 4194303) / 4194304 )) \
  conv=fdatasync status=none
dd_end=$(date +%s.%N)
rm -f "$work/data/dd.bin"

python3 - "$rows" "$tables" "$bytes" "$seconds" "$dd_start" "$dd_end" <<'EOF'
import json, sys
rows, tables, nbytes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
load_s = float(sys.argv[4])
dd_s = float(sys.argv[6]) - float(sys.argv[5])
mb = nbytes / 1e6
out = {
    "rows": rows * tables,
    "bytes": nbytes,
    "load_s": round(load_s, 3),
    "load_rows_per_s": round(rows * tables / load_s),
    "load_mb_per_s": round(mb / load_s, 1),
    "dd_fdatasync_mb_per_s": round(mb / dd_s, 1),
    "ratio": round((mb / load_s) / (mb / dd_s), 3),
}
print(json.dumps(out))
EOF
