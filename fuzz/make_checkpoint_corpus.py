#!/usr/bin/python3
"""Packs policy folders into seed inputs for checkpoint_fuzz (see its layout comment).

Usage: fuzz/make_checkpoint_corpus.py OUT_DIR POLICY_FOLDER...
"""
import os
import struct
import sys


def pack(folder):
    parts = [open(os.path.join(folder, n), "rb").read()
             for n in ("cairn_policy.json", "weights.safetensors", "example.safetensors")]
    return (struct.pack("<I", len(parts[0])) + parts[0] + struct.pack("<I", len(parts[1])) +
            parts[1] + parts[2])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, folder in enumerate(sys.argv[2:]):
        with open(os.path.join(out, "policy_%d.bin" % i), "wb") as f:
            f.write(pack(folder))


if __name__ == "__main__":
    main()
