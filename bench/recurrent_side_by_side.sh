#!/usr/bin/env bash
# Recurrent PPO on CartPole without its velocities, cairn beside sb3-contrib, on one core:
# seed by seed, interleaved (peer, cairn, peer, cairn, ...), each trained until the mean
# return of its last 100 training episodes reaches 475 or its step budget runs out.
#
#   peer:  sb3-contrib's RecurrentPPO (../shared/peers, released source) with rl-zoo3's tuned
#          CartPoleNoVel-v1 hyperparameters (bench/sb3_recurrent_stateless_cartpole.py: LSTM
#          64, pi/vf [64] relu, 8 envs x 32 steps, 20 epochs, VecNormalize), budget the zoo's
#          n_timesteps (1e5, over which its linear schedules decay) unless --max-steps.
#          Time: wall time of learn(), its own clock.
#   cairn: cairn train --env StatelessCartPole-v1 --stop-reward 475 (its preset for the task;
#          the same observations, CartPole's elements 0 and 2), budget its preset's
#          total_timesteps unless --max-steps. Time: the run's time_elapsed (training
#          iterations only; no evaluation: --eval-episodes 0).
#
# Both check the last-100 mean as they train: SB3 after every vectorised step, cairn after
# every iteration (so cairn's steps are whole iterations).
#
# Usage: bench/recurrent_side_by_side.sh [--seeds N] [--max-steps N] [--cairn-only]
#                                        [--peer-timeout S] [CAIRN_BINARY]
#   --seeds N         seeds 1..N (default 5)
#   --max-steps N     step budget of both sides (default: each side's own, see above; the
#                     peer's schedules then decay over N instead of the zoo's 1e5)
#   --cairn-only      do not run the peer
#   --peer-timeout S  give up on one peer run after S seconds (default 1800)
#   CAIRN_BINARY      default build/release/apps/cairn/cairn, else build/rnn/apps/cairn/cairn
# The peers folder is ../shared/peers (or $CAIRN_PEERS); without it, or without Debian's
# python3-torch / python3-cloudpickle (scripts/setup.sh bench), the peer's cells say why and
# cairn's figures are still measured. Progress goes to stderr; the report (markdown) to stdout.
set -euo pipefail

seeds=5
max_steps=""
cairn_only=0
peer_timeout=1800
cairn=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="${2:?--seeds needs a number}"; shift 2 ;;
    --max-steps) max_steps="${2:?--max-steps needs a number}"; shift 2 ;;
    --cairn-only) cairn_only=1; shift ;;
    --peer-timeout) peer_timeout="${2:?--peer-timeout needs a number of seconds}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "recurrent_side_by_side.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) cairn="$1"; shift ;;
  esac
done
for v in "seeds=$seeds" "peer-timeout=$peer_timeout" ${max_steps:+"max-steps=$max_steps"}; do
  case "${v#*=}" in ''|*[!0-9]*|0)
    echo "recurrent_side_by_side.sh: --${v%%=*} must be a positive integer, got '${v#*=}'" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "$cairn" ]; then
  for c in "$root/build/release/apps/cairn/cairn" "$root/build/rnn/apps/cairn/cairn"; do
    if [ -x "$c" ]; then cairn="$c"; break; fi
  done
fi
if [ -z "$cairn" ] || [ ! -x "$cairn" ]; then
  echo "recurrent_side_by_side.sh: cairn binary not found (${cairn:-build/release/apps/cairn/cairn}; build it: cmake --preset release && cmake --build build/release --target cairn)" >&2
  exit 2
fi
peers="${CAIRN_PEERS:-$root/../shared/peers}"
python=/usr/bin/python3
peer_script="$root/bench/sb3_recurrent_stateless_cartpole.py"
env_id=StatelessCartPole-v1
target=475

log() { echo "recurrent_side_by_side: $*" >&2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/recurrent_side_by_side.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ---- is the peer there? -----------------------------------------------------------------
peer_why=""  # why the peer is not run ("" when it is)
sb3_path="$peers/stable-baselines3:$peers/sb3-contrib:$peers/gymnasium-1.0.0:$peers/pylib"
if [ "$cairn_only" = 1 ]; then
  peer_why="not run (--cairn-only)"
elif [ ! -d "$peers" ]; then
  peer_why="peer not available ($peers not found; set CAIRN_PEERS)"
elif [ ! -x "$python" ]; then
  peer_why="peer not available (no $python)"
elif ! err="$(PYTHONPATH="$sb3_path" "$python" -c 'import torch, stable_baselines3, sb3_contrib, gymnasium' 2>&1)"; then
  peer_why="peer not available ($python cannot import torch, stable_baselines3, sb3_contrib and gymnasium from $peers: $(tail -1 <<<"$err"); Debian's python3-torch and python3-cloudpickle: scripts/setup.sh bench)"
fi
[ -z "$peer_why" ] || log "$peer_why: measuring cairn alone"

# ---- one run of each side, one seed -------------------------------------------------------
# The peer prints one JSON line: "seed", "solved" (true/false), "steps", "train_seconds", ...
json_field() { sed -n "s/.*\"$1\": *\([^,}]*\).*/\1/p" <<<"$2" | tr -d '"' | head -1; }
run_peer() {  # seed -> the JSON line, or nothing (stderr in $work/peer-SEED.log)
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH="$sb3_path" \
    timeout "$peer_timeout" "$python" "$peer_script" ${max_steps:+--max-steps "$max_steps"} "$1" \
    2>"$work/peer-$1.log" | tail -1 || true
}
# cairn train --json prints one object whose keys are sorted: "algorithm", "config", "final"
# (the last iteration's result, flat), "ranks".
cairn_final() { sed -n 's/.*"final":\({[^}]*}\).*/\1/p' <<<"$1"; }
cairn_config() { sed -n 's/.*"config":\(.*\),"final":.*/\1/p' <<<"$1"; }
run_cairn() {  # seed -> cairn's JSON, or nothing (stderr in $work/cairn-SEED.log)
  "$cairn" train --env "$env_id" --seed "$1" --stop-reward "$target" \
    ${max_steps:+--stop-timesteps "$max_steps"} --eval-episodes 0 --quiet --json \
    2>"$work/cairn-$1.log" || log "cairn train failed for seed $1: $(tail -3 "$work/cairn-$1.log" | tr '\n' ' ')"
}

# ---- statistics ---------------------------------------------------------------------------
median() {  # of the numbers given ("-" for none), with $1 decimals
  local digits="$1"; shift
  [ $# -gt 0 ] || { echo "-"; return; }
  printf '%s\n' "$@" | sort -g | awk -v d="$digits" '
    { v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf("%." d "f\n", m) }'
}
fmt() { awk -v x="$2" -v d="$1" 'BEGIN { printf("%." d "f\n", x) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf("%.1f\n", a / b); else print "-" }'; }
at_least() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x != "" && x != "null" && x + 0 >= t) }'; }

# ---- the runs, interleaved ------------------------------------------------------------------
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -a rows peer_solved_t peer_solved_steps cairn_solved_t cairn_solved_steps ratios
peer_solved=0 cairn_solved=0 peer_versions="" cairn_cfg=""
for seed in $(seq 1 "$seeds"); do
  p_time="-" p_steps="-" p_cell_t="$peer_why" p_cell_s="-"
  p_ok=0
  if [ -z "$peer_why" ]; then
    log "seed $seed: sb3-contrib RecurrentPPO (minutes)"
    line="$(run_peer "$seed")"
    if [ -z "$line" ] || [ -z "$(json_field train_seconds "$line")" ]; then
      p_cell_t="failed or timed out after ${peer_timeout} s ($(tail -1 "$work/peer-$seed.log" 2>/dev/null))"
    else
      p_time="$(json_field train_seconds "$line")"; p_steps="$(json_field steps "$line")"
      [ -n "$peer_versions" ] || peer_versions="sb3-contrib $(json_field sb3_contrib "$line"), stable-baselines3 $(json_field stable_baselines3 "$line"), gymnasium $(json_field gymnasium "$line"), torch $(json_field torch "$line") ($(json_field torch_threads "$line") thread)"
      if [ "$(json_field solved "$line")" = true ]; then
        p_ok=1; peer_solved=$((peer_solved + 1))
        peer_solved_t+=("$p_time"); peer_solved_steps+=("$p_steps")
        p_cell_t="$(fmt 1 "$p_time")"; p_cell_s="$p_steps"
      else
        p_cell_t="not solved ($(fmt 1 "$p_time") s, last-100 mean $(fmt 1 "$(json_field train100 "$line")"))"
        p_cell_s="$p_steps (budget)"
      fi
    fi
  fi

  log "seed $seed: cairn"
  out="$(run_cairn "$seed")"
  final="$(cairn_final "$out")"
  c_cell_t="" c_cell_s="-" c_ok=0
  if [ -z "$final" ]; then
    c_cell_t="failed ($(tail -1 "$work/cairn-$seed.log" 2>/dev/null))"
  else
    [ -n "$cairn_cfg" ] || cairn_cfg="$(cairn_config "$out")"
    c_time="$(json_field time_elapsed "$final")"; c_steps="$(json_field timesteps "$final")"
    c_mean="$(json_field episode_return_mean "$final")"
    if at_least "$c_mean" "$target"; then
      c_ok=1; cairn_solved=$((cairn_solved + 1))
      cairn_solved_t+=("$c_time"); cairn_solved_steps+=("$c_steps")
      c_cell_t="$(fmt 3 "$c_time")"; c_cell_s="$c_steps"
    else
      [ "$c_mean" = null ] && c_mean_txt="no episode finished" || c_mean_txt="last-100 mean $(fmt 1 "$c_mean")"
      c_cell_t="not solved ($(fmt 3 "$c_time") s, $c_mean_txt)"
      c_cell_s="$c_steps (budget)"
    fi
  fi

  r="-"
  if [ "$p_ok" = 1 ] && [ "$c_ok" = 1 ]; then r="$(ratio "$p_time" "$c_time")"; ratios+=("$r"); fi
  rows+=("| $seed | $p_cell_t | $p_cell_s | $c_cell_t | $c_cell_s | $r |")
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the report -----------------------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
cairn_version="$("$cairn" --version 2>/dev/null | head -1 || true)"
if [ -n "$max_steps" ]; then
  budget_peer="$max_steps" budget_cairn="$max_steps"
else
  budget_peer="100000 (the zoo's n_timesteps)" budget_cairn="the preset's total_timesteps"
fi

echo "## Recurrent PPO, CartPole-v1 without velocities: sb3-contrib beside cairn, $seeds seed(s), one core"
echo
echo "- processor: $cpu ($(nproc) hardware threads)"
echo "- load average before / after: $load_before / $load_after (a shared machine: quote medians and ratios)"
echo "- stop: mean return of the last 100 training episodes >= $target; step budget: sb3-contrib $budget_peer, cairn $budget_cairn"
if [ -z "$peer_why" ]; then
  echo "- peer: sb3-contrib RecurrentPPO, rl-zoo3's CartPoleNoVel-v1 hyperparameters (hyperparams/ppo_lstm.yml), $(${python} --version 2>&1), ${peer_versions:-versions unknown (no run finished)}"
else
  echo "- peer: $peer_why"
fi
echo "- cairn: $cairn${cairn_version:+ ($cairn_version)}, \`cairn train --env $env_id --stop-reward $target${max_steps:+ --stop-timesteps $max_steps}\`"
echo "- cairn's configuration: \`${cairn_cfg:-unknown (no run finished)}\`"
echo
echo "Seconds of training, each program's own clock; ratio = sb3-contrib time / cairn time, seed by seed, when both solved (above 1: cairn is faster)."
echo
echo "| seed | sb3-contrib time to solve (s) | sb3-contrib steps | cairn time to solve (s) | cairn steps | sb3-contrib / cairn |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
if [ -z "$peer_why" ]; then
  p_med="$(median 1 "${peer_solved_t[@]}") s, steps $(median 0 "${peer_solved_steps[@]}") (solved $peer_solved of $seeds)"
else
  p_med="-"
fi
echo "| median of the solved | $p_med | | $(median 3 "${cairn_solved_t[@]}") s, steps $(median 0 "${cairn_solved_steps[@]}") (solved $cairn_solved of $seeds) | | $(median 1 "${ratios[@]}") |"
