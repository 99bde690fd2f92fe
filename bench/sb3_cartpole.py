"""Stable-Baselines3 on CartPole-v1 with rl-baselines3-zoo's hyperparameters, measured the
way cairn's benches measure cairn, one seed per call, one JSON line:

  ppo SEED [MAX_STEPS]  PPO (zoo: 8 environments, n_steps 32, batch 256, 20 epochs, gamma
                        0.98, lambda 0.8, linear lr 1e-3 and clip 0.2) until the mean return
                        of the last 100 training episodes is 475 (ppo_bench --run
                        cartpole-solve); reports those training seconds and steps.
  dqn SEED [MAX_STEPS]  DQN (the zoo's hyperparameters, which cairn's CartPole-v1 DQN preset
                        uses): every 1000 environment steps a deterministic evaluation of 10
                        episodes on a fresh environment, until its mean return is 500
                        (dqn_bench --run); reports the environment steps and the training
                        seconds (evaluation excluded).

Usage (one thread, ../shared/peers as in its README; bench/side_by_side.sh runs it):
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  PYTHONPATH=../shared/peers/stable-baselines3:../shared/peers/gymnasium-1.0.0:../shared/peers/pylib \
      /usr/bin/python3 bench/sb3_cartpole.py ppo|dqn [SEED] [MAX_STEPS]
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env


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


class EvalSolvedCallback(BaseCallback):
    """Stops at the first deterministic 10-episode evaluation of 500 (every 1000 steps)."""

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


class Train100SolvedCallback(BaseCallback):
    """Stops when the last 100 finished training episodes average 475 (SB3's ep_info_buffer
    holds the last 100)."""

    def __init__(self):
        super().__init__()
        self.solved_at = None
        self.train100 = None

    def _on_step(self):
        buf = self.model.ep_info_buffer
        if buf:
            self.train100 = float(np.mean([e["r"] for e in buf]))
            if self.train100 >= 475:
                self.solved_at = self.num_timesteps
                return False
        return True


def linear(start):
    return lambda progress_remaining: progress_remaining * start


def ppo(seed, max_steps):
    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98,
                n_epochs=20, ent_coef=0.0, learning_rate=linear(1e-3), clip_range=linear(0.2),
                seed=seed, device="cpu")
    cb = Train100SolvedCallback()
    start = time.perf_counter()
    model.learn(total_timesteps=max_steps, callback=cb)
    seconds = time.perf_counter() - start
    return {"peer": "stable-baselines3 PPO", "seed": seed, "solved": cb.solved_at is not None,
            "steps": cb.solved_at if cb.solved_at else model.num_timesteps,
            "train_seconds": seconds, "train100": cb.train100}


def dqn(seed, max_steps):
    model = DQN("MlpPolicy", "CartPole-v1", learning_rate=2.3e-3, batch_size=64,
                buffer_size=100000, learning_starts=1000, gamma=0.99, target_update_interval=10,
                train_freq=256, gradient_steps=128, exploration_fraction=0.16,
                exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]), seed=seed,
                device="cpu")
    cb = EvalSolvedCallback()
    start = time.perf_counter()
    model.learn(total_timesteps=max_steps, callback=cb)
    seconds = time.perf_counter() - start - cb.eval_seconds
    return {"peer": "stable-baselines3 DQN", "seed": seed, "solved": cb.solved_at is not None,
            "steps": cb.solved_at if cb.solved_at else model.num_timesteps,
            "train_seconds": seconds, "last_eval": cb.last_eval}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("ppo", "dqn"):
        sys.exit(__doc__)
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(1)
    if sys.argv[1] == "ppo":
        # The zoo's n_timesteps, which its linear schedules run over.
        max_steps = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
        print(json.dumps(ppo(seed, max_steps)))
    else:
        max_steps = int(sys.argv[3]) if len(sys.argv) > 3 else 50000  # the zoo's n_timesteps (the epsilon horizon)
        print(json.dumps(dqn(seed, max_steps)))


if __name__ == "__main__":
    main()
