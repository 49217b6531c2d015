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
# 3. Prints samples/s of both and strata/pytorch per batch size.
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

# TODO(end-to-end): start a server with the DLRM-v2 graph imported (tables of
# dim 128 + $WORK/dlrm_v2.onnx, `--dense-input emb=tables:t0,...,t25`) and
# run `strata bench --target <server> --infer ...` here, adding its
# samples/s (lookup + pooling + dense, over gRPC) as a third column.

"$PY" - "$WORK/pytorch.jsonl" "$WORK/strata.jsonl" <<'EOF'
import json, sys

def rates(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if "batch" in r and "samples_per_s" in r:
            out[int(r["batch"])] = float(r["samples_per_s"])
    return out

torch_r, strata_r = rates(sys.argv[1]), rates(sys.argv[2])
print(f"{'batch':>6} {'pytorch/s':>12} {'strata/s':>12} {'strata/pytorch':>15}")
for b in sorted(set(torch_r) | set(strata_r)):
    t, s = torch_r.get(b), strata_r.get(b)
    ratio = f"{s / t:.2f}" if t and s else "-"
    print(f"{b:>6} {t if t else '-':>12} {s if s else '-':>12} {ratio:>15}")
EOF
echo "raw results in $WORK" >&2
