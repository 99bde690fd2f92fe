"""Stable-Baselines3's DQN on CartPole-v1 with rl-baselines3-zoo's hyperparameters (the
ones cairn's CartPole-v1 DQN preset uses), measured the way bench/dqn_bench.cpp measures
cairn: every 1000 environment steps a deterministic evaluation of 10 episodes on a fresh
environment; reports the environment steps and training seconds (evaluation excluded) until
the evaluation's mean return is 500, as one JSON line.

Usage (one thread, ../shared/peers as in its README):
  OMP_NUM_THREADS=1 PYTHONPATH=../shared/peers/stable-baselines3:../shared/peers/gymnasium-1.0.0:../shared/peers/pylib \
      /usr/bin/python3 bench/dqn_sb3_cartpole.py [seed] [max_steps]
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback


def evaluate(model, episodes=10, seed=1000000):
    env = gym.make("CartPole-v1")
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done, total = False, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, r, term, trunc, _ = env.step(int(action))
            total += r
            done = term or trunc
        returns.append(total)
    return float(np.mean(returns))


class SolvedCallback(BaseCallback):
    def __init__(self):
        super().__init__()
        self.eval_seconds = 0.0
        self.solved_at = None
        self.last_eval = None

    def _on_step(self):
        if self.num_timesteps % 1000 == 0:
            t = time.perf_counter()
            self.last_eval = evaluate(self.model)
            self.eval_seconds += time.perf_counter() - t
            if self.last_eval >= 500:
                self.solved_at = self.num_timesteps
                return False
        return True


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    max_steps = int(sys.argv[2]) if len(sys.argv) > 2 else 50000  # the zoo's n_timesteps (the epsilon horizon)
    torch.set_num_threads(1)
    model = DQN("MlpPolicy", "CartPole-v1", learning_rate=2.3e-3, batch_size=64,
                buffer_size=100000, learning_starts=1000, gamma=0.99, target_update_interval=10,
                train_freq=256, gradient_steps=128, exploration_fraction=0.16,
                exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]), seed=seed,
                device="cpu")
    cb = SolvedCallback()
    start = time.perf_counter()
    model.learn(total_timesteps=max_steps, callback=cb)
    seconds = time.perf_counter() - start - cb.eval_seconds
    print(json.dumps({"peer": "stable-baselines3 DQN", "seed": seed, "solved": cb.solved_at is not None,
                      "steps": cb.solved_at if cb.solved_at else model.num_timesteps,
                      "train_seconds": seconds, "last_eval": cb.last_eval}))


if __name__ == "__main__":
    main()
