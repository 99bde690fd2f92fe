#!/usr/bin/python3
"""An independent safetensors reader and writer (Python standard library + NumPy)
for cairn's interoperability tests (tests/io/safetensors_interop_test.cpp).

It follows the format description in the safetensors README, not cairn's code:
8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data
buffer; data_offsets are relative to the start of the buffer.

  check FILE EXPECTED   Read FILE (written by cairn) and compare every tensor and
                        the metadata with EXPECTED, a JSON file listing for each
                        tensor its dtype, shape and flattened values (or raw hex).
  write FILE EXPECTED   Write FILE with this script's own writer, and EXPECTED
                        describing what it holds, for cairn to load and compare.

Exits 0 on success; prints each problem and exits 1 otherwise.
Run with Debian's /usr/bin/python3 (python3-numpy).
"""
import json
import struct
import sys

import numpy as np

NUMPY_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "I32": np.int32, "U32": np.uint32, "F32": np.float32,
    "F64": np.float64, "I64": np.int64, "U64": np.uint64,
}
ELEMENT_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
                 "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def le_dtype(name):
    return np.dtype(NUMPY_DTYPES[name]).newbyteorder("<")


def check(path, expected_path):
    problems = []
    with open(path, "rb") as f:
        data = f.read()
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)

    (n,) = struct.unpack("<Q", data[:8])
    if n % 8 != 0:
        problems.append(f"header length {n} is not a multiple of 8 (the reference writer pads)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    buffer = data[8 + n:]

    metadata = header.pop("__metadata__", {})
    if metadata != expected["metadata"]:
        problems.append(f"metadata {metadata!r} != expected {expected['metadata']!r}")
    if sorted(header) != sorted(expected["tensors"]):
        problems.append(f"tensor names {sorted(header)} != expected {sorted(expected['tensors'])}")

    # The offsets must tile the buffer exactly: sorted, contiguous, ending at its end.
    spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name)
                   for name, info in header.items())
    position = 0
    for begin, end, name in spans:
        if begin != position or end < begin:
            problems.append(f"{name}: data_offsets [{begin}, {end}] do not follow {position}")
        position = end
    if position != len(buffer):
        problems.append(f"tensors cover {position} bytes, buffer has {len(buffer)}")

    for name, want in expected["tensors"].items():
        info = header.get(name)
        if info is None:
            continue
        if info["dtype"] != want["dtype"] or info["shape"] != want["shape"]:
            problems.append(f"{name}: dtype/shape {info['dtype']} {info['shape']} != "
                            f"{want['dtype']} {want['shape']}")
            continue
        begin, end = info["data_offsets"]
        raw = buffer[begin:end]
        count = int(np.prod(want["shape"], dtype=np.int64))
        if len(raw) != count * ELEMENT_SIZES[want["dtype"]]:
            problems.append(f"{name}: {len(raw)} bytes for {count} elements")
            continue
        if begin % ELEMENT_SIZES[want["dtype"]] != 0:
            problems.append(f"{name}: offset {begin} not aligned to its element size")
        if "values" in want:
            got = np.frombuffer(raw, dtype=le_dtype(want["dtype"])).reshape(want["shape"])
            wanted = np.array(want["values"], dtype=le_dtype(want["dtype"])).reshape(want["shape"])
            # Byte comparison: exact, and tells -0.0 from 0.0.
            if got.tobytes() != wanted.tobytes():
                problems.append(f"{name}: values {got.ravel().tolist()} != {wanted.ravel().tolist()}")
        if "hex" in want and raw.hex() != want["hex"]:
            problems.append(f"{name}: bytes {raw.hex()} != {want['hex']}")
    return problems


def write(path, expected_path):
    tensors = {  # insertion order on purpose: not sorted, not grouped by dtype
        "policy.weight": (np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7)
                          - np.float32(0.5)),
        "scalar": np.array(-2.5, dtype=np.float64),
        "counts": np.array([-(2**63), 2**63 - 1, 0, -1], dtype=np.int64),
        "bytes": np.array([0, 255, 17], dtype=np.uint8),
        "empty": np.zeros((0, 2), dtype=np.float32),
        "half": np.array([1.5, -2.0, 65504.0], dtype=np.float16),
        "flags": np.array([[True, False], [False, True]]),
        "big": np.array([2**64 - 1, 3], dtype=np.uint64),
        "small": np.array([-32768, 5], dtype=np.int16),
        "i32": np.array([[-(2**31)], [2**31 - 1]], dtype=np.int32),
    }
    metadata = {"writer": "python stdlib", "note": "\u00fcnic\u00f6de \u2713"}

    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    names = {np.float32: "F32", np.float64: "F64", np.int64: "I64", np.uint8: "U8",
             np.float16: "F16", np.bool_: "BOOL", np.uint64: "U64", np.int16: "I16",
             np.int32: "I32"}
    expected = {"metadata": metadata, "tensors": {}}
    for name, array in tensors.items():
        dtype = names[array.dtype.type]
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
        entry = {"dtype": dtype, "shape": list(array.shape), "hex": raw.hex()}
        if dtype != "F16":
            entry["values"] = [v for v in array.ravel().tolist()]
        expected["tensors"][name] = entry
    # json.dumps escapes non-ASCII (\u00fc), unlike cairn's writer; no padding either.
    text = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)
    with open(expected_path, "w", encoding="utf-8") as f:
        json.dump(expected, f)
    return []


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("check", "write"):
        print(__doc__)
        return 2
    mode, path, expected_path = sys.argv[1:]
    problems = check(path, expected_path) if mode == "check" else write(path, expected_path)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
