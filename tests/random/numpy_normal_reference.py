"""NumPy's normal draws for cairn's Rng test (tests/random/numpy_normal_test.cpp).

Usage: numpy_normal_reference.py OUT COUNT LOC SCALE SEED [SEED ...]

Writes, for each seed in order, COUNT values of
np.random.Generator(np.random.PCG64(seed)).standard_normal(COUNT) followed by
COUNT values of a fresh generator's .normal(LOC, SCALE, COUNT), as little-endian
float64 (the exact bits).
"""
import sys

import numpy as np


def main():
    out, count, loc, scale = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    seeds = [int(s) for s in sys.argv[5:]]
    parts = []
    for seed in seeds:
        parts.append(np.random.Generator(np.random.PCG64(seed)).standard_normal(count))
        parts.append(np.random.Generator(np.random.PCG64(seed)).normal(loc, scale, count))
    np.concatenate(parts).astype("<f8").tofile(out)


if __name__ == "__main__":
    main()
