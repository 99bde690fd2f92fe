#!/usr/bin/env bash
# Distributed PPO on this machine (docs/distributed.md): the all_gather's cost against the
# message size on 1, 2 and 4 ranks (bench/distributed_bench), and the training speed of
# HalfCheetah-v5 on 1 and 2 ranks, in three configurations: one where stepping the
# environments dominates, one where the update dominates (its minibatches of 16 blocks of 64
# samples are split across the ranks), and the preset's update shape (minibatches of 64
# samples: one block, which one rank computes while the other waits).
# Prints Markdown tables; the figures in docs/distributed.md come from it.
#
#   bench/distributed_scaling.sh [build dir, default build/release] [runs, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
runs="${2:-3}"
cairn="$build/apps/cairn/cairn"
command -v mpirun >/dev/null || { echo "distributed_scaling.sh: mpirun not found (scripts/setup.sh installs openmpi-bin)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
launch() {  # launch RANKS COMMAND...: one process for 0, else mpirun
  local ranks=$1; shift
  if [ "$ranks" = 0 ]; then "$@"; else mpirun --oversubscribe -np "$ranks" "$@"; fi
}

for ranks in 0 2 4; do
  echo "### all_gather, $([ "$ranks" = 0 ] && echo "one process" || echo "$ranks ranks")"
  launch "$ranks" "$build/bench/distributed_bench" | sed -n '/^communicator/,$p'
  echo
done

# Seconds of training per iteration (the run's own clock: rank 0's).
per_iteration() {  # per_iteration RANKS ITERS ARGS...
  local ranks=$1 iters=$2; shift 2
  local json
  json=$(launch "$ranks" "$cairn" train --env HalfCheetah-v5 --seed 1 --stop-iters "$iters" \
         --eval-episodes 0 --json "$@" | tail -n 1)
  /usr/bin/python3 -c 'import json,sys; f=json.loads(sys.argv[1])["final"]; print(f["time_elapsed"]/f["iteration"])' "$json"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "### HalfCheetah-v5 training, seconds per iteration (median of $runs runs)"
echo
echo "| configuration | steps/iteration | 1 process | 2 ranks | speed-up |"
echo "|---|---:|---:|---:|---:|"
row() {  # row NAME STEPS ITERS ARGS...: 1 process and 2 ranks interleaved, run by run
  local name=$1 steps=$2 iters=$3; shift 3
  local ones=() twos=()
  for _ in $(seq "$runs"); do
    ones+=("$(per_iteration 0 "$iters" "$@")")
    twos+=("$(per_iteration 2 "$iters" "$@")")
  done
  /usr/bin/python3 -c 'import sys; n,s,a,b=sys.argv[1:]; a=float(a); b=float(b); print(f"| {n} | {s} | {a*1e3:.1f} ms | {b*1e3:.1f} ms | {a/b:.2f}x |")' \
    "$name" "$steps" "$(median "${ones[@]}")" "$(median "${twos[@]}")"
}
row "environment-bound: 16 envs x 256 steps, 1 epoch x 4 minibatches of 1024, 64x64" 4096 6 \
  --set num_envs=16 --set num_steps=256 --set num_epochs=1 --set num_minibatches=4
row "update-bound: 16 envs x 256 steps, 10 epochs x 4 minibatches of 1024, 256x256" 4096 4 \
  --set num_envs=16 --set num_steps=256 --set num_epochs=10 --set num_minibatches=4 \
  --set 'hidden_sizes=[256,256]'
row "preset's update: 2 envs x 256 steps, 20 epochs x 8 minibatches of 64 (1 block each), 64x64" 512 6 \
  --set num_envs=2 --set num_steps=256
