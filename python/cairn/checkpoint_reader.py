"""Reading cairn checkpoints without cairn: the standard library and NumPy only.

For users who want to inspect a policy or port it elsewhere. Nothing in a checkpoint is
executed: it is JSON and safetensors (docs/checkpoint-format.md).

    from cairn.checkpoint_reader import read_policy
    policy = read_policy("runs/cartpole")          # a run folder, a checkpoint or a policy folder
    policy.model_spec["blocks"]                    # the model as data
    policy.weights["pi/dense_0/kernel"]            # float32 [in, out], by name
    policy.observation_normalizer                  # {"mean", "var", "count"} or None
    policy.example["obs"], policy.example["action"]

Every file is checked against its manifest (size and SHA-256) before it is parsed, and every
error is a CheckpointError naming the file and what is wrong.
"""

import hashlib
import json
import os
import struct

import numpy as np

FORMAT_VERSION = 1  # the newest checkpoint format this reader understands

POLICY_MANIFEST = "cairn_policy.json"
CHECKPOINT_MANIFEST = "cairn_checkpoint.json"
WEIGHTS_FILE = "weights.safetensors"
EXAMPLE_FILE = "example.safetensors"
LATEST_FILE = "latest"
POLICIES_FOLDER = "policies"
DEFAULT_POLICY_ID = "default_policy"

_DTYPES = {
    "BOOL": np.dtype("bool"),
    "U8": np.dtype("<u1"),
    "I8": np.dtype("<i1"),
    "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}

_MAX_HEADER_BYTES = 100 * 1024 * 1024


class CheckpointError(Exception):
    """A checkpoint that cannot be read: the message names the file and the problem."""


def read_safetensors(path, data=None):
    """The tensors of a safetensors file as {name: numpy array} (read-only copies in native
    byte order). `data`: the file's bytes when already read. Raises CheckpointError."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    if len(data) < 8:
        raise CheckpointError(f"{path}: {len(data)} bytes is too short for a safetensors file")
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > min(_MAX_HEADER_BYTES, len(data) - 8):
        raise CheckpointError(f"{path}: header size {header_size} exceeds the file")
    try:
        header = json.loads(data[8 : 8 + header_size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: the header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the header is not a JSON object")
    body = memoryview(data)[8 + header_size :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _DTYPES[entry["dtype"]]
            shape = [int(d) for d in entry["shape"]]
            begin, end = (int(o) for o in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"{path}: tensor '{name}' has no valid dtype, shape and data_offsets") from None
        if any(d < 0 for d in shape) or not 0 <= begin <= end <= len(body):
            raise CheckpointError(f"{path}: tensor '{name}' lies outside the file")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count * dtype.itemsize != end - begin:
            raise CheckpointError(
                f"{path}: tensor '{name}' holds {end - begin} bytes, {entry['dtype']} {shape} needs "
                f"{count * dtype.itemsize}"
            )
        array = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
        array.setflags(write=False)
        tensors[name] = array
    return tensors


def _read_manifest(folder, name, kind):
    path = os.path.join(folder, name)
    try:
        with open(path, "rb") as f:
            manifest = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not a cairn {kind} folder)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: not JSON: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != f"cairn.{kind}":
        raise CheckpointError(f"{path}: 'kind' is not \"cairn.{kind}\"")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path}: 'format_version' must be a positive integer")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format version {version} is newer than this reader's ({FORMAT_VERSION}); "
            "a newer cairn wrote it"
        )
    return manifest


def _verified_file(folder, manifest, name):
    """The bytes of `name`, checked against the manifest's size and SHA-256."""
    path = os.path.join(folder, name)
    entry = manifest.get("files", {}).get(name)
    if not isinstance(entry, dict):
        raise CheckpointError(f"{os.path.join(folder, POLICY_MANIFEST)}: 'files' does not list {name}")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing") from None
    if len(data) != entry.get("bytes"):
        raise CheckpointError(f"{path}: {len(data)} bytes, the manifest says {entry.get('bytes')}")
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise CheckpointError(f"{path}: SHA-256 differs from the manifest's (the file was changed)")
    return data


class Policy:
    """A policy folder's contents, as data."""

    def __init__(self, folder, manifest, weights, example):
        self.folder = folder
        self.manifest = manifest
        self.observation_space = manifest["observation_space"]
        self.action_space = manifest["action_space"]
        self.model_spec = manifest["model"]
        self.distribution = manifest["distribution"]
        self.options = manifest["preprocessor"]
        self.log_std = weights.get("log_std")
        if "observation_normalizer/mean" in weights:
            self.observation_normalizer = {
                "mean": weights["observation_normalizer/mean"],
                "var": weights["observation_normalizer/var"],
                "count": float(weights["observation_normalizer/count"]),
            }
        else:
            self.observation_normalizer = None
        # The model's parameters by name ("<block>/<layer>/<param>"), float32, row-major.
        self.weights = {
            k: v for k, v in weights.items() if k != "log_std" and not k.startswith("observation_normalizer/")
        }
        self.example = example

    @property
    def recurrent(self):
        """Whether the model has recurrent (lstm, gru) layers, i.e. carries a state."""
        return any(layer["type"] in ("lstm", "gru") for block in self.model_spec["blocks"] for layer in block["layers"])

    def normalize(self, observations):
        """Raw float observations -> the features the model sees, as cairn computes them in
        float32: clip((obs - mean) / sqrt(var + epsilon), -clip, clip), or unchanged."""
        x = np.asarray(observations, dtype=np.float32)
        if self.observation_normalizer is None:
            return x
        mean = self.observation_normalizer["mean"].astype(np.float32)
        std = np.sqrt(self.observation_normalizer["var"] + self.options["normalization_epsilon"]).astype(np.float32)
        clip = np.float32(self.options["observation_clip"])
        return np.clip((x - mean) / std, -clip, clip)


def resolve_policy_folder(path, policy_id=None):
    """The policy folder `path` names: a policy folder, an algorithm checkpoint (its policy
    `policy_id`, default "default_policy") or a run folder (its latest checkpoint)."""
    if os.path.isfile(os.path.join(path, POLICY_MANIFEST)):
        return path
    if os.path.isfile(os.path.join(path, LATEST_FILE)):
        with open(os.path.join(path, LATEST_FILE), encoding="utf-8") as f:
            name = f.read().strip()
        if not name or "/" in name or name in (".", ".."):
            raise CheckpointError(f"{os.path.join(path, LATEST_FILE)}: not a checkpoint name")
        path = os.path.join(path, name)
    if os.path.isfile(os.path.join(path, CHECKPOINT_MANIFEST)):
        manifest = _read_manifest(path, CHECKPOINT_MANIFEST, "algorithm_checkpoint")
        ids = manifest.get("policy_ids", [])
        policy_id = policy_id or DEFAULT_POLICY_ID
        if policy_id not in ids:
            raise CheckpointError(f"{path}: no policy '{policy_id}' (policies: {', '.join(ids)})")
        return os.path.join(path, POLICIES_FOLDER, policy_id)
    raise CheckpointError(f"{path}: not a policy folder, an algorithm checkpoint or a run folder")


def read_policy(path, policy_id=None):
    """Reads the policy at `path` (see resolve_policy_folder), verifying the checksums."""
    folder = resolve_policy_folder(path, policy_id)
    manifest = _read_manifest(folder, POLICY_MANIFEST, "policy")
    for key in ("observation_space", "action_space", "model", "distribution", "preprocessor", "files"):
        if key not in manifest:
            raise CheckpointError(f"{os.path.join(folder, POLICY_MANIFEST)}: missing '{key}'")
    weights_path = os.path.join(folder, WEIGHTS_FILE)
    weights = read_safetensors(weights_path, _verified_file(folder, manifest, WEIGHTS_FILE))
    example_path = os.path.join(folder, EXAMPLE_FILE)
    example = read_safetensors(example_path, _verified_file(folder, manifest, EXAMPLE_FILE))
    for name, array in weights.items():
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise CheckpointError(f"{weights_path}: tensor '{name}' holds a NaN or infinity")
    return Policy(folder, manifest, weights, example)
