#!/usr/bin/env bash
# Builds the libFuzzer targets, which are part of the sanitizer build (`cmake --preset
# asan`, clang), and runs each one for a bounded time. Exits non-zero if a target crashes
# (libFuzzer then leaves the input under build/asan/fuzz/artifacts/ and prints how to
# reproduce it).
#
# Usage: scripts/fuzz.sh [total_seconds]     (default 30, split evenly across targets)
#
# Each target starts from its committed seeds in fuzz/corpus/<name>/ and keeps
# what it discovers in build/asan/fuzz/corpus/<name>/ (reused by later runs, never
# committed automatically).
set -euo pipefail

total_seconds="${1:-30}"
if ! [[ "$total_seconds" =~ ^[0-9]+$ ]] || (( total_seconds < 1 )); then
  echo "usage: $0 [total_seconds >= 1]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

targets=(safetensors checkpoint run_folder)
cmake --preset asan > /dev/null
cmake --build --preset asan -j "${CAIRN_JOBS:-$(nproc)}" --target "${targets[@]/%/_fuzz}"

per_target=$(( total_seconds / ${#targets[@]} ))
(( per_target >= 1 )) || per_target=1

mkdir -p build/asan/fuzz/artifacts
for target in "${targets[@]}"; do
  binary="build/asan/fuzz/${target}_fuzz"
  work_corpus="build/asan/fuzz/corpus/${target}"
  mkdir -p "$work_corpus"
  dict_args=()
  [[ -f "fuzz/${target}.dict" ]] && dict_args=("-dict=fuzz/${target}.dict")
  echo "== fuzzing ${target} for ${per_target}s"
  # The first corpus folder receives new inputs; the committed seeds are read only.
  "$binary" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build/asan/fuzz/artifacts/${target}-" "${dict_args[@]}" \
    "$work_corpus" "fuzz/corpus/${target}"
done
echo "== fuzzing finished without findings"
