#!/usr/bin/env bash
# Sets up and runs every test: installs packages, builds (Release), runs all
# ctest tests (engine, end-to-end, Redis Cluster, Kafka mock cluster, bench
# smoke runs), then all of them again with the whole tree (server and
# benchmarks included) under AddressSanitizer + UBSan, and the concurrency
# tests under ThreadSanitizer.
# Exits non-zero on any failure. Tests start the servers they need.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/local/install-deps.sh
JOBS="$(nproc)"

echo "=== Release build and full test suite"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$JOBS"
cmake --build build --target format-check
(cd build && ctest --output-on-failure --timeout 900 -j "$JOBS")

echo "=== Every test again under AddressSanitizer + UndefinedBehaviorSanitizer"
# The whole tree: engine, server, CLI and benchmarks (CUDA off: the device
# stub), so the e2e tests run the sanitized server and the bench smoke runs
# the sanitized benchmarks.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTRATA_SANITIZE=address,undefined
cmake --build build-asan -j "$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -LE tsan --output-on-failure --timeout 900 -j "$JOBS")

echo "=== Concurrency tests under ThreadSanitizer"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTRATA_SANITIZE=thread
cmake --build build-tsan -j "$JOBS" --target strata_engine_tests
(cd build-tsan && ctest -L tsan --output-on-failure --timeout 900)

echo "=== Fuzz targets (libFuzzer, 30 s each)"
# tests/fuzz: the update codecs, Lookup validation, the HugeCTR importer's
# size checks and the ONNX loader, under ASan + UBSan, over the seed corpus.
# Only the libraries the targets link are built (no server, no CLI, no CUDA).
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_FUZZ=ON
cmake --build build-fuzz -j "$JOBS"
bash tests/fuzz/run_fuzz.sh build-fuzz 30
