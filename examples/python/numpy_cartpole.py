"""CartPole written in Python, trained by cairn: an environment with Gymnasium's API that is not
cairn's own (docs/python.md).

    PYTHONPATH=build/release/python /usr/bin/python3 examples/python/numpy_cartpole.py

The class needs nothing but NumPy and cairn.spaces (gymnasium.spaces work as well); cairn
copies it for each training environment and steps it from C++.
"""
import math

import numpy as np

from cairn import spaces


class NumpyCartPole:
    """CartPole-v1 written in Python (Gymnasium's equations, float64 state): an environment
    that is not cairn's, with Gymnasium's API and cairn.spaces. Truncates at 500 steps."""

    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self, max_steps=500):
        high = np.array([self.x_threshold * 2, np.finfo(np.float32).max,
                         self.theta_threshold * 2, np.finfo(np.float32).max], dtype=np.float32)
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.max_steps = max_steps
        self.rng = np.random.default_rng()
        self.state = None
        self.steps = 0

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.state = self.rng.uniform(-0.05, 0.05, size=(4,))
        self.steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta**2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = np.array((x, x_dot, theta, theta_dot))
        self.steps += 1
        terminated = bool(x < -self.x_threshold or x > self.x_threshold
                          or theta < -self.theta_threshold or theta > self.theta_threshold)
        truncated = self.steps >= self.max_steps and not terminated
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}


if __name__ == "__main__":
    import cairn

    algo = cairn.PPO(preset="CartPole-v1", config={"seed": 1}, env=NumpyCartPole())
    result = algo.learn(stop={"mean_return": 475, "timesteps": 200000})[-1]
    print(f"{algo.env_id}: {result['timesteps']} steps, mean return {result['episode_return_mean']:.1f}, "
          f"{result['time_elapsed']:.1f} s")
    print("evaluation:", algo.evaluate(episodes=10)["mean_return"])
