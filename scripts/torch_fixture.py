"""torch_fixture.py - what the scripts/make-*-fixture.py oracles share: the file they
write, one group /case<k> per case with the seed base + k, and the float32 storage."""
import sys

import h5py
import numpy as np
import torch


def put(g, name, a):
    """float32: PyTorch's float64 answers to within 6e-8, far inside the tests' 1e-5."""
    g.create_dataset(name, data=np.asarray(a, dtype=np.float32))


def write(argv, doc, cases, make_case, seed_base):
    """Writes argv[1] from make_case(group, seed, *case) for every case."""
    if len(argv) != 2:
        sys.exit(doc)
    with h5py.File(argv[1], "w", libver="latest") as f:
        f.attrs["torch"] = str(torch.__version__).encode()
        f.attrs["cases"] = len(cases)
        for k, case in enumerate(cases):
            make_case(f.create_group(f"case{k}"), seed_base + k, *case)
    print(f"wrote {argv[1]}: {len(cases)} cases, torch {torch.__version__}")
