#!/usr/bin/env bash
# cairn beside its peers, on one core, in one run: builds the peers from ../shared/peers
# (or $CAIRN_PEERS) as ../shared/peers/README.md says, runs them interleaved with cairn on
# the same tasks and configurations, seed by seed (peer, cairn, peer, cairn, ...), and prints
# a markdown table of each figure's min / median / max over the seeds and of the ratio
# peer time / cairn time taken seed by seed (above 1: cairn is faster), with the processor,
# the compiler and the peers' builds.
#
#   PPO Pendulum-v1, 300k steps: RLtools' pendulum-ppo example (training_seeded.cpp, seed
#       from RLT_SEED) against cairn with the same configuration and 64x64 relu networks
#       (ppo_bench --run pendulum-rltools); cairn's own preset reported on its own row.
#       Training time (each program's own clock, evaluation excluded) and the deterministic
#       1000-episode evaluation.
#   SAC Pendulum-v1, 10k steps: RLtools' pendulum-sac example against cairn with its
#       configuration (sac_bench --run). The example, as shipped, always uses seed 0 and
#       prints no evaluation in its BENCHMARK build.
#   PPO CartPole-v1 until the mean of the last 100 training episodes is >= 475:
#       Stable-Baselines3 with rl-zoo3's hyperparameters (bench/sb3_cartpole.py ppo) against
#       cairn with the same configuration (ppo_bench --run cartpole-zoo; the zoo's clip
#       range decays, cairn's does not) and, on its own row, cairn's preset
#       (ppo_bench --run cartpole-solve).
#   DQN CartPole-v1 until a deterministic 10-episode evaluation of 500: cairn's preset
#       (dqn_bench --run); Stable-Baselines3 only with --sb3-dqn (minutes per seed).
#
# Usage: bench/side_by_side.sh [--seeds N] [--sb3-dqn] [--no-build] [BUILD_DIR]
#   --seeds N   seeds 1..N (default 5; 1 for a quick run)
#   --sb3-dqn   also run Stable-Baselines3's DQN (several minutes per seed)
#   --no-build  use the bench programs already in BUILD_DIR (the test of this script)
#   BUILD_DIR   cairn's CMake build (default build/release); the bench targets are built
#               in it first. RLtools' binaries are built once into BUILD_DIR/peers/.
# Progress goes to stderr; the report to stdout. Without the peers folder the peers'
# cells say "peers not available" and cairn's figures are still measured.
set -euo pipefail

seeds=5
sb3_dqn=0
no_build=0
build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="${2:?--seeds needs a number}"; shift 2 ;;
    --sb3-dqn) sb3_dqn=1; shift ;;
    --no-build) no_build=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "side_by_side.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) build="$1"; shift ;;
  esac
done
case "$seeds" in ''|*[!0-9]*|0) echo "side_by_side.sh: --seeds must be a positive integer, got '$seeds'" >&2; exit 2 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${build:-$root/build/release}" 2>/dev/null && pwd)" || {
  echo "side_by_side.sh: build directory '${build:-$root/build/release}' not found (configure it: cmake --preset release)" >&2
  exit 2
}
peers="${CAIRN_PEERS:-$root/../shared/peers}"
python=/usr/bin/python3

log() { echo "side_by_side: $*" >&2; }

ppo_bench="$build/bench/ppo_bench"
sac_bench="$build/bench/sac_bench"
dqn_bench="$build/bench/dqn_bench"
if [ "$no_build" = 0 ]; then
  # What the peers need (OpenBLAS for RLtools, Debian's Python modules for
  # Stable-Baselines3), installed only when missing and only when there are peers to run.
  if [ -d "$peers" ]; then "$root/scripts/setup.sh" bench >&2; fi
  log "building the bench targets in $build"
  cmake --build "$build" --target ppo_bench sac_bench dqn_bench -j2 >&2
fi
for b in "$ppo_bench" "$sac_bench" "$dqn_bench"; do
  [ -x "$b" ] || { echo "side_by_side.sh: $b not found (build the bench targets, CAIRN_BUILD_BENCH=ON)" >&2; exit 2; }
done

# ---- the peers, built as ../shared/peers/README.md says -------------------------------
# RLtools as its own CMake builds it: its flags and its BLAS backend (on whenever a BLAS
# library is found), OpenBLAS on one thread.
rltools_cxx="${CXX_RLTOOLS:-g++}"
rltools_flags="-O3 -ffast-math -march=native -Ofast -std=c++17 -DRL_TOOLS_DISABLE_TENSORBOARD -DBENCHMARK -DRL_TOOLS_BACKEND_ENABLE_OPENBLAS -DRL_TOOLS_BACKEND_ENABLE_BLAS"
rltools_libs="-lblas"
rltools_why=""  # why RLtools is not available ("" when it is)
rltools_ppo="$build/peers/rltools_pendulum_ppo"
rltools_sac="$build/peers/rltools_pendulum_sac"

# Builds $2 from $1 unless it is newer than the source and was built with these flags.
build_rltools() {
  local src="$1" bin="$2" stamp="$2.flags"
  local want="$rltools_cxx $rltools_flags $rltools_libs"
  if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  log "building $bin (about a minute)"
  mkdir -p "$(dirname "$bin")"
  # shellcheck disable=SC2086
  if ! $rltools_cxx $rltools_flags -I"$peers/rl-tools/include" "$src" $rltools_libs -o "$bin" 2>"$bin.log"; then
    rltools_why="RLtools did not build (see $bin.log; its BLAS backend needs a BLAS library: Debian's libopenblas-dev)"
    return 1
  fi
  echo "$want" >"$stamp"
}

peer_version() {  # the version column of ../shared/peers/README.md's table for folder $1
  grep "^| \`$1/\`" "$peers/README.md" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $4); print $4}'
}

# OpenBLAS picks its kernels by the processor's model number. A processor newer than the
# OpenBLAS Debian ships (e.g. family 6 model 207, a 5th-generation Xeon, under Debian 12's
# 0.3.21) is taken for a generic "Prescott" (SSE3) core, which made RLtools' PPO run
# 3.2x slower here (1.62 s against 0.50 s). RLtools' best build is the fair peer, so
# when OpenBLAS falls back to a core older than the processor's vector units, the
# script names the kernels that fit them (OPENBLAS_CORETYPE) and says so in the report.
openblas_core_note=""
pick_openblas_core() {  # rltools binary
  local detected want=""
  detected="$(OPENBLAS_VERBOSE=2 RLT_SEED=1 timeout 2 "$1" 2>&1 | sed -n 's/^Core: //p' | head -1 || true)"
  [ -n "$detected" ] || return 0  # not OpenBLAS, or it printed nothing: leave it alone
  if grep -qw avx512f /proc/cpuinfo; then
    case "$detected" in SkylakeX|Cooperlake|SapphireRapids) ;; *) want=SkylakeX ;; esac
  elif grep -qw avx2 /proc/cpuinfo; then
    case "$detected" in Haswell|Zen|SkylakeX|Cooperlake|SapphireRapids) ;; *) want=Haswell ;; esac
  fi
  if [ -n "$want" ]; then
    export OPENBLAS_CORETYPE="$want"
    openblas_core_note=", OPENBLAS_CORETYPE=$want (OpenBLAS took this processor for a $detected core)"
    log "OpenBLAS detects a $detected core on this processor: using its $want kernels"
  else
    openblas_core_note=", OpenBLAS kernels: $detected"
  fi
}

sb3_why=""
if [ ! -d "$peers" ]; then
  rltools_why="peers not available ($peers not found; set CAIRN_PEERS)"
  sb3_why="$rltools_why"
  log "$rltools_why: measuring cairn alone"
else
  if build_rltools "$peers/rl-tools/examples/pendulum-ppo/training_seeded.cpp" "$rltools_ppo"; then
    build_rltools "$peers/rl-tools/examples/pendulum-sac/training.cpp" "$rltools_sac" || true
  fi
  sb3_path="$peers/stable-baselines3:$peers/sb3-contrib:$peers/gymnasium-1.0.0:$peers/pylib"
  if [ -z "$rltools_why" ]; then pick_openblas_core "$rltools_ppo"; fi
  if ! PYTHONPATH="$sb3_path" "$python" -c 'import stable_baselines3, torch' 2>/dev/null; then
    sb3_why="Stable-Baselines3 not available ($python cannot import it and torch from $peers; Debian: python3-torch)"
  fi
fi

# ---- one run of each program, one seed: prints "seconds [evaluation]" ------------------
# RLtools prints "Time: <s>s" when its training loop finishes (its timing step; the final
# evaluation is after it) and "Final return: <r>".
run_rltools() {  # binary seed
  local out
  out="$(RLT_SEED="$2" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$1" 2>&1)"
  local t r
  t="$(sed -n 's/.*Time: *\([0-9.]*\) *s.*/\1/p' <<<"$out" | tail -1)"
  r="$(sed -n 's/.*Final return: *\([-0-9.e]*\).*/\1/p' <<<"$out" | tail -1)"
  [ -n "$t" ] || { log "RLtools printed no time: $out"; return 1; }
  echo "$t ${r:--}"
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
json_field() { sed -n "s/.*\"$1\": *\([^,}]*\).*/\1/p" <<<"$2"; }
run_sb3() {  # ppo|dqn seed
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH="$sb3_path" \
    "$python" "$root/bench/sb3_cartpole.py" "$1" "$2" 2>/dev/null
}

# ---- statistics -----------------------------------------------------------------------
# "min / median / max" of the numbers given (digits: $1).
stats() {
  local digits="$1"; shift
  [ $# -gt 0 ] || { echo "-"; return; }
  printf '%s\n' "$@" | sort -g | awk -v d="$digits" '
    { v[NR] = $1 }
    END {
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      f = "%." d "f"
      if (NR == 1) printf(f "\n", v[1]); else printf(f " / " f " / " f "\n", v[1], m, v[NR])
    }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.3f\n", a / b) }'; }

# ---- the runs, interleaved --------------------------------------------------------------
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -a rp_t rp_e cx_t cx_e cp_t cp_e ppo_ratio preset_ratio
declare -a rs_t cs_t cs_e sac_ratio sb_t sb_steps cc_t cc_steps cart_ratio cd_t cd_steps sd_t sd_steps
declare -a cz_t cz_steps zoo_ratio
cz_solved=0 cc_solved=0 sb_solved=0 cd_solved=0 sd_solved=0
for seed in $(seq 1 "$seeds"); do
  log "PPO Pendulum-v1, seed $seed"
  rl=""
  if [ -z "$rltools_why" ]; then
    rl="$(run_rltools "$rltools_ppo" "$seed")"
    rp_t+=("${rl% *}"); [ "${rl#* }" = "-" ] || rp_e+=("${rl#* }")
  fi
  line="$("$ppo_bench" --run pendulum-rltools "$seed")"
  cx_t+=("$(field train_seconds "$line")"); cx_e+=("$(field eval1000 "$line")")
  line="$("$ppo_bench" --run pendulum-preset "$seed")"
  cp_t+=("$(field train_seconds "$line")"); cp_e+=("$(field eval1000 "$line")")
  if [ -n "$rl" ]; then
    ppo_ratio+=("$(ratio "${rl% *}" "${cx_t[-1]}")")
    preset_ratio+=("$(ratio "${rl% *}" "${cp_t[-1]}")")
  fi
done
for seed in $(seq 1 "$seeds"); do
  log "SAC Pendulum-v1, seed $seed"
  rl=""
  if [ -z "$rltools_why" ] && [ -x "$rltools_sac" ]; then
    rl="$(run_rltools "$rltools_sac" "$seed")"
    rs_t+=("${rl% *}")
  fi
  line="$("$sac_bench" --run "$seed")"
  cs_t+=("$(field train_seconds "$line")"); cs_e+=("$(field eval100 "$line")")
  [ -z "$rl" ] || sac_ratio+=("$(ratio "${rl% *}" "${cs_t[-1]}")")
done
for seed in $(seq 1 "$seeds"); do
  log "PPO CartPole-v1 to solved, seed $seed"
  sb=""
  if [ -z "$sb3_why" ]; then
    sb="$(run_sb3 ppo "$seed")"
    if [ "$(json_field solved "$sb")" = "true" ]; then
      sb_solved=$((sb_solved + 1))
      sb_t+=("$(json_field train_seconds "$sb")"); sb_steps+=("$(json_field steps "$sb")")
    fi
  fi
  line="$("$ppo_bench" --run cartpole-zoo "$seed")"
  if [ "$(field solved "$line")" = 1 ]; then
    cz_solved=$((cz_solved + 1))
    cz_t+=("$(field train_seconds "$line")"); cz_steps+=("$(field steps "$line")")
    if [ "$(json_field solved "$sb")" = "true" ]; then
      zoo_ratio+=("$(ratio "${sb_t[-1]}" "${cz_t[-1]}")")
    fi
  fi
  line="$("$ppo_bench" --run cartpole-solve "$seed")"
  if [ "$(field solved "$line")" = 1 ]; then
    cc_solved=$((cc_solved + 1))
    cc_t+=("$(field train_seconds "$line")"); cc_steps+=("$(field steps "$line")")
    if [ "$(json_field solved "$sb")" = "true" ]; then
      cart_ratio+=("$(ratio "${sb_t[-1]}" "${cc_t[-1]}")")
    fi
  fi
done
for seed in $(seq 1 "$seeds"); do
  log "DQN CartPole-v1 to an evaluation of 500, seed $seed"
  if [ -z "$sb3_why" ] && [ "$sb3_dqn" = 1 ]; then
    sb="$(run_sb3 dqn "$seed")"
    if [ "$(json_field solved "$sb")" = "true" ]; then
      sd_solved=$((sd_solved + 1))
      sd_t+=("$(json_field train_seconds "$sb")"); sd_steps+=("$(json_field steps "$sb")")
    fi
  fi
  line="$("$dqn_bench" --run "$seed")"
  if [ "$(field solved "$line")" = 1 ]; then
    cd_solved=$((cd_solved + 1))
    cd_t+=("$(field train_seconds "$line")"); cd_steps+=("$(field steps "$line")")
  fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the report -------------------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
isa=""
for f in avx512f avx2; do
  if grep -qw "$f" /proc/cpuinfo; then isa="$isa $f"; else isa="$isa no-$f"; fi
done
cairn_compiler="$("$ppo_bench" --machine | sed -n 's/^compiler: *//p')"
cairn_flags="$("$ppo_bench" --machine | sed -n 's/^flags: *//p')"
blas_of() {  # the BLAS library a binary resolves, through Debian's alternatives
  local lib
  lib="$(ldd "$1" 2>/dev/null | awk '/blas/ { print $3; exit }')"
  [ -n "$lib" ] && readlink -f "$lib" || echo "none"
}
# RLtools against the reference BLAS (libopenblas-dev missing) is ~15x slower than as
# shipped: the report says so rather than print a flattering ratio silently.
blas_note() {
  case "$(blas_of "$1")" in
    *openblas*) ;;
    none) echo " (no BLAS linked: NOT the fair build; install libopenblas-dev)" ;;
    *) echo " (the reference BLAS, NOT the fair build: install libopenblas-dev, scripts/setup.sh bench)" ;;
  esac
}
peer_cell() {  # the peer's stats or why it is missing
  if [ -n "$1" ] && [ "$1" != "-" ]; then echo "$1"; else echo "$2"; fi
}

echo "## cairn beside its peers: $seeds seed(s), one core, one run"
echo
echo "- processor: $cpu ($(nproc) hardware threads; flags:$isa)"
echo "- load average before / after: $load_before / $load_after (a shared machine: quote medians and ratios)"
echo "- cairn: $cairn_compiler; $cairn_flags"
if [ -z "$rltools_why" ]; then
  echo "- RLtools $(peer_version rl-tools): $("$rltools_cxx" --version | head -1), \`$rltools_flags $rltools_libs\`, BLAS: $(blas_of "$rltools_ppo")$(blas_note "$rltools_ppo"), OPENBLAS_NUM_THREADS=1$openblas_core_note"
else
  echo "- RLtools: $rltools_why"
fi
if [ -z "$sb3_why" ]; then
  echo "- Stable-Baselines3 $(peer_version stable-baselines3) (Gymnasium $(peer_version gymnasium-1.0.0)): $("$python" --version 2>&1), PyTorch $("$python" -c 'import torch; print(torch.__version__)'), one thread"
else
  echo "- Stable-Baselines3: $sb3_why"
fi
echo
echo "Times are seconds of training (each program's own clock, evaluation excluded), min / median / max over the seeds; a ratio is the peer's time over cairn's, seed by seed (above 1: cairn is faster)."
echo
echo "| task | peer | peer time (s) | cairn time (s) | peer / cairn | peer result | cairn result |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
rl_missing="${rltools_why:+peers not available}"
sb_missing="${sb3_why:+peers not available}"
echo "| PPO Pendulum-v1, 300k steps, RLtools' configuration and 64x64 relu networks | RLtools pendulum-ppo | $(peer_cell "$(stats 3 "${rp_t[@]}")" "$rl_missing") | $(stats 3 "${cx_t[@]}") | $(peer_cell "$(stats 2 "${ppo_ratio[@]}")" "-") | eval 1000 ep: $(peer_cell "$(stats 1 "${rp_e[@]}")" "-") | eval 1000 ep: $(stats 1 "${cx_e[@]}") |"
echo "| PPO Pendulum-v1, 300k steps, cairn's preset (32x32 silu, reward normalisation) | RLtools pendulum-ppo (row above) | $(peer_cell "$(stats 3 "${rp_t[@]}")" "$rl_missing") | $(stats 3 "${cp_t[@]}") | $(peer_cell "$(stats 2 "${preset_ratio[@]}")" "-") | eval 1000 ep: $(peer_cell "$(stats 1 "${rp_e[@]}")" "-") | eval 1000 ep: $(stats 1 "${cp_e[@]}") |"
sac_peer="$(stats 3 "${rs_t[@]}")"
[ "$sac_peer" != "-" ] || sac_peer="${rl_missing:-not built}"
echo "| SAC Pendulum-v1, 10k steps, RLtools' configuration (64x64 relu, batch 100) | RLtools pendulum-sac (always seed 0) | $sac_peer | $(stats 3 "${cs_t[@]}") | $(peer_cell "$(stats 2 "${sac_ratio[@]}")" "-") | no evaluation in its benchmark build | eval 100 ep: $(stats 1 "${cs_e[@]}") |"
if [ -n "$sb3_why" ]; then sb_res="-"; else sb_res="solved $sb_solved of $seeds, steps $(stats 0 "${sb_steps[@]}")"; fi
echo "| PPO CartPole-v1 until the last 100 training episodes average >= 475, rl-zoo3's configuration (64x64 tanh, 20 epochs) | Stable-Baselines3 PPO, rl-zoo3 hyperparameters, 8 envs | $(peer_cell "$(stats 2 "${sb_t[@]}")" "${sb_missing:-none solved}") | $(stats 3 "${cz_t[@]}") | $(peer_cell "$(stats 1 "${zoo_ratio[@]}")" "-") | $sb_res | solved $cz_solved of $seeds, steps $(stats 0 "${cz_steps[@]}") |"
echo "| PPO CartPole-v1, the same stop, cairn's preset (32x32 tanh, 4 epochs) | Stable-Baselines3 PPO (row above) | $(peer_cell "$(stats 2 "${sb_t[@]}")" "${sb_missing:-none solved}") | $(stats 3 "${cc_t[@]}") | $(peer_cell "$(stats 1 "${cart_ratio[@]}")" "-") | $sb_res | solved $cc_solved of $seeds, steps $(stats 0 "${cc_steps[@]}") |"
if [ -n "$sb3_why" ]; then
  sd_time="$sb_missing"; sd_res="-"
elif [ "$sb3_dqn" = 1 ]; then
  sd_time="$(peer_cell "$(stats 1 "${sd_t[@]}")" "none solved")"; sd_res="solved $sd_solved of $seeds, steps $(stats 0 "${sd_steps[@]}")"
else
  sd_time="not run (minutes per seed; --sb3-dqn runs it)"; sd_res="-"
fi
echo "| DQN CartPole-v1 until a deterministic 10-episode evaluation of 500 | Stable-Baselines3 DQN, rl-zoo3 hyperparameters | $sd_time | $(stats 2 "${cd_t[@]}") | - | $sd_res | solved $cd_solved of $seeds, steps $(stats 0 "${cd_steps[@]}") |"
