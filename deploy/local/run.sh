#!/usr/bin/env bash
# Sets up and runs Strata on its embedded default, in the foreground:
# installs packages, builds (Release), generates and imports a demo model the
# first time, then starts strata-server on 0.0.0.0:8500 with ./strata-data.
#
#   STRATA_DEMO_SCALE  Criteo-shaped demo model scale (default 0.001)
#   STRATA_DEMO_DIM    floats per row (default 16)
#   Extra arguments go to strata-server (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash deploy/local/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF
cmake --build build --target strata strata-server

SCALE="${STRATA_DEMO_SCALE:-0.001}"
DIM="${STRATA_DEMO_DIM:-16}"
if [ ! -d strata-data/db ]; then
  if [ ! -d demo-model ]; then
    ./build/client/strata gen-model --out demo-model --scale "$SCALE" \
      --dim "$DIM" --seed 1
  fi
  ./build/client/strata import --data-dir strata-data --model demo \
    --from demo-model
fi

cat <<MSG

Strata is starting on 0.0.0.0:8500 (unless you passed --listen). In another
terminal, try:

  ./build/client/strata lookup --target localhost:8500 --model demo --table t0 --keys 0,1,2,999999999
  ./build/client/strata models --target localhost:8500

Stop it with Ctrl-C (it drains in-flight calls, then exits).
MSG
exec ./build/server/strata-server --data-dir strata-data "$@"
