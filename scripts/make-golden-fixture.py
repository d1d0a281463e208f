#!/usr/bin/python3
"""make-golden-fixture.py OUT.h5 - the PyTorch oracle for engram's LSTM language model.

Writes, for a few small models of torch.nn.Embedding + torch.nn.LSTM + torch.nn.Linear
(2 layers, the embedding narrower than the LSTM, untied and tied), their weights, a
batch of token streams cut into two windows, a carried state to start from, and what
PyTorch computes: the loss of each window (a sum over its tokens of -ln p(target)),
the state each window ends with, the logits of the second window, and the gradient of
the second window's loss for every weight, the state carried into it being a constant
(truncated BPTT: gradients stop at the window edge).  The weights and inputs are drawn
in float32 and the modules run in float64 on them, so the fixture is PyTorch's answer
(stored in float32, the losses in float64) for values engram holds exactly.
tests/test_golden_torch.c loads it into engram's model and compares.

Run once with Debian's interpreter (apt-get install python3-torch python3-h5py):
    /usr/bin/python3 scripts/make-golden-fixture.py tests/data/golden_torch.h5
Group /case<k> per model: attributes vocab, embed, hidden, layers, tie, T, B;
datasets (PyTorch's parameter names) embedding.weight, lstm.weight_ih_l<k>,
lstm.weight_hh_l<k>, lstm.bias_ih_l<k>, lstm.bias_hh_l<k>, linear.weight (absent when
tied: it is embedding.weight), linear.bias; tokens (B x 2T+1, int32: window w's inputs
are columns wT .. wT+T-1, its targets one column on); h0, c0 (layers x B x H);
loss1, h1, c1 after window 1; loss2, logits2 (T x B x V), h2, c2 after window 2;
grad/<name> for every parameter.
"""
import sys

import numpy as np
import torch

from torch_fixture import put, write

# (V, E, H, layers, tie, T, B).  Case 2's vocabulary is small next to its window, so
# engram runs layer 0 by its per-token table there and by the GEMM in the others.
CASES = [
    (29, 6, 8, 2, False, 5, 3),
    (23, 8, 8, 2, True, 4, 2),
    (7, 5, 8, 2, False, 8, 4),
]


class LM(torch.nn.Module):
    def __init__(self, V, E, H, layers, tie):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.lstm = torch.nn.LSTM(E, H, layers)
        self.linear = torch.nn.Linear(H, V)
        if tie:
            self.linear.weight = self.embedding.weight

    def forward(self, x, state):
        y, state = self.lstm(self.embedding(x), state)
        return self.linear(y), state



def window_loss(model, tok, w, T, state):
    x = torch.from_numpy(tok[:, w * T:w * T + T].T.copy()).long()      # T x B
    y = torch.from_numpy(tok[:, w * T + 1:w * T + T + 1].T.copy()).long()
    logits, state = model(x, state)
    V = logits.shape[-1]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1),
                                             reduction="sum")
    return loss, logits, state


def make_case(g, seed, V, E, H, layers, tie, T, B):
    rng = np.random.default_rng(seed)
    model = LM(V, E, H, layers, tie).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.4, 0.4, p.shape).astype(np.float32)))
    tok = rng.integers(0, V, (B, 2 * T + 1)).astype(np.int32)
    h0 = rng.uniform(-0.5, 0.5, (layers, B, H)).astype(np.float32)
    c0 = rng.uniform(-0.5, 0.5, (layers, B, H)).astype(np.float32)
    state = (torch.from_numpy(h0).double(), torch.from_numpy(c0).double())

    with torch.no_grad():
        loss1, _, (h1, c1) = window_loss(model, tok, 0, T, state)
    loss2, logits2, (h2, c2) = window_loss(model, tok, 1, T, (h1.detach(), c1.detach()))
    model.zero_grad()
    loss2.backward()

    for k, v in {"vocab": V, "embed": E, "hidden": H, "layers": layers,
                 "tie": int(tie), "T": T, "B": B}.items():
        g.attrs[k] = v
    for name, p in model.named_parameters():   # a tied weight is listed once
        put(g, name, p.detach().numpy())
        put(g, "grad/" + name, p.grad.numpy())
    g.create_dataset("tokens", data=tok)
    put(g, "h0", h0)
    put(g, "c0", c0)
    g.create_dataset("loss1", data=np.array([loss1.item()]))
    put(g, "h1", h1.numpy())
    put(g, "c1", c1.numpy())
    g.create_dataset("loss2", data=np.array([loss2.item()]))
    put(g, "logits2", logits2.detach().numpy())
    put(g, "h2", h2.detach().numpy())
    put(g, "c2", c2.detach().numpy())


if __name__ == "__main__":
    write(sys.argv, __doc__, CASES, make_case, 2000)
