#!/usr/bin/env bash
# Installs every Debian 12 package Strata builds, runs and tests with.
# Idempotent: does nothing when all are present. Run as root (or with sudo).
# CUDA is optional and not installed here: the build uses nvcc when it finds
# /usr/local/cuda/bin/nvcc, and runs CPU-only without a GPU.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  librocksdb-dev libhiredis-dev librdkafka-dev libspdlog-dev libabsl-dev
  nlohmann-json3-dev libcli11-dev catch2 libbenchmark-dev
  redis-server redis-tools clang-format libopenblas-dev libonnx-dev
  libcpp-httplib-dev prometheus
  python3-grpcio python3-grpc-tools python3-numpy clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
