#!/usr/bin/env bash
# Packs what a device machine needs to run the GPU checks into DIR:
# strata_gpu_tests, strata_gpu_cache_bench, strata-server and strata from the
# build dir $BUILD (default ./build), stripped, with every shared library
# they load (per ldd) outside a minimal base: libc, libm, libpthread, libdl,
# librt and the loader stay (the device machine has its own); libstdc++ and
# libgcc_s are packed (the device machine's may be older); libcuda (the
# driver's) never is. Also copies run_on_device.sh. Fails when DIR holds more
# than 64 MiB (what a device run can carry), printing the size either way.
#
#   BUILD=build-gpu tests/gpu/pack_for_device.sh /tmp/gpu-pack
#   /tmp/gpu-pack/run_on_device.sh OUT_DIR   # on the device machine
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: BUILD=<build dir> $0 DIR" >&2
  exit 2
fi
dir=$1
build=${BUILD:-./build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
limit=$((64 * 1024 * 1024))
binaries=(tests/gpu/strata_gpu_tests tests/gpu/strata_gpu_dense_tests
          tests/gpu/strata_gpu_cache_bench server/strata-server client/strata)
# Sonames that come from the device machine itself.
base_re='^(linux-vdso|linux-gate|ld-linux.*|libc|libm|libpthread|libdl|librt|libcuda|libnvidia-.*)\.so'

for b in "${binaries[@]}"; do
  if [[ ! -x "$build/$b" ]]; then
    echo "pack: $build/$b is not built (cmake --build $build --target $(basename "$b"))" >&2
    exit 1
  fi
done
if [[ -e "$dir" && -n "$(ls -A "$dir")" ]]; then
  echo "pack: $dir is not empty; its old files count towards the size" >&2
fi
mkdir -p "$dir"

declare -A libs=()
for b in "${binaries[@]}"; do
  cp -f "$build/$b" "$dir/"
  if command -v strip >/dev/null; then
    strip --strip-unneeded "$dir/$(basename "$b")"
  fi
  missing=$(ldd "$build/$b" | awk '/not found/ {print $1}')
  if [[ -n "$missing" ]]; then
    echo "pack: $b needs libraries ldd cannot find: $missing" >&2
    exit 1
  fi
  # Lines "name => /path (addr)"; the loader's line has no "=>".
  while read -r name path; do
    [[ "$name" =~ $base_re ]] && continue
    libs[$name]=$path
  done < <(ldd "$build/$b" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
done
for name in "${!libs[@]}"; do
  cp -fL "${libs[$name]}" "$dir/$name"
done
cp -f "$here/run_on_device.sh" "$dir/"
chmod +x "$dir/run_on_device.sh"

size=$(du -sb "$dir" | cut -f1)
printf 'pack: %s holds %d files, %.1f MiB (limit 64 MiB): %d binaries, %d libraries\n' \
  "$dir" "$(find "$dir" -type f | wc -l)" \
  "$(awk -v s="$size" 'BEGIN {print s / 1048576}')" \
  "${#binaries[@]}" "${#libs[@]}"
if (( size > limit )); then
  echo "pack: $dir exceeds 64 MiB" >&2
  exit 1
fi
