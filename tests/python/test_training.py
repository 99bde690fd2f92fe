"""Training from Python: configs as dicts and presets, built-in and Python environments
(written here, and Gymnasium's own), callbacks, checkpoints that resume and restore alone,
exports, the GIL released while cairn works, and clear errors for bad input."""
import contextlib
import math
import os
import threading
import unittest
import warnings

import numpy as np

import cairn
from cairn import spaces
from python_test_support import NumpyCartPole, gymnasium_module, same_bits, scratch_dir


@contextlib.contextmanager
def libm_cos_and_sin_in(module):
    """Runs `module` with math.cos and math.sin (the C library's) in place of NumPy's."""

    class NumpyWithLibm:
        cos, sin = staticmethod(math.cos), staticmethod(math.sin)

        def __getattr__(self, name):
            return getattr(np, name)

    module.np = NumpyWithLibm()
    try:
        yield
    finally:
        module.np = np


def weights_of(algorithm):
    return {k: v.copy() for k, v in algorithm.policy.weights.items()}


def same_weights(a, b):
    return sorted(a) == sorted(b) and all(same_bits(a[k], b[k]) for k in a)


class BuiltInEnvironments(unittest.TestCase):
    def test_ppo_solves_cartpole_from_a_preset(self):
        algo = cairn.PPO(preset="CartPole-v1", config={"seed": 1})
        self.assertEqual(algo.config["env_id"], "CartPole-v1")
        results = algo.learn(stop={"mean_return": 475, "timesteps": 200000})
        self.assertGreaterEqual(results[-1]["episode_return_mean"], 475)
        self.assertIn("policy_loss", results[-1])
        evaluation = algo.evaluate(episodes=10)
        self.assertGreaterEqual(evaluation["mean_return"], 475)

    def test_train_returns_the_metrics_and_callbacks_stop_learning(self):
        algo = cairn.PPO({"env_id": "CartPole-v1", "num_envs": 2, "num_steps": 64})
        first = algo.train()
        self.assertEqual((first["iteration"], first["timesteps"]), (1, 128))
        seen = []
        results = algo.learn(stop={"iterations": 50},
                             callback=lambda r: seen.append(r["iteration"]) or len(seen) < 3)
        self.assertEqual(seen, [2, 3, 4])
        self.assertEqual([r["iteration"] for r in results], [2, 3, 4])
        self.assertEqual(algo.iteration, 4)

        def fails(result):
            raise KeyError("from the callback")

        with self.assertRaisesRegex(KeyError, "from the callback"):
            algo.learn(stop={"iterations": 10}, callback=fails)

    def test_a_resumed_run_equals_an_uninterrupted_one_and_its_policy_restores_alone(self):
        config = {"env_id": "Pendulum-v1", "num_envs": 2, "num_steps": 128, "seed": 4}
        whole = cairn.PPO(config)
        whole.learn(stop={"iterations": 4})
        part = cairn.PPO(config)
        part.learn(stop={"iterations": 2})
        folder = os.path.join(scratch_dir(self), "checkpoint")
        part.save_checkpoint(folder)
        resumed = cairn.PPO.from_checkpoint(folder)
        self.assertIsInstance(resumed, cairn.PPO)
        self.assertEqual(resumed.iteration, 2)
        resumed.learn(stop={"iterations": 4})
        self.assertTrue(same_weights(weights_of(resumed), weights_of(whole)))
        policy = cairn.load_policy(folder)
        self.assertTrue(same_weights(policy.weights, weights_of(part)))
        self.assertIsInstance(cairn.from_checkpoint(folder), cairn.PPO)
        self.assertEqual(cairn.verify_checkpoint(folder)["algorithm"], "ppo")

    def test_the_off_policy_algorithms_train_from_python(self):
        for cls, env in ((cairn.SAC, "Pendulum-v1"), (cairn.TD3, "Pendulum-v1"),
                         (cairn.DQN, "CartPole-v1")):
            with self.subTest(algorithm=cls.algorithm):
                algo = cls({"learning_starts": 100}, env=env)
                result = algo.learn(stop={"timesteps": 300})[-1]
                self.assertGreaterEqual(result["timesteps"], 300)
                self.assertEqual(algo.name, cls.algorithm)

    def test_multi_agent_ppo_trains_several_policies_that_restore_alone(self):
        config = {"env_id": "MultiAgentCartPole-v0", "env_options": {"num_agents": 3},
                  "num_envs": 2, "num_steps": 32, "seed": 5,
                  "policies": {"left": {}, "right": {"config": {"hidden_sizes": [16]}},
                               "fixed": {"trained": False}},
                  "policy_mapping": {"agent_0": "left", "agent_1": "right", "agent_2": "fixed"}}
        whole = cairn.MultiAgentPPO(config)
        self.assertEqual(whole.policy_ids, ["fixed", "left", "right"])
        fixed_before = {k: v.copy() for k, v in whole.get_policy("fixed").weights.items()}
        whole.learn(stop={"iterations": 4})
        self.assertTrue(same_weights(whole.get_policy("fixed").weights, fixed_before))
        part = cairn.MultiAgentPPO(config)
        part.learn(stop={"iterations": 2})
        folder = os.path.join(scratch_dir(self), "checkpoint")
        part.save_checkpoint(folder)
        resumed = cairn.from_checkpoint(folder)
        self.assertIsInstance(resumed, cairn.MultiAgentPPO)
        resumed.learn(stop={"iterations": 4})
        for policy_id in whole.policy_ids:
            self.assertTrue(same_weights(resumed.get_policy(policy_id).weights,
                                         whole.get_policy(policy_id).weights), policy_id)
            alone = cairn.load_policy(folder, policy_id=policy_id)
            self.assertTrue(same_weights(alone.weights, part.get_policy(policy_id).weights))
        self.assertIn("left/episode_return_mean", whole.last_result)
        with self.assertRaisesRegex(cairn.Error, "left, right"):
            whole.get_policy("nobody")
        with self.assertRaisesRegex(cairn.Error, "agent_2"):
            cairn.MultiAgentPPO(dict(config, policy_mapping={"agent_0": "left",
                                                             "agent_1": "right"}))

    def test_the_gil_is_released_while_cairn_trains(self):
        algo = cairn.PPO({"env_id": "CartPole-v1", "num_steps": 2048, "num_epochs": 20})
        training = threading.Event()
        done = threading.Event()

        def train():
            training.set()
            algo.train()
            done.set()

        worker = threading.Thread(target=train)
        worker.start()
        training.wait()
        counted = 0
        while not done.is_set():
            counted += 1
        worker.join()
        # With the GIL held by train(), this thread could not run until it returned.
        self.assertGreater(counted, 1000)


class PythonEnvironments(unittest.TestCase):
    def test_ppo_solves_a_cartpole_written_in_python(self):
        algo = cairn.PPO(preset="CartPole-v1", config={"seed": 2}, env=NumpyCartPole())
        self.assertTrue(algo.env_id.startswith("python:NumpyCartPole"))
        results = algo.learn(stop={"mean_return": 475, "timesteps": 200000})
        self.assertGreaterEqual(results[-1]["episode_return_mean"], 475)
        self.assertGreaterEqual(algo.evaluate(episodes=5)["mean_return"], 475)

    def test_gymnasiums_own_cartpole_trains_to_the_same_bits_as_cairns(self):
        gymnasium = gymnasium_module()
        config = {"num_envs": 4, "num_steps": 128, "seed": 5}
        builtin = cairn.PPO(config, env="CartPole-v1")
        builtin.learn(stop={"iterations": 6})
        # NumPy's own cos and sin (its AVX-512 versions) differ from the C library's in the last
        # bit, which cairn's CartPole (and Gymnasium's on other machines) computes with; with
        # the C library's, Gymnasium's CartPole stepped through Python gives cairn's episodes,
        # seeds, resets and truncations included, so the runs are the same bits.
        with libm_cos_and_sin_in(gymnasium.envs.classic_control.cartpole):
            python = cairn.PPO(config, env=lambda: gymnasium.make("CartPole-v1"))
            self.assertTrue(python.env_id.startswith("python:CartPole-v1"), python.env_id)
            python.learn(stop={"iterations": 6})
        self.assertEqual(python.episodes, builtin.episodes)
        self.assertEqual(python.last_result["episode_return_mean"],
                         builtin.last_result["episode_return_mean"])
        self.assertTrue(same_weights(weights_of(python), weights_of(builtin)))

    def test_an_unchanged_gymnasium_env_is_solved(self):
        gymnasium = gymnasium_module()
        algo = cairn.PPO(preset="CartPole-v1", config={"seed": 3},
                         env=lambda: gymnasium.make("CartPole-v1"))
        results = algo.learn(stop={"mean_return": 475, "timesteps": 200000})
        self.assertGreaterEqual(results[-1]["episode_return_mean"], 475)

    def test_checkpoints_of_python_environments_need_the_environment_to_resume_only(self):
        env = NumpyCartPole()
        algo = cairn.PPO({"num_envs": 2, "num_steps": 64}, env=env)
        algo.learn(stop={"iterations": 2})
        folder = os.path.join(scratch_dir(self), "checkpoint")
        algo.save_checkpoint(folder)
        with self.assertRaisesRegex(cairn.Error, "pass the environment again"):
            cairn.PPO.from_checkpoint(folder)
        with self.assertWarnsRegex(UserWarning, "episodes restart"):
            resumed = cairn.PPO.from_checkpoint(folder, env=env)
        self.assertEqual(resumed.iteration, 2)
        resumed.train()
        # The policy restores alone, without the environment, and exports.
        policy = cairn.load_policy(folder)
        self.assertTrue(same_weights(policy.weights, weights_of(algo)))
        record = policy.export_onnx(os.path.join(scratch_dir(self), "p.onnx"))
        self.assertEqual(record["status"], "verified", record)

    def test_python_environments_step_on_several_threads_to_the_same_bits(self):
        runs = []
        for threads in (1, 2):
            algo = cairn.PPO({"num_envs": 4, "num_steps": 64, "num_env_threads": threads,
                              "seed": 9}, env=NumpyCartPole())
            algo.learn(stop={"iterations": 3})
            runs.append(weights_of(algo))
        self.assertTrue(same_weights(*runs))

    def test_box_actions_reach_the_environment_as_float32_arrays(self):
        seen = []

        class Line:
            observation_space = spaces.Box(-1, 1, (2,))
            action_space = spaces.Box(-1, 1, (3,))

            def reset(self, seed=None):
                return np.zeros(2), {}

            def step(self, action):
                seen.append(action)
                return np.zeros(2), -float(np.sum(np.square(action))), False, len(seen) % 7 == 0, {}

        algo = cairn.PPO({"num_envs": 1, "num_steps": 16}, env=Line)
        algo.train()
        self.assertEqual(len(seen), 16)
        self.assertTrue(all(a.dtype == np.float32 and a.shape == (3,) for a in seen))


class BadEnvironmentsAndConfigs(unittest.TestCase):
    def make_env(self, step):
        class Broken(NumpyCartPole):
            pass

        Broken.step = step
        return Broken()

    def test_an_environment_whose_step_raises_gives_its_message(self):
        def step(self, action):
            raise RuntimeError("boom in step")

        algo = cairn.PPO({"num_envs": 1, "num_steps": 8}, env=self.make_env(step))
        with self.assertRaisesRegex(cairn.Error, r"step\(\) raised RuntimeError: boom in step"):
            algo.train()

    def test_replies_of_the_wrong_form_are_named(self):
        cases = [
            (lambda self, a: (np.zeros(4), 1.0, False, {}), r"returned 4 values.*\(observation, reward"),
            (lambda self, a: (np.zeros(3), 1.0, False, False, {}), "3 elements; observation_space has 4"),
            (lambda self, a: (np.zeros(4), "one", False, False, {}), "reward of type str"),
            (lambda self, a: (["x"] * 4, 1.0, False, False, {}), "not an array of numbers"),
        ]
        for step, message in cases:
            with self.subTest(message=message):
                algo = cairn.PPO({"num_envs": 1, "num_steps": 8}, env=self.make_env(step))
                with self.assertRaisesRegex(cairn.Error, message):
                    algo.train()

    def test_objects_that_are_not_environments_and_bad_configs(self):
        with self.assertRaisesRegex(cairn.Error, "Gymnasium's API"):
            cairn.PPO(env=42)

        class NoSpaces:
            def reset(self, seed=None):
                return np.zeros(1), {}

            def step(self, action):
                return np.zeros(1), 0.0, True, False, {}

        with self.assertRaisesRegex(cairn.Error, "has no 'observation_space'"):
            cairn.PPO(env=NoSpaces())

        class DictSpace(NumpyCartPole):
            def __init__(self):
                super().__init__()
                self.observation_space = {"a": 1}

        with self.assertRaisesRegex(cairn.Error, "observation_space is .*Box"):
            cairn.PPO(env=DictSpace())
        with self.assertRaisesRegex(cairn.Error, "learning_rat"):
            cairn.PPO({"env_id": "CartPole-v1", "learning_rat": 0.1})
        with self.assertRaisesRegex(cairn.Error, "No-Such-Env"):
            cairn.PPO(env="No-Such-Env")
        with self.assertRaisesRegex(TypeError, "config must be a dict"):
            cairn.PPO([1, 2])
        with self.assertRaisesRegex(TypeError, r"config\['model'\]: a value of type object"):
            cairn.PPO({"model": object()})
        algo = cairn.PPO({"env_id": "CartPole-v1", "num_steps": 8})
        with self.assertRaisesRegex(ValueError, "unknown condition 'steps'"):
            algo.learn(stop={"steps": 10})


if __name__ == "__main__":
    unittest.main()
