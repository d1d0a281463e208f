#!/usr/bin/python3
"""to-torch.py CKPT OUT.pt - an engram checkpoint as a PyTorch state_dict.

CKPT is a checkpoint or weights file, or a run directory (its newest
ckpt-s*.h5).  OUT.pt holds {"state_dict", "config", "vocab", "tokenizer"}
for EngramLM, the module defined here: nn.Embedding -> nn.LSTM -> nn.Linear
(tied to the embedding when the model is), or nn.AdaptiveLogSoftmaxWithLoss
for a model trained with --softmax adaptive.  The mapping is io/FORMATS.md's
("Loading into PyTorch"), which tests/test_golden_torch.c holds engram to.

Using it (Debian's python3-torch; h5py only for the conversion):

    import importlib.util, torch
    spec = importlib.util.spec_from_file_location("to_torch", "scripts/to-torch.py")
    tt = importlib.util.module_from_spec(spec); spec.loader.exec_module(tt)
    model, saved = tt.load("model.pt")         # EngramLM, eval mode
    ids = torch.tensor([[saved["vocab"].index(w)] for w in "<eos> the cat".split()])
    logp, state = model.log_probs(ids)         # (T, B, V) log p of the next token
    nll, state = model.nll(ids[:-1], ids[1:])  # (T, B) -log p(target), state carried

ids are (T, B), time-major, as nn.LSTM takes them; state is nn.LSTM's (h, c),
carried from call to call as engram carries it from window to window.
"""
import argparse
import glob
import os
import sys

import torch
import torch.nn as nn


class EngramLM(nn.Module):
    """engram's model: embedding, stacked LSTM, full or adaptive softmax."""

    def __init__(self, vocab, embed, hidden, layers, tie=False, softmax="full",
                 cutoffs=(), div_value=4.0, head_bias=False):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers)
        self.adaptive = softmax == "adaptive"
        self.tie = tie
        if self.adaptive:
            self.out = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab, list(cutoffs),
                                                     div_value=div_value, head_bias=head_bias)
        else:
            self.out = nn.Linear(hidden, vocab)
            if tie:
                self.out.weight = self.emb.weight

    def hidden(self, ids, state=None):
        """The last layer's output (T, B, H) and the state after ids."""
        return self.lstm(self.emb(ids), state)

    def log_probs(self, ids, state=None):
        """log p of every id after each position: (T, B, V), and the state."""
        h, state = self.hidden(ids, state)
        T, B, H = h.shape
        if self.adaptive:
            lp = self.out.log_prob(h.reshape(T * B, H))
        else:
            lp = torch.log_softmax(self.out(h.reshape(T * B, H)), dim=-1)
        return lp.reshape(T, B, -1), state

    def nll(self, ids, targets, state=None):
        """-log p(targets) (T, B) after ids (T, B), and the state."""
        lp, state = self.log_probs(ids, state)
        return -lp.gather(2, targets.unsqueeze(2)).squeeze(2), state


def _s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def convert(path):
    """(state_dict, config, vocab, tokenizer) of an engram checkpoint."""
    import h5py

    if os.path.isdir(path):
        found = sorted(glob.glob(os.path.join(path, "ckpt-s*.h5")))
        if not found:
            sys.exit(f"to-torch: {path}: no ckpt-s*.h5 in the run directory")
        path = found[-1]
    with h5py.File(path, "r") as f:
        if _s(f.attrs.get("format", "")) != "engram-checkpoint":
            sys.exit(f"to-torch: {path}: not an engram checkpoint")
        c = f["config"].attrs
        cfg = {k: int(c[k]) for k in ("vocab", "embed", "hidden", "layers", "tie")}
        if int(c.get("top_hidden", 0)) not in (0, cfg["hidden"]):
            sys.exit(f"to-torch: {path}: its last layer is {int(c['top_hidden'])} wide, the others "
                     f"{cfg['hidden']}; EngramLM's single nn.LSTM has one width, so such a model "
                     "is not converted")
        cfg["softmax"] = _s(c.get("softmax", "full"))
        if cfg["softmax"] == "adaptive":
            cfg["cutoffs"] = [int(x) for x in c["cutoffs"]]
            cfg["div_value"] = float(c["div_value"])
            cfg["head_bias"] = bool(c["head_bias"])
        # NT-ASGD's average is the model the run evaluated, as engram export
        grp = f["optim/ax"] if "optim" in f and "ax" in f["optim"] else f["params"]
        p = {k: torch.from_numpy(v[()]) for k, v in grp.items()}
        vocab = None
        if "vocab" in f:
            v = f["vocab"]
            vocab = (v[()].tobytes().decode().split("\0")[:-1] if v.dtype.kind == "u"
                     else [_s(x) for x in v[()]])
        tokenizer = _s(f.attrs.get("tokenizer", c.get("tokenizer", "unknown")))
    model = EngramLM(cfg["vocab"], cfg["embed"], cfg["hidden"], cfg["layers"],
                     tie=bool(cfg["tie"]), softmax=cfg["softmax"],
                     cutoffs=cfg.get("cutoffs", ()), div_value=cfg.get("div_value", 4.0),
                     head_bias=cfg.get("head_bias", False))
    with torch.no_grad():
        model.emb.weight.copy_(p["emb"])
        for k in range(cfg["layers"]):
            getattr(model.lstm, f"weight_ih_l{k}").copy_(p[f"lstm.{k}.Wx"].T)
            getattr(model.lstm, f"weight_hh_l{k}").copy_(p[f"lstm.{k}.Wh"].T)
            getattr(model.lstm, f"bias_ih_l{k}").copy_(p[f"lstm.{k}.b"])
            getattr(model.lstm, f"bias_hh_l{k}").zero_()
        if model.adaptive:
            model.out.head.weight.copy_(p["out.head.W"])
            if model.out.head_bias:
                model.out.head.bias.copy_(p["out.head.b"])
            for i, (proj, w) in enumerate(model.out.tail, start=1):
                proj.weight.copy_(p[f"out.tail.{i}.proj"])
                w.weight.copy_(p[f"out.tail.{i}.W"])
        else:
            if not model.tie:
                model.out.weight.copy_(p["out.W"])
            model.out.bias.copy_(p["out.b"])
    return model.state_dict(), cfg, vocab, tokenizer


def load(path):
    """EngramLM in eval mode from OUT.pt, and the saved dictionary."""
    saved = torch.load(path, map_location="cpu")
    c = saved["config"]
    model = EngramLM(c["vocab"], c["embed"], c["hidden"], c["layers"], tie=bool(c["tie"]),
                     softmax=c["softmax"], cutoffs=c.get("cutoffs", ()),
                     div_value=c.get("div_value", 4.0), head_bias=c.get("head_bias", False))
    model.load_state_dict(saved["state_dict"])
    return model.eval(), saved


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt", help="checkpoint or weights file, or a run directory")
    ap.add_argument("out", help="the .pt file to write")
    a = ap.parse_args()
    sd, cfg, vocab, tok = convert(a.ckpt)
    torch.save({"state_dict": sd, "config": cfg, "vocab": vocab, "tokenizer": tok}, a.out)
    print(f"to-torch: {a.out}: {cfg['layers']} x {cfg['hidden']} LSTM, vocab {cfg['vocab']}, "
          f"{cfg['softmax']} softmax{', tied' if cfg['tie'] else ''}")


if __name__ == "__main__":
    main()
