#!/usr/bin/env python3
"""Writes the seed corpus for safetensors_fuzz into fuzz/corpus/safetensors/.

Standard library only. Seeds are small valid files (every dtype, scalars,
zero-size tensors, metadata, unsorted offsets) plus near-misses (overlap, gap,
duplicate key, bad dtype, trailing bytes) so the fuzzer starts next to every
validation branch. Re-run after changing it: python3 fuzz/make_safetensors_corpus.py
"""
import json
import os
import struct

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
         "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def pack(header_text, data=b"", length=None):
    raw = header_text.encode("utf-8")
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def valid(tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape); data is a counting pattern."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        n = count * SIZES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + n]}
        data += bytes((len(data) + i) % 251 for i in range(n))
    text = json.dumps(header, separators=(",", ":"))
    if pad:
        text += " " * (-len(text) % 8)
    return pack(text, data)


SEEDS = {
    "empty": valid([]),
    "metadata_only": valid([], {"framework": "pt", "format": "cairn"}),
    "one_f32": valid([("w", "F32", [2, 3])]),
    "scalar_and_zero_size": valid([("s", "F64", []), ("z", "I64", [3, 0]), ("e", "U8", [0])]),
    "every_dtype": valid([(f"t_{d.lower()}", d, [2]) for d in SIZES], {"k": "v"}),
    "unpadded_unicode": valid([("caf\u00e9", "U8", [3])], {"n\u00f6te": "\u2713"}, pad=False),
    "unsorted_offsets": pack(
        '{"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]},'
        '"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}', bytes(range(5))),
    "overlap": pack(
        '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},'
        '"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}', bytes(6)),
    "gap": pack('{"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', bytes(3)),
    "duplicate": pack(
        '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
        '"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', bytes(2)),
    "bad_dtype": pack('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', bytes(16)),
    "overflow_shape": pack(
        '{"t":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}', bytes(16)),
    "trailing_bytes": valid([("w", "I32", [2, 2])]) + b"extra",
    "length_past_end": pack('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0",
                            length=1000),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "safetensors")
    os.makedirs(out, exist_ok=True)
    for name, content in SEEDS.items():
        with open(os.path.join(out, name + ".safetensors"), "wb") as f:
            f.write(content)
    print(f"wrote {len(SEEDS)} seeds to {out}")


if __name__ == "__main__":
    main()
