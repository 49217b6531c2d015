#!/usr/bin/env bash
# Dense-inference baseline: PyTorch's own forward vs Strata's dense engine on
# the MLPerf DLRM-v2 dense shape (13 dense features, 26 embeddings of dim 128,
# bottom 13-512-256-128, top 479-1024-1024-512-256-1), batch 256 and 2048.
#
#   tests/bench/infer/run.sh [--threads T] [--seconds S]
#
# 1. pytorch_dense_bench.py builds the model (seeded random weights), exports
#    it to $WORK/dlrm_v2.onnx and times PyTorch (T threads, S s per batch).
# 2. strata_dense_bench times the same graph through Strata's dense engine
#    (${BUILD_DIR:-build}/tests/bench/strata_dense_bench; skipped, with a
#    note, while it is not built).
# 3. End to end: the graph imported with 26 generated tables of dim 128,
#    strata-server with T workers, `strata bench --target --infer` (gRPC,
#    lookups and dense together).
# 4. Prints samples/s of all three and each over PyTorch's per batch size.
# Installs python3-torch and python3-onnx with apt when missing. Raw results
# are left in $WORK (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../../.."

THREADS=1
SECONDS_PER_BATCH=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --seconds) SECONDS_PER_BATCH="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (want --threads T, --seconds S)" >&2; exit 2 ;;
  esac
done

PY=/usr/bin/python3  # Debian's interpreter: the apt packages live there
if ! "$PY" -c 'import torch, onnx' 2>/dev/null; then
  echo "=== installing python3-torch python3-onnx (apt)" >&2
  if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y python3-torch python3-onnx python3-numpy >&2 || {
    $SUDO apt-get update >&2
    $SUDO apt-get install -y python3-torch python3-onnx python3-numpy >&2
  }
fi

BUILD_DIR="${BUILD_DIR:-build}"
STRATA_BENCH="$BUILD_DIR/tests/bench/strata_dense_bench"
WORK="$(mktemp -d -t strata-infer-bench.XXXXXX)"
BATCHES=(--batch 256 --batch 2048)

echo "=== PyTorch: $THREADS thread(s), ${SECONDS_PER_BATCH}s per batch" >&2
"$PY" tests/bench/infer/pytorch_dense_bench.py --out "$WORK" \
  --threads "$THREADS" "${BATCHES[@]}" --seconds "$SECONDS_PER_BATCH" \
  | tee "$WORK/pytorch.jsonl"

: > "$WORK/strata.jsonl"
if [[ -x "$STRATA_BENCH" ]]; then
  echo "=== Strata dense engine: $THREADS thread(s)" >&2
  "$STRATA_BENCH" --model "$WORK/dlrm_v2.onnx" "${BATCHES[@]}" \
    --seconds "$SECONDS_PER_BATCH" --threads "$THREADS" --json \
    | tee "$WORK/strata.jsonl"
else
  echo "=== $STRATA_BENCH is missing (build it: cmake --build $BUILD_DIR" \
       "--target strata_dense_bench); PyTorch numbers only" >&2
fi

# End to end: the same graph imported with 26 generated tables of dim 128,
# served by strata-server (T workers), driven over gRPC by `strata bench
# --infer` (lookup + dense, one key per table per sample): samples/s.
: > "$WORK/e2e.jsonl"
SERVER="$BUILD_DIR/server/strata-server"
CLI="$BUILD_DIR/client/strata"
if [[ -x "$SERVER" && -x "$CLI" ]]; then
  echo "=== end to end: strata-server ($THREADS worker(s)) + strata bench --infer" >&2
  "$CLI" gen-model --out "$WORK/tables" --tables 26 --rows "${E2E_ROWS:-20000}" \
    --dim 128 --seed 1 >&2
  STACK=$(seq -s, -f 't%g' 0 25)
  "$CLI" import --data-dir "$WORK/data" --model dlrm_v2 --from "$WORK/tables" \
    --dense "$WORK/dlrm_v2.onnx" --dense-input "emb=tables:$STACK" >&2
  "$SERVER" --data-dir "$WORK/data" --listen 127.0.0.1:0 \
    --port-file "$WORK/port" --metrics-listen "" --worker-threads "$THREADS" \
    2> "$WORK/server.log" &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
  for b in 256 2048; do
    "$CLI" bench --target "127.0.0.1:$(cat "$WORK/port")" --model dlrm_v2 \
      --infer --batch "$b" --concurrency 2 --connections 2 \
      --duration "$SECONDS_PER_BATCH" --warmup 3 --timeout-ms 60000 --json \
      | "$PY" -c 'import json, sys; r = json.load(sys.stdin); print(json.dumps({"batch": r["workload"]["batch"], "samples_per_s": r["samples_per_s"]}))' \
      | tee -a "$WORK/e2e.jsonl"
  done
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
else
  echo "=== $SERVER or $CLI missing: no end-to-end column" >&2
fi

"$PY" - "$WORK/pytorch.jsonl" "$WORK/strata.jsonl" "$WORK/e2e.jsonl" <<'PYEOF'
import json, sys

def rates(path):
    """batch -> samples/s, from JSON lines or one JSON object with results."""
    text = open(path).read().strip()
    records = []
    try:
        doc = json.loads(text) if text else None
        if isinstance(doc, dict):
            records = doc.get("results", [doc])
    except json.JSONDecodeError:
        records = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
    return {int(r["batch"]): float(r["samples_per_s"])
            for r in records if "batch" in r and "samples_per_s" in r}

torch_r, dense_r, e2e_r = (rates(p) for p in sys.argv[1:4])
print(f"{'batch':>6} {'pytorch/s':>11} {'dense/s':>11} {'dense/pt':>9} "
      f"{'e2e/s':>11} {'e2e/pt':>7}")
for b in sorted(set(torch_r) | set(dense_r) | set(e2e_r)):
    t, d, e = torch_r.get(b), dense_r.get(b), e2e_r.get(b)
    f = lambda v: f"{v:11.0f}" if v else f"{'-':>11}"
    r = lambda v: f"{v / t:.2f}" if v and t else "-"
    print(f"{b:>6} {f(t)} {f(d)} {r(d):>9} {f(e)} {r(e):>7}")
PYEOF
echo "raw results in $WORK" >&2
