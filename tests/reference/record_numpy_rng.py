#!/usr/bin/python3
"""Prints the NumPy reference values used by tests/random/random_test.cpp.

Recorded with Debian 12's python3-numpy 1.24.2 (the NumPy behind the Gymnasium
recordings in ../shared/conformance). Run: /usr/bin/python3 tests/reference/record_numpy_rng.py
"""
import numpy as np

def gen(seed):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))

r = gen(0)
print("seed 0 raw:", [r.bit_generator.random_raw() for _ in range(3)])
print("seed 0 uniform(-0.05, 0.05, 4):", repr(gen(0).uniform(-0.05, 0.05, size=(4,)).tolist()))
r = gen(123456789012345)
print("seed 123456789012345 raw:", [r.bit_generator.random_raw() for _ in range(2)])
print("SeedSequence(7).spawn(3) first raw:",
      [np.random.PCG64(s).random_raw() for s in np.random.SeedSequence(7).spawn(3)])
print("SeedSequence(7, spawn_key=(5,)).generate_state(4, uint32):",
      np.random.SeedSequence(7, spawn_key=(5,)).generate_state(4, np.uint32).tolist())
