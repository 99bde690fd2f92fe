"""sb3-contrib's RecurrentPPO on CartPole-v1 without its velocities, with rl-baselines3-zoo's
tuned hyperparameters, measured the way cairn's benches measure cairn: one JSON line per seed.

The task is cairn's StatelessCartPole-v1: CartPole-v1 observing only [cart position, pole
angle], CartPole's elements 0 and 2 bit for bit (StatelessCartPole below). rl-zoo3's
CartPoleNoVel-v1 (rl_zoo3/wrappers.py, MaskVelocityWrapper) multiplies the two velocities by
0 instead of removing them; the zoo normalises observations, and a feature that is always 0
stays 0 after normalisation, so the two observe the same information.

The hyperparameters are rl-baselines3-zoo's "CartPoleNoVel-v1" entry in
hyperparams/ppo_lstm.yml (DLR-RM/rl-baselines3-zoo, commit c94924e5, marked "# Tuned"):

  normalize: True             -> VecNormalize(norm_obs=True, norm_reward=True, gamma=0.98):
                                 rl_zoo3/exp_manager.py copies the algorithm's gamma into it
  n_envs: 8, n_timesteps: 1e5, policy: MlpLstmPolicy
  n_steps: 32, batch_size: 256, gae_lambda: 0.8, gamma: 0.98, n_epochs: 20, ent_coef: 0.0
  learning_rate: lin_0.001, clip_range: lin_0.2
  policy_kwargs: dict(ortho_init=False, activation_fn=nn.ReLU, lstm_hidden_size=64,
                      enable_critic_lstm=True, net_arch=dict(pi=[64], vf=[64]))

It trains until the mean return of the last 100 finished training episodes (SB3's
ep_info_buffer, raw returns recorded by Monitor under VecNormalize) reaches 475, checked after
every vectorised step, or until the step budget runs out. The zoo's linear schedules decay to
0 over the total_timesteps given to learn(): the default budget is the zoo's n_timesteps
(1e5), so its schedules are exactly the zoo's; --max-steps N gives a larger budget and
stretches the schedules over it (say so when quoting such figures).

Each line: seed, solved, steps (at the stop, or the budget), train_seconds (wall time of
learn() only), train100 (the last-100 mean at the end), best_train100 and the step it was
reached, and the versions of torch, stable-baselines3, sb3-contrib and gymnasium.

Usage (one thread, ../shared/peers as in its README; bench/recurrent_side_by_side.sh runs it):
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  PYTHONPATH=../shared/peers/stable-baselines3:../shared/peers/sb3-contrib:../shared/peers/gymnasium-1.0.0:../shared/peers/pylib \
      /usr/bin/python3 bench/sb3_recurrent_stateless_cartpole.py [--max-steps N] [SEED ...]
Seeds default to 1.
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np
import sb3_contrib
import stable_baselines3
import torch
import torch.nn as nn
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

ZOO_N_TIMESTEPS = 100_000
SOLVED_RETURN = 475.0


class StatelessCartPole(gym.ObservationWrapper):
    """CartPole observing [cart position, pole angle]: its elements 0 and 2, unchanged."""

    KEEP = [0, 2]

    def __init__(self, env):
        super().__init__(env)
        full = env.observation_space
        self.observation_space = gym.spaces.Box(
            low=full.low[self.KEEP], high=full.high[self.KEEP], dtype=full.dtype)

    def observation(self, observation):
        return observation[self.KEEP]


def make_stateless_cartpole(**kwargs):
    return StatelessCartPole(gym.make("CartPole-v1", **kwargs))


class Train100SolvedCallback(BaseCallback):
    """Stops when the last 100 finished training episodes average 475 (as bench/sb3_cartpole.py)."""

    def __init__(self):
        super().__init__()
        self.solved_at = None
        self.train100 = None
        self.best_train100 = None
        self.best_at = None

    def _on_step(self):
        buf = self.model.ep_info_buffer
        if buf:
            self.train100 = float(np.mean([e["r"] for e in buf]))
            if self.best_train100 is None or self.train100 > self.best_train100:
                self.best_train100, self.best_at = self.train100, self.num_timesteps
            if self.train100 >= SOLVED_RETURN:
                self.solved_at = self.num_timesteps
                return False
        return True


def linear(start):
    return lambda progress_remaining: progress_remaining * start


def recurrent_ppo(seed, max_steps):
    gamma = 0.98
    env = make_vec_env(make_stateless_cartpole, n_envs=8, seed=seed)
    env = VecNormalize(env, gamma=gamma)  # the zoo's normalize: True
    model = RecurrentPPO(
        "MlpLstmPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=gamma,
        n_epochs=20, ent_coef=0.0, learning_rate=linear(1e-3), clip_range=linear(0.2),
        policy_kwargs=dict(ortho_init=False, activation_fn=nn.ReLU, lstm_hidden_size=64,
                           enable_critic_lstm=True, net_arch=dict(pi=[64], vf=[64])),
        seed=seed, device="cpu")
    cb = Train100SolvedCallback()
    start = time.perf_counter()
    model.learn(total_timesteps=max_steps, callback=cb)
    seconds = time.perf_counter() - start
    env.close()
    return {
        "peer": "sb3-contrib RecurrentPPO", "env": "CartPole-v1 without velocities",
        "seed": seed, "solved": cb.solved_at is not None,
        "steps": cb.solved_at if cb.solved_at else model.num_timesteps,
        "train_seconds": seconds, "train100": cb.train100,
        "best_train100": cb.best_train100, "best_train100_at": cb.best_at,
        "max_steps": max_steps, "schedule_steps": max_steps,
        "torch": torch.__version__, "stable_baselines3": stable_baselines3.__version__,
        "sb3_contrib": sb3_contrib.__version__, "gymnasium": gym.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def main():
    args = sys.argv[1:]
    max_steps = ZOO_N_TIMESTEPS
    seeds = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-h", "--help"):
            print(__doc__)
            return
        if a == "--max-steps":
            if i + 1 >= len(args):
                sys.exit("--max-steps needs a number")
            max_steps = int(float(args[i + 1]))
            i += 2
            continue
        if a.startswith("-") or not a.isdigit():
            sys.exit(f"unknown argument {a!r}\n\n{__doc__}")
        seeds.append(int(a))
        i += 1
    torch.set_num_threads(1)
    for seed in seeds or [1]:
        print(json.dumps(recurrent_ppo(seed, max_steps)), flush=True)


if __name__ == "__main__":
    main()
