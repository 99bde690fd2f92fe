#!/usr/bin/python3
"""Packs run folders into seed inputs for run_folder_fuzz (see its layout comment).

Usage: fuzz/make_run_folder_corpus.py OUT_DIR RUN_FOLDER...
"""
import os
import struct
import sys


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def pack(run):
    latest = read(os.path.join(run, "latest"))
    checkpoint = latest.decode("utf-8", "replace").strip()
    manifest = read(os.path.join(run, checkpoint, "cairn_checkpoint.json"))
    csv = read(os.path.join(run, "metrics.csv"))
    jsonl = read(os.path.join(run, "metrics.jsonl"))
    out = b""
    for part in (latest, manifest, csv):
        out += struct.pack("<I", len(part)) + part
    return out + jsonl


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, run in enumerate(sys.argv[2:]):
        with open(os.path.join(out, "run_%d.bin" % i), "wb") as f:
            f.write(pack(run))


if __name__ == "__main__":
    main()
