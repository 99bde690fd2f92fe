#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the unit tests in the release
# build and in the AddressSanitizer+UndefinedBehaviorSanitizer build, then the fuzz
# targets for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
jobs="${CAIRN_JOBS:-$(nproc)}"

for preset in release asan; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" -DCAIRN_BUILD_TESTS=ON >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: tests"
  ctest --preset "$preset" -j "$jobs"
done

if [ -x scripts/fuzz.sh ]; then
  echo "== fuzz"
  scripts/fuzz.sh "${CAIRN_FUZZ_SECONDS:-30}"
fi
