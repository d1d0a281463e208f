#!/usr/bin/python3
"""make-adaptive-fixture.py OUT.h5 - the PyTorch oracle for engram's adaptive softmax.

Writes, for a few small torch.nn.AdaptiveLogSoftmaxWithLoss layers, their weights, an
input batch and its targets, and what PyTorch computes from them: the per-row log
probability of the target (`output`), the mean loss, the full log_prob() matrix, and
the gradient of the loss with respect to every weight and to the input.  The
weights and inputs are drawn in float32 and the module runs in float64 on them, so
the fixture is PyTorch's answer (stored in float32, the loss in float64) for values
engram holds exactly.
tests/test_adaptive_torch.c loads it into engram's layer and compares.

Run once with Debian's interpreter (apt-get install python3-torch python3-h5py):
    /usr/bin/python3 scripts/make-adaptive-fixture.py tests/data/adaptive_torch.h5
Group /case<k> per layer: attributes in_features, n_classes, cutoffs, div_value,
head_bias; datasets head.weight, head.bias (if any), tail.<i>.0.weight,
tail.<i>.1.weight (i from 0, as in PyTorch's tail[i]), input, target, output, loss,
log_prob, grad/<name> for each of those weights and grad/input.
"""
import sys

import numpy as np
import torch

from torch_fixture import put, write


# (H, V, cutoffs, div_value, head_bias, rows, skip): skip = a tail cluster
# (0-based) that no target falls in, or None.
CASES = [
    (8, 30, [5, 12, 20], 2.0, False, 24, None),
    (8, 30, [5, 12, 20], 2.0, True, 20, 1),
    (12, 50, [10], 4.0, True, 16, None),
    (9, 40, [6, 25], 2.5, False, 18, None),
    # 11 // 1.1 is 9.0 in Python, where floor(11 / 1.1) is 10
    (11, 30, [8, 16], 1.1, True, 12, None),
]



def make_case(g, seed, H, V, cutoffs, div, head_bias, rows, skip):
    rng = np.random.default_rng(seed)
    m = torch.nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs, div_value=div, head_bias=head_bias)
    m = m.double()
    named = {"head.weight": m.head.weight}
    if head_bias:
        named["head.bias"] = m.head.bias
    for i, seq in enumerate(m.tail):
        named[f"tail.{i}.0.weight"] = seq[0].weight
        named[f"tail.{i}.1.weight"] = seq[1].weight
    with torch.no_grad():
        for p in named.values():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, p.shape).astype(np.float32)))
    bounds = [0] + cutoffs + [V]
    target = []
    for r in range(rows):
        c = r % (len(bounds) - 1)  # every cluster in turn, the short list included
        if skip is not None and c == skip + 1:
            c = 0
        target.append(int(rng.integers(bounds[c], bounds[c + 1])))
    x = torch.from_numpy(rng.uniform(-1.0, 1.0, (rows, H)).astype(np.float32)).double()
    x.requires_grad_(True)
    y = torch.tensor(target, dtype=torch.long)
    out = m(x, y)
    out.loss.backward()
    with torch.no_grad():
        logp = m.log_prob(x)

    g.attrs["in_features"] = H
    g.attrs["n_classes"] = V
    g.attrs["cutoffs"] = np.array(cutoffs, dtype=np.int64)
    g.attrs["div_value"] = float(div)
    g.attrs["head_bias"] = int(head_bias)
    for name, p in named.items():
        put(g, name, p.detach().numpy())
        # a cluster no target fell in got no gradient: it is zero
        grad = p.grad.numpy() if p.grad is not None else np.zeros(p.shape)
        put(g, "grad/" + name, grad)
    put(g, "input", x.detach().numpy())
    put(g, "grad/input", x.grad.numpy())
    g.create_dataset("target", data=np.array(target, dtype=np.int32))
    put(g, "output", out.output.detach().numpy())
    g.create_dataset("loss", data=np.array([out.loss.item()]))
    put(g, "log_prob", logp.numpy())


if __name__ == "__main__":
    write(sys.argv, __doc__, CASES, make_case, 1000)
