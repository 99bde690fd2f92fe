"""Checks python/cairn/checkpoint_reader.py against what cairn wrote (run by
tests/python/checkpoint_reader_test.cpp under /usr/bin/python3, PYTHONPATH=python).

Usage: checkpoint_reader_check.py <expected.json>

expected.json lists cases: a path (policy folder, algorithm checkpoint or run folder), the
policy's weights by name as C++ holds them (hexadecimal floats, bit-exact), and whether its
model is a plain MLP of dense layers whose forward pass this script recomputes in NumPy.
Prints "ok" and exits 0 when everything matches; otherwise raises.
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np

from cairn.checkpoint_reader import CheckpointError, read_policy

ACTIVATIONS = {
    "identity": lambda x: x,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "silu": lambda x: x / (1 + np.exp(-x)),
}


def floats(hexes, dtype):
    return np.array([float.fromhex(h) for h in hexes], dtype=dtype)


def mlp_forward(policy, obs):
    """The spec's blocks of dense layers in float64 from the float32 features."""
    values = {"input": policy.normalize(obs).astype(np.float64)}
    for block in policy.model_spec["blocks"]:
        (source,) = block["inputs"]
        h = values[source]
        counts = {}
        for layer in block["layers"]:
            assert layer["type"] == "dense", layer["type"]
            k = counts.get("dense", 0)
            counts["dense"] = k + 1
            prefix = f'{block["name"]}/{layer.get("name", f"dense_{k}")}/'
            h = h @ policy.weights[prefix + "kernel"].astype(np.float64) + policy.weights[prefix + "bias"]
            h = ACTIVATIONS[layer.get("activation", "identity")](h)
        values[block["name"]] = h
    return values


def expect_error(function, *parts):
    try:
        function()
    except CheckpointError as e:
        for part in parts:
            assert part in str(e), f"'{part}' not in: {e}"
        return
    raise AssertionError(f"no CheckpointError (expected one mentioning {parts})")


def check_case(case):
    policy = read_policy(case["path"])
    expected = case["weights"]
    assert sorted(policy.weights) == sorted(expected), (sorted(policy.weights), sorted(expected))
    for name, want in expected.items():
        got = policy.weights[name]
        assert got.dtype == np.float32, name
        assert list(got.shape) == want["shape"], (name, got.shape, want["shape"])
        assert np.array_equal(got.reshape(-1), floats(want["data"], np.float32)), name
    if "log_std" in case:
        assert np.array_equal(policy.log_std, floats(case["log_std"], np.float32))
    else:
        assert policy.log_std is None
    if "normalizer" in case:
        n = policy.observation_normalizer
        assert np.array_equal(n["mean"], floats(case["normalizer"]["mean"], np.float64))
        assert np.array_equal(n["var"], floats(case["normalizer"]["var"], np.float64))
        assert n["count"] == float.fromhex(case["normalizer"]["count"])
    else:
        assert policy.observation_normalizer is None
    assert policy.recurrent == case["recurrent"], policy.recurrent
    if case["recurrent"]:
        assert {"state_in", "episode_start", "state_out"} <= set(policy.example)
    if case["mlp"]:
        # The recorded example, recomputed from the weights read here (normalisation
        # included): the reader hands out the numbers the policy acted with.
        values = mlp_forward(policy, policy.example["obs"])
        got = values["pi"]
        want = policy.example["dist_inputs"].astype(np.float64)
        assert np.max(np.abs(got - want) / np.maximum(1, np.abs(want))) < 1e-5, (got, want)
        if "value" in policy.example:
            v = values["vf"]
            assert np.max(np.abs(v - policy.example["value"]) / np.maximum(1, np.abs(v))) < 1e-5


def check_errors(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "policy")
        shutil.copytree(read_policy(case["path"]).folder, folder)
        # A changed weight byte: the checksum names the file.
        weights = os.path.join(folder, "weights.safetensors")
        data = bytearray(open(weights, "rb").read())
        data[-1] ^= 0x01
        open(weights, "wb").write(bytes(data))
        expect_error(lambda: read_policy(folder), "weights.safetensors", "SHA-256")
        # A newer format version is refused, saying so.
        manifest_path = os.path.join(folder, "cairn_policy.json")
        manifest = json.load(open(manifest_path))
        manifest["format_version"] = 99
        json.dump(manifest, open(manifest_path, "w"))
        expect_error(lambda: read_policy(folder), "format version 99", "newer")
        expect_error(lambda: read_policy(tmp), "not a policy folder")


def main(path):
    cases = json.load(open(path))
    for case in cases:
        check_case(case)
    check_errors(cases[0])
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
