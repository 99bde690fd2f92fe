#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the unit tests in the release
# build and in the AddressSanitizer+UndefinedBehaviorSanitizer build, then the fuzz
# targets for a bounded time. Each stage ends with a line giving its wall-clock and CPU
# seconds (CPU: user+sys of the processes it ran), so a slow CI run says where the time went.
#
# The sanitizer build (clang) compiles with -O1 -g1 (CMakePresets.json): AddressSanitizer's
# recommended optimisation, and line tables for its reports without full debug info, which
# together take a third of the compile time of -O2 -g. It also holds the fuzz targets, so
# the fuzz stage builds nothing: one sanitizer build serves the tests and the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${CAIRN_JOBS:-$(nproc)}"

# `times` reports this shell's finished children only when it runs in this shell: not in a
# pipe or a command substitution (subshells), hence the file and the global.
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
read_cpu() {  # cpu_now = user+sys seconds of this shell's finished children so far
  times >"$times_file"
  cpu_now=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/);
                            printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$times_file")
}
read_cpu
stage_start=$SECONDS stage_cpu=$cpu_now
stage_done() {
  read_cpu
  echo "== $1: $((SECONDS - stage_start)) s wall, $((cpu_now - stage_cpu)) s CPU"
  stage_start=$SECONDS stage_cpu=$cpu_now
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
  stage_done "fuzz"
fi
