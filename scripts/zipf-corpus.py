#!/usr/bin/python3
"""zipf-corpus.py OUT.txt VOCAB TOKENS [--s 1.07] [--seed 1] - a synthetic word corpus.

Writes one line that holds every one of VOCAB - 1 word types once, then TOKENS words
(lines of 20) drawn from a Zipf law over them, w0 the most likely (weight 1/(k+1)^s), so
that `engram prepare --tokenizer word` finds exactly VOCAB types in the train split (the
first 90% of the file): the VOCAB - 1 words and <eos>.  The law and its exponent are those of the PyTorch peer's --zipf (natural text is
close to s = 1).  For measuring what a vocabulary of WikiText-103's 267,735 or One
Billion Word's 793,471 types costs, without their text:

    /usr/bin/python3 scripts/zipf-corpus.py runs/zipf268k.txt 267735 20000000
    build/engram prepare --tokenizer word -o runs/zipf268k.h5 runs/zipf268k.txt

Needs Debian's python3-numpy (it comes with python3-torch).
"""
import argparse
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("vocab", type=int, help="types engram prepare will find, <eos> included")
    p.add_argument("tokens", type=int, help="words to draw")
    p.add_argument("--s", type=float, default=1.07, help="Zipf exponent (default 1.07)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.vocab < 3 or a.tokens < 1 or not a.s > 0:
        sys.exit("zipf-corpus: VOCAB must be >= 3, TOKENS >= 1 and --s > 0")
    types = a.vocab - 1
    w = np.arange(1, types + 1, dtype=np.float64) ** -a.s
    cdf = np.cumsum(w / w.sum())
    rng = np.random.default_rng(a.seed)
    names = np.array([f"w{k}" for k in range(types)])
    per_line, chunk = 20, 1 << 20
    with open(a.out, "w") as f:
        f.write(" ".join(names[rng.permutation(types)]))
        f.write("\n")
        left = a.tokens
        while left > 0:
            n = min(chunk, left) // per_line * per_line or left
            ids = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), types - 1)
            lines = names[ids].reshape(-1, per_line) if n % per_line == 0 else names[ids][None, :]
            f.write("\n".join(" ".join(line) for line in lines))
            f.write("\n")
            left -= n
    print(f"wrote {a.out}: {a.tokens + types} words, {a.vocab} types with <eos>, Zipf s = {a.s}")


if __name__ == "__main__":
    main()
