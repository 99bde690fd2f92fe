"""Stable-Baselines3's OrnsteinUhlenbeckActionNoise recurrence in NumPy, fed the normals
cairn drew, for tests/policy/ornstein_uhlenbeck_noise_test.cpp.

  noise = prev + theta * (mean - prev) * dt + sigma * sqrt(dt) * normal

Usage: ornstein_uhlenbeck_reference.py CASE.json RESULT.json
"""
import json
import sys

import numpy as np


def main():
    case = json.load(open(sys.argv[1]))
    sigma, theta, dt = case["sigma"], case["theta"], case["dt"]
    steps, n = case["steps"], case["n"]
    normals = np.asarray(case["normals"], dtype=np.float64).reshape(steps, n)
    resets = set(case["reset_after"])  # steps after which reset_elements restart
    mean = np.zeros(n)
    prev = np.zeros(n)
    out = []
    for t in range(steps):
        prev = prev + theta * (mean - prev) * dt + sigma * np.sqrt(dt) * normals[t]
        out.append(prev.astype(np.float32).astype(np.float64).tolist())
        if t in resets:
            prev[case["reset_elements"]] = 0.0
    json.dump({"noise": [v for row in out for v in row]}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
