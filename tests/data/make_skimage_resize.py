#!/usr/bin/env python3
"""Writes tests/data/skimage_resize.csv: the reference for [data] resize_method = "skimage".

The original code resized MNIST with skimage.transform.resize(x, (N, h, w, 1)) and its defaults. This script
applies the same call to the first 4 digits of data/mnist5k at three output sizes (down-sampling both axes, and
down one axis while up the other) with preserve_range=True (the default divides uint8 by 255, checked here) and
writes one row per image: h, w, index, then the h*w pixels in row-major order. Needs scikit-image (made with
0.24.0):  python3 -m pip install scikit-image==0.24.0 && python3 tests/data/make_skimage_resize.py
"""
import os

import numpy as np
import skimage
from skimage.transform import resize

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "data/mnist5k/train-images-idx3-ubyte"), "rb") as f:
    x = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:4]

rows = []
for h, w in ((10, 10), (5, 5), (7, 40)):
    out = resize(x, (len(x), h, w, 1), preserve_range=True)[..., 0]
    scaled = resize(x, (len(x), h, w, 1))[..., 0]
    assert np.allclose(out / 255.0, scaled, rtol=0, atol=1e-15)
    for i, img in enumerate(out):
        rows.append(f"{h},{w},{i}," + ",".join(repr(float(v)) for v in img.reshape(-1)))
with open(os.path.join(ROOT, "tests/data/skimage_resize.csv"), "w") as f:
    f.write(f"# skimage.transform.resize, scikit-image {skimage.__version__}, preserve_range=True\n")
    f.write("\n".join(rows) + "\n")
