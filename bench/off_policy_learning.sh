#!/usr/bin/env bash
# The off-policy learning targets of issue 11 on all five seeds (CI's learning tests run
# two): SAC and TD3 on Pendulum-v1 reach a deterministic 100-episode evaluation of -200
# within their presets' 20k environment steps; TD3 on MountainCarContinuous-v0 reaches 90
# within its preset's 50k steps (Ornstein-Uhlenbeck exploration; CI runs seed 1 only).
#
# Usage: bench/off_policy_learning.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
build="${1:-build/release}"
CAIRN_OFF_POLICY_SEEDS=5 "$build/tests/cairn_tests" \
  --gtest_filter='SACLearning.*:TD3Learning.*'
