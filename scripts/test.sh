#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the unit tests in the release
# build and in the AddressSanitizer+UndefinedBehaviorSanitizer build, then the fuzz
# targets for a bounded time. Each stage ends with a line giving its wall-clock and CPU
# seconds (CPU: user+sys of the processes it ran), so a slow CI run says where the time went.
#
# The sanitizer and fuzz builds compile with -O1 -g1 (CMakePresets.json): AddressSanitizer's
# recommended optimisation, and line tables for its reports without full debug info, which
# together take a third of the compile time of -O2 -g.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${CAIRN_JOBS:-$(nproc)}"

cpu_seconds() {  # user+sys of this shell's finished children so far
  times | awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/);
                         printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}
stage_start=$SECONDS stage_cpu=$(cpu_seconds)
stage_done() {
  local cpu
  cpu=$(cpu_seconds)
  echo "== $1: $((SECONDS - stage_start)) s wall, $((cpu - stage_cpu)) s CPU"
  stage_start=$SECONDS stage_cpu=$cpu
}

scripts/setup.sh test
stage_done "setup"

for preset in release asan; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" -DCAIRN_BUILD_TESTS=ON >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  stage_done "$preset build"
  echo "== $preset: tests"
  ctest --preset "$preset" -j "$jobs"
  stage_done "$preset tests"
done

if [ -x scripts/fuzz.sh ]; then
  echo "== fuzz"
  scripts/fuzz.sh "${CAIRN_FUZZ_SECONDS:-30}"
  stage_done "fuzz build and run"
fi
