"""What the Python module's tests share: scratch folders, the cairn program (to train policies
in C++ the way users do), bit-exact comparisons, CartPole written in Python and Gymnasium.

The tests run under ctest (tests/CMakeLists.txt), which sets PYTHONPATH to the build tree's
package and CAIRN_PROGRAM, CAIRN_SHARED_DIR and CAIRN_TEST_SCRATCH.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

# examples/python/numpy_cartpole.py: CartPole written in Python, the environment a user brings.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python"))
from numpy_cartpole import NumpyCartPole  # noqa: E402,F401


def scratch_dir(test):
    """A fresh folder removed after `test` (a unittest.TestCase)."""
    root = os.environ.get("CAIRN_TEST_SCRATCH") or tempfile.gettempdir()
    os.makedirs(root, exist_ok=True)
    path = tempfile.mkdtemp(dir=root)
    test.addCleanup(shutil.rmtree, path, ignore_errors=True)
    return path


def run_cairn(*args):
    """Runs the cairn program; returns its stdout, raising with its output on failure."""
    program = os.environ["CAIRN_PROGRAM"]
    r = subprocess.run([program, *args], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"cairn {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r.stdout


def same_bits(a, b):
    """True when two arrays have the same dtype, shape and bits."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def gymnasium_module():
    """Gymnasium 1.0.0 from ../shared/peers (the real thing, unchanged; pure Python)."""
    shared = os.environ["CAIRN_SHARED_DIR"]
    for folder in ("peers/gymnasium-1.0.0", "peers/pylib"):
        path = os.path.join(shared, folder)
        if not os.path.isdir(path):
            raise AssertionError(f"Gymnasium is expected at {path} (../shared/peers)")
        if path not in sys.path:
            sys.path.append(path)
    import gymnasium
    return gymnasium
