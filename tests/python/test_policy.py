"""cairn.load_policy and cairn.Policy: policies trained in C++ (by the cairn program) act in
Python exactly as recorded, the pure-Python reader sees the same weights, saving and exporting
work from Python, and bad input raises Python exceptions with clear messages."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import cairn
from cairn import checkpoint_reader, spaces
from python_test_support import run_cairn, same_bits, scratch_dir

_RUNS = {}
_ROOT = None


def trained_run(name):
    """A run folder trained once per test process by the cairn program (C++)."""
    global _ROOT
    if _ROOT is None:
        scratch = os.environ.get("CAIRN_TEST_SCRATCH") or tempfile.gettempdir()
        os.makedirs(scratch, exist_ok=True)
        _ROOT = tempfile.mkdtemp(prefix="policy_runs_", dir=scratch)
        atexit.register(shutil.rmtree, _ROOT, True)
    if name not in _RUNS:
        out = os.path.join(_ROOT, name)
        args = {
            # A categorical policy, a Gaussian with observation statistics, a squashed
            # Gaussian (SAC) and a policy with memory (LSTM).
            "cartpole": ["--env", "CartPole-v1", "--stop-timesteps", "8192"],
            "pendulum": ["--env", "Pendulum-v1", "--stop-timesteps", "4096", "--set",
                         "normalize_observations=true"],
            "sac": ["--algo", "sac", "--env", "Pendulum-v1", "--stop-timesteps", "600"],
            "memory": ["--env", "StatelessCartPole-v1", "--stop-timesteps", "2048"],
        }[name]
        run_cairn("train", *args, "--seed", "3", "--out", out, "--overwrite", "--quiet",
                  "--eval-episodes", "1")
        _RUNS[name] = out
    return _RUNS[name]


class LoadAndAct(unittest.TestCase):
    def test_predict_reproduces_the_recorded_example_bit_exactly(self):
        for name in ("cartpole", "pendulum", "sac"):
            with self.subTest(run=name):
                run = trained_run(name)
                recorded = checkpoint_reader.read_policy(run).example
                policy = cairn.load_policy(run)
                actions, state = policy.predict(recorded["obs"])
                self.assertIsNone(state)
                self.assertTrue(same_bits(actions, recorded["action"].reshape(actions.shape)),
                                f"{actions} != {recorded['action']}")
                # One observation at a time gives the same bits as the batch.
                for row, obs in enumerate(recorded["obs"]):
                    one, _ = policy.predict(obs)
                    self.assertTrue(same_bits(one, actions[row]))
                if "value" in recorded:
                    values = policy.value(recorded["obs"])
                    self.assertTrue(same_bits(values, recorded["value"].reshape(values.shape)))
                    self.assertEqual(policy.value(recorded["obs"][0]), float(values[0]))

    def test_a_policy_with_memory_replays_its_recorded_sequence_bit_exactly(self):
        run = trained_run("memory")
        recorded = checkpoint_reader.read_policy(run).example
        policy = cairn.load_policy(run)
        self.assertTrue(policy.is_recurrent)
        self.assertEqual(policy.initial_state().shape, (policy.state_size,))
        self.assertFalse(policy.initial_state().any())
        state = recorded["state_in"][0]
        for row, obs in enumerate(recorded["obs"]):
            start = bool(recorded["episode_start"][row])
            action, state = policy.predict(obs, state=state, episode_start=start)
            self.assertTrue(same_bits(action, recorded["action"][row].reshape(action.shape)),
                            f"row {row}")
            self.assertTrue(same_bits(state, recorded["state_out"][row]), f"row {row}")
        # The batch form: two episodes side by side, each row with its own state.
        obs = recorded["obs"][:2]
        states = np.stack([recorded["state_in"][0], recorded["state_in"][0]])
        actions, out = policy.predict(obs, state=states, episode_start=[True, False])
        self.assertEqual(out.shape, (2, policy.state_size))
        alone, alone_state = policy.predict(obs[1], state=states[1], episode_start=False)
        self.assertTrue(same_bits(actions[1], alone) and same_bits(out[1], alone_state))
        # compute_single_action returns RLlib's triple for a policy with memory.
        action, state_out, extra = policy.compute_single_action(obs[0], state=states[0])
        self.assertEqual(extra, {})
        self.assertEqual(state_out.shape, (policy.state_size,))

    def test_compute_single_action_and_spaces(self):
        policy = cairn.load_policy(trained_run("cartpole"))
        self.assertIsInstance(policy.observation_space, spaces.Box)
        self.assertEqual(policy.observation_space.shape, (4,))
        self.assertEqual(policy.action_space, spaces.Discrete(2))
        self.assertEqual(policy.head, "stochastic")
        obs = np.array([0.01, -0.2, 0.03, 0.1], dtype=np.float32)
        action = policy.compute_single_action(obs)
        self.assertIsInstance(action, np.int64)
        self.assertEqual(action, policy.predict(obs)[0])
        # Lists and float64 arrays are converted; float32 arrays are read in place.
        self.assertEqual(policy.predict(obs.astype(np.float64))[0], action)
        self.assertEqual(policy.predict(obs.tolist())[0], action)
        pendulum = cairn.load_policy(trained_run("pendulum"))
        self.assertEqual(pendulum.action_space.shape, (1,))
        self.assertEqual(pendulum.predict(np.zeros(3, np.float32))[0].shape, (1,))
        self.assertEqual(pendulum.predict(np.zeros((5, 3), np.float32))[0].shape, (5, 1))

    def test_exploring_draws_from_the_policys_seeded_generator(self):
        run = trained_run("pendulum")
        obs = np.zeros((64, 3), np.float32)
        a = cairn.load_policy(run, seed=7).predict(obs, deterministic=False)[0]
        b = cairn.load_policy(run, seed=7).predict(obs, deterministic=False)[0]
        c = cairn.load_policy(run, seed=8).predict(obs, deterministic=False)[0]
        self.assertTrue(same_bits(a, b))
        self.assertFalse(same_bits(a, c))
        mode = cairn.load_policy(run).predict(obs)[0]
        self.assertFalse(same_bits(a, mode))

    def test_the_pure_python_reader_sees_the_modules_weights(self):
        for name in ("cartpole", "pendulum", "memory"):
            with self.subTest(run=name):
                read = checkpoint_reader.read_policy(trained_run(name))
                policy = cairn.load_policy(trained_run(name))
                self.assertEqual(sorted(read.weights), sorted(policy.weights))
                for key, value in policy.weights.items():
                    self.assertTrue(same_bits(value, read.weights[key]), key)
                if policy.log_std is None:
                    self.assertIsNone(read.log_std)
                else:
                    self.assertTrue(same_bits(policy.log_std, read.log_std))
                normalizer = policy.observation_normalizer
                self.assertEqual(normalizer is None, read.observation_normalizer is None)
                if normalizer is not None:
                    for key in ("mean", "var"):
                        self.assertTrue(same_bits(normalizer[key],
                                                  read.observation_normalizer[key]))
                    self.assertEqual(normalizer["count"], read.observation_normalizer["count"])
                self.assertEqual(policy.model_spec, read.model_spec)


class SaveAndExport(unittest.TestCase):
    def test_save_restores_alone_and_exports_are_proven(self):
        for name in ("pendulum", "memory"):
            with self.subTest(run=name):
                policy = cairn.load_policy(trained_run(name))
                folder = os.path.join(scratch_dir(self), "saved")
                policy.save(folder)
                restored = cairn.load_policy(folder)
                self.assertEqual(restored.folder, folder)
                obs = checkpoint_reader.read_policy(folder).example["obs"]
                if policy.is_recurrent:
                    self.assertTrue(same_bits(policy.predict(obs)[1], restored.predict(obs)[1]))
                self.assertTrue(same_bits(policy.predict(obs)[0], restored.predict(obs)[0]))
                with self.assertRaisesRegex(cairn.Error, "saved"):
                    policy.save(folder)  # refuses to replace a policy folder
                onnx = policy.export_onnx(os.path.join(scratch_dir(self), "policy.onnx"))
                self.assertEqual(onnx["status"], "verified", onnx)
                c = policy.export_c(os.path.join(scratch_dir(self), "c"), name="pendulum")
                self.assertEqual(c["status"], "verified", c)


class WithoutTheCompiledModule(unittest.TestCase):
    def test_the_reader_and_spaces_import_and_the_rest_says_what_is_missing(self):
        source = os.path.join(os.path.dirname(__file__), "..", "..", "python")
        code = ("import cairn, cairn.checkpoint_reader, cairn.spaces\n"
                "assert cairn._cairn is None\n"
                "print(cairn.spaces.Discrete(3))\n"
                "cairn.load_policy('x')\n")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": source}, timeout=60)
        self.assertEqual(r.stdout.strip(), "Discrete(3)")
        self.assertIn("ImportError: cairn.load_policy needs cairn's compiled module", r.stderr)
        self.assertIn("pybind11", r.stderr)


class BadInput(unittest.TestCase):
    def test_wrong_shapes_dtypes_and_states_raise_clear_errors(self):
        policy = cairn.load_policy(trained_run("cartpole"))
        with self.assertRaisesRegex(ValueError, r"shape \(3,\).*\(4,\).*\(n, 4\)"):
            policy.predict(np.zeros(3, np.float32))
        with self.assertRaisesRegex(ValueError, r"shape \(2, 2\)"):
            policy.predict(np.zeros((2, 2), np.float32))
        with self.assertRaisesRegex(TypeError, "dtype <U1"):
            policy.predict(np.array(["a", "b", "c", "d"]))
        with self.assertRaisesRegex(TypeError, "dtype complex"):
            policy.predict(np.zeros(4, np.complex64))
        with self.assertRaisesRegex(TypeError, "dtype object"):
            policy.predict({"x": 1})
        with self.assertRaisesRegex(ValueError, "no memory"):
            policy.predict(np.zeros(4, np.float32), state=np.zeros(3, np.float32))
        with self.assertRaisesRegex(cairn.Error, "nan"):
            policy.predict(np.array([0, np.nan, 0, 0], np.float32))
        with self.assertRaisesRegex(ValueError, "one observation"):
            policy.compute_single_action(np.zeros((2, 4), np.float32))
        memory = cairn.load_policy(trained_run("memory"))
        with self.assertRaisesRegex(ValueError, r"state has shape \(3,\); expected"):
            memory.predict(np.zeros(2, np.float32), state=np.zeros(3, np.float32))
        with self.assertRaisesRegex(ValueError, "episode_start"):
            memory.predict(np.zeros((2, 2), np.float32), state=memory.initial_state(2),
                           episode_start=[True, False, True])
        sac = cairn.load_policy(trained_run("sac"))
        with self.assertRaisesRegex(ValueError, "no value function"):
            sac.value(np.zeros(3, np.float32))

    def test_bad_paths_and_ids_name_the_problem(self):
        missing = os.path.join(scratch_dir(self), "nothing-here")
        with self.assertRaisesRegex(cairn.Error, "nothing-here"):
            cairn.load_policy(missing)
        with self.assertRaisesRegex(cairn.Error, "no_such_policy"):
            cairn.load_policy(trained_run("cartpole"), policy_id="no_such_policy")


if __name__ == "__main__":
    unittest.main()
