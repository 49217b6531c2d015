#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (cmake -DSTRATA_FUZZ=ON, see
# tests/fuzz/CMakeLists.txt) for SECONDS each over a temporary copy of its
# seed corpus (tests/fuzz/corpus/<target>/ is never written to), with
# ASan + UBSan, leak detection, a 10 s per-input timeout and a 2 GiB RSS
# limit. Prints exec/s and coverage per target; on a crash, leak, timeout or
# OOM prints the reproducer's path (kept under BUILD_DIR/fuzz-artifacts/) and
# exits non-zero after running the other targets.
#   tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS=30]
# Reproduce one: BUILD_DIR/tests/fuzz/<target> <reproducer>
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [SECONDS=30]" >&2
  exit 2
fi
build="$(cd "$1" && pwd)"
seconds="${2:-30}"
here="$(cd "$(dirname "$0")" && pwd)"
targets=(hctr_codec_fuzz update_batch_fuzz lookup_validate_fuzz
         hugectr_sizes_fuzz onnx_load_fuzz)

work="$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  if [[ ! -x "$bin" ]]; then
    echo "FAIL $t: $bin not built" >&2
    failed+=("$t")
    continue
  fi
  mkdir -p "$work/$t" "$artifacts/$t"
  cp -R "$here/corpus/$t" "$work/$t/corpus"
  log="$work/$t/log"
  rc=0
  # Each target runs in its own temp dir: a harness that writes files
  # (lookup_validate_fuzz's model) leaves nothing behind.
  (cd "$work/$t" &&
   TMPDIR="$work/$t" \
   ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 -artifact_prefix="$artifacts/$t/" \
     "$work/$t/corpus" >"$log" 2>&1) || rc=$?
  stats="$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 || true)"
  execs="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $t (exit $rc):" >&2
    grep -E 'ERROR: |SUMMARY: |runtime error|fuzz property failed|Test unit written' "$log" \
      >&2 || tail -40 "$log" >&2
    repro="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    echo "  reproducer: ${repro:-none written (see the log above)}" >&2
    echo "  log: $artifacts/$t/last.log" >&2
    cp "$log" "$artifacts/$t/last.log"
    failed+=("$t")
  else
    printf '%-22s ok: %s runs, %s exec/s; %s\n' "$t" "${runs:-?}" \
      "${execs:-?}" "${stats#*DONE   }"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds} s each, no findings"
