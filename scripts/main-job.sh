#!/usr/bin/env bash
# cairn's main job: installs what is missing, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
cmake --preset release -DCAIRN_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release --target cairn_cli >/dev/null
exec build/release/apps/cairn/cairn main-job "$@"
