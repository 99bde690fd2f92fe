"""cairn from Python, measured: the latency of one action from a Python caller, against
Stable-Baselines3's predict in the same process, and PPO's training speed on a CartPole written
in Python (and Gymnasium's own, stepped through Python) against cairn's built-in CartPole.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_bench.py [--steps N] [--repeats K]

Latency: the median over K repeats of the mean time of one call in a loop of calls (one
observation, deterministic, float32, a policy with 64x64 tanh layers; cairn's from a run of
CartPole-v1's preset made here, SB3's PPO MlpPolicy on CartPole-v1 untrained: its latency
does not depend on the weights). Training: PPO with CartPole-v1's preset for N steps (default
100,000), one thread, steps per second of the run (collection and update).

Stable-Baselines3 and Gymnasium come from ../shared/peers (or $CAIRN_PEERS) with Debian's
python3-torch (scripts/setup.sh bench); without them their rows say why. Progress goes to
stderr, the report (markdown) to stdout.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

import cairn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "python"))
from numpy_cartpole import NumpyCartPole  # noqa: E402

PEERS = os.environ.get("CAIRN_PEERS", os.path.join(HERE, "..", "..", "shared", "peers"))


def log(message):
    print(message, file=sys.stderr, flush=True)


def per_call_seconds(call, calls, repeats):
    """Median over `repeats` of the mean seconds of one call in a loop of `calls`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def peer_modules():
    """(stable_baselines3, gymnasium) from the peers folder, or a reason they are missing."""
    for folder in ("stable-baselines3", "gymnasium-1.0.0", "pylib"):
        path = os.path.join(PEERS, folder)
        if not os.path.isdir(path):
            return None, f"peer not available ({path} missing)"
        sys.path.append(path)
    try:
        import torch
        torch.set_num_threads(1)
        import gymnasium
        import stable_baselines3
    except ImportError as e:
        return None, f"peer not available ({e}; scripts/setup.sh bench)"
    return (stable_baselines3, gymnasium), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    peers, why = peer_modules()
    rows = []

    # --- One action from Python -------------------------------------------------------
    with tempfile.TemporaryDirectory() as scratch:
        log("training a CartPole-v1 policy for the latency figures")
        trainer = cairn.PPO(preset="CartPole-v1", config={"seed": 1})
        trainer.learn(stop={"mean_return": 475})
        trainer.save_checkpoint(os.path.join(scratch, "checkpoint"))
        policy = cairn.load_policy(os.path.join(scratch, "checkpoint"))
    obs = np.array([0.01, -0.02, 0.03, 0.04], dtype=np.float32)
    batch = np.tile(obs, (256, 1))
    latency = [
        ("cairn `policy.predict(obs)`", per_call_seconds(lambda: policy.predict(obs), 100_000, args.repeats)),
        ("cairn `policy.compute_single_action(obs)`",
         per_call_seconds(lambda: policy.compute_single_action(obs), 100_000, args.repeats)),
        ("cairn `policy.predict(batch of 256)`, per observation",
         per_call_seconds(lambda: policy.predict(batch), 2_000, args.repeats) / 256),
    ]
    if peers:
        sb3, _ = peers
        model = sb3.PPO("MlpPolicy", "CartPole-v1", seed=1, device="cpu")
        latency.append(("Stable-Baselines3 `model.predict(obs, deterministic=True)`",
                        per_call_seconds(lambda: model.predict(obs, deterministic=True), 2_000,
                                         args.repeats)))
    else:
        latency.append(("Stable-Baselines3 `model.predict`", why))
    for name, value in latency:
        log(f"{name}: {value}")

    # --- Training on Python environments ----------------------------------------------
    def train(env):
        algo = cairn.PPO(preset="CartPole-v1", config={"seed": 1}, env=env)
        result = algo.learn(stop={"timesteps": args.steps})[-1]
        return result["timesteps"] / result["time_elapsed"], result["episode_return_mean"]

    training = [("cairn built-in `CartPole-v1`", *train("CartPole-v1")),
                ("Python `NumpyCartPole` (examples/python/numpy_cartpole.py)", *train(NumpyCartPole()))]
    if peers:
        _, gymnasium = peers
        training.append(("Gymnasium's `gymnasium.make(\"CartPole-v1\")`, through Python",
                         *train(lambda: gymnasium.make("CartPole-v1"))))
    else:
        training.append(("Gymnasium's CartPole-v1", why, None))
    for row in training:
        log(" | ".join(str(v) for v in row))

    print("### One action from Python (one observation, CartPole-v1 policy, 64x64)\n")
    print("| call | µs per observation |")
    print("| --- | ---: |")
    for name, value in latency:
        print(f"| {name} | {value * 1e6:.2f} |" if isinstance(value, float) else f"| {name} | {value} |")
    print(f"\n### PPO (CartPole-v1's preset), {args.steps:,} steps, one thread\n")
    print("| environment | steps/s | last-100 mean return |")
    print("| --- | ---: | ---: |")
    base = training[0][1]
    for name, speed, ret in training:
        if isinstance(speed, float):
            print(f"| {name} | {speed:,.0f} ({speed / base:.2f}x built-in) | {ret:.1f} |")
        else:
            print(f"| {name} | {speed} | |")


if __name__ == "__main__":
    main()
