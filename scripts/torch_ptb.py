#!/usr/bin/python3
"""torch_ptb.py - Zaremba et al. 2014 "small" on Penn Treebank in PyTorch: the peer
that scripts/time-to-ppl.sh races engram against.

The recipe is engram's --preset zaremba-small, step for step:
  nn.Embedding(V, 200) -> nn.LSTM(200, 200, 2 layers) -> nn.Linear(200, V) -> cross-entropy;
  every parameter uniform in [-0.1, 0.1], with one bias per LSTM gate as engram has
  (nn.LSTM's second bias, bias_hh, held at 0 and not trained; --bias two trains both, as
  Zaremba's Lua code does with a bias in each of its i2h and h2h linear maps);
  loss = cross-entropy summed over the T steps of a window and averaged over the batch
  (the per-token mean x T, engram's --loss-avg sequences); plain SGD, lr 1; the
  gradient's global L2 norm clipped to 5 (clip_grad_norm_); lr x 0.5 per epoch after
  epoch 4; no dropout; global batch 20, bptt 20, 13 epochs.
Data: the SAME engram data set (HDF5 datasets train/valid/test of token ids, attribute
vocab_size; io/FORMATS.md), laid out as engram lays it out: a split of n tokens is cut
into S = global batch contiguous streams of L = floor(n/S) tokens, window w of a stream
holds tokens w*T .. w*T+T (T inputs, targets shifted by one), floor((L-1)/T) windows per
epoch, the tail dropped.  The LSTM state is carried from window to window (detached: no
gradient crosses a window edge) and reset to zero at each epoch and each evaluation.
Validation after each epoch uses the training layout (batch 20 streams, bptt 20), as
engram does; the loss is in nats per token, the perplexity its exp.

--world-size 2: torch.distributed DDP over gloo, 2 processes (torch.multiprocessing spawn,
file:// rendezvous).  Rank r holds global streams r*B/2 .. r*B/2+B/2-1 (B = --batch, the
global batch, as engram's rank r holds streams r*b .. r*b+b-1 with b = B/P).  Each rank's
loss is its own streams' per-token mean x T; DDP averages the gradients over ranks, which
is the gradient of the global batch's loss, so 1 and 2 processes do the same update
(up to float rounding).  Validation is split the same way, the sums all-reduced.

Threads: --threads sets torch.set_num_threads AND (before torch is imported)
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS per process, because Debian's torch does its
fp32 GEMMs in OpenBLAS, whose pool torch.set_num_threads() does not control.

--target-ppl X: stop as soon as a validation perplexity is <= X and report the wall time
(seconds from this process's start, imports, data loading and process spawning
included) and the epoch.  --json: print one JSON object with the results as the last
line of stdout.  --metrics FILE: also write engram-style metrics.jsonl lines (plotted
by scripts/plot-metrics.py).

Needs Debian's python3-torch and python3-h5py:  apt-get install python3-torch python3-h5py
Run with Debian's interpreter:  /usr/bin/python3 scripts/torch_ptb.py --data runs/ptb.h5
"""
import time

T_START = time.time()  # the wall clock origin: before torch is imported

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def parse(argv=None):
    p = argparse.ArgumentParser(description="Zaremba et al. 2014 \"small\" on Penn Treebank in PyTorch, "
                                "laid out and computed as engram's --preset zaremba-small "
                                "(the docstring at the top of this file has the details).",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Defaults are the zaremba-small recipe.")
    p.add_argument("--data", required=True, help="engram token data set (HDF5)")
    p.add_argument("--epochs", type=int, default=13)
    p.add_argument("--steps", type=int, default=0,
                   help="stop after N optimizer steps in total (0 = all epochs); a validation follows")
    p.add_argument("--threads", type=int, default=1, help="threads per process")
    p.add_argument("--world-size", type=int, default=1, help="processes (DDP over gloo when > 1)")
    p.add_argument("--target-ppl", type=float, default=None,
                   help="stop when a validation perplexity is <= this, report the time")
    p.add_argument("--json", action="store_true", help="print one JSON object with the results last")
    p.add_argument("--metrics", default=None, help="write engram-style metrics.jsonl lines here")
    p.add_argument("--batch", type=int, default=20, help="global batch (streams over all processes)")
    p.add_argument("--bptt", type=int, default=20)
    p.add_argument("--embed", type=int, default=200)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--init-scale", type=float, default=0.1)
    p.add_argument("--bias", choices=["one", "two"], default="one",
                   help="one: one bias per gate, as engram (nn.LSTM's bias_hh held at 0); "
                        "two: nn.LSTM's bias_ih and bias_hh both trained (Zaremba's Lua code)")
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--decay-after", type=int, default=4, help="last epoch at the full lr")
    p.add_argument("--lr-decay", type=float, default=0.5, help="lr multiplier per epoch after that")
    p.add_argument("--loss-avg", choices=["sequences", "tokens"], default="sequences",
                   help="sequences: per-token mean x T (Zaremba); tokens: per-token mean")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log-every", type=int, default=200, help="log a line every N steps")
    p.add_argument("--no-test", action="store_true", help="skip the test split at the end")
    p.add_argument("--show-layout", action="store_true",
                   help="print each rank's stream layout and first window's first ids, then go on")
    a = p.parse_args(argv)
    if a.world_size < 1 or a.batch % a.world_size:
        p.error("--batch (the global batch) must be a multiple of --world-size")
    return a


if __name__ in ("__main__", "__mp_main__"):
    ARGS = parse()
    os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))

try:
    import numpy as np  # noqa: E402
    import h5py  # noqa: E402
    import torch  # noqa: E402
    import torch.nn as nn  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ImportError as exc:
    sys.exit(f"torch_ptb.py: cannot import {exc.name}: {exc}\n"
             "  install Debian's packages:  apt-get install python3-torch python3-h5py\n"
             "  and run with Debian's interpreter:  /usr/bin/python3 scripts/torch_ptb.py ...")


def load_split(path, split):
    """The split's token ids (int64) and the data set's vocab_size."""
    with h5py.File(path, "r") as f:
        if split not in f:
            raise SystemExit(f"torch_ptb.py: {path} has no dataset '{split}'")
        return f[split][:].astype(np.int64), int(f.attrs["vocab_size"])


def shard(ids, streams, rank, local_b, bptt):
    """engram's layout (io/ds.c): `streams` contiguous streams of L = n // streams tokens;
    this rank's local_b streams, global streams rank*local_b ..; as a (L, local_b)
    tensor (time first, nn.LSTM's default), and the windows per epoch."""
    n = len(ids)
    L = n // streams
    windows = (L - 1) // bptt
    if windows < 1:
        raise SystemExit(f"torch_ptb.py: {n} tokens are too few for {streams} streams of one "
                         f"window of {bptt} steps")
    g0 = rank * local_b
    block = ids[g0 * L:(g0 + local_b) * L].reshape(local_b, L)  # row b = global stream g0+b
    return torch.from_numpy(np.ascontiguousarray(block.T)), L, windows


def window(data, w, bptt):
    x = data[w * bptt:w * bptt + bptt]
    y = data[w * bptt + 1:w * bptt + bptt + 1]
    return x, y


class LM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers, dropout, init_scale, bias="one"):
        super().__init__()
        self.vocab, self.hidden, self.layers = vocab, hidden, layers
        self.emb = nn.Embedding(vocab, embed)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embed, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden, vocab)
        for p in self.parameters():
            nn.init.uniform_(p, -init_scale, init_scale)
        if bias == "one":  # engram's LSTM has one bias per gate: nn.LSTM's second one stays 0
            for n, p in self.lstm.named_parameters():
                if n.startswith("bias_hh"):
                    nn.init.zeros_(p)
                    p.requires_grad_(False)

    def forward(self, x, state):
        h, state = self.lstm(self.drop(self.emb(x)), state)
        return self.out(self.drop(h)), state

    def zero_state(self, batch):
        z = torch.zeros(self.layers, batch, self.hidden)
        return (z, z.clone())


def lr_at(args, epoch):
    return args.lr * args.lr_decay ** max(0, epoch - args.decay_after)


def evaluate(model, data, windows, bptt, dist):
    """Summed cross-entropy over this rank's streams, all-reduced: (nats/token, tokens)."""
    model.eval()
    state = model.zero_state(data.shape[1])
    total = 0.0
    with torch.no_grad():
        for w in range(windows):
            x, y = window(data, w, bptt)
            logits, state = model(x, state)
            total += F.cross_entropy(logits.view(-1, model.vocab), y.reshape(-1),
                                     reduction="sum").item()
    t = torch.tensor([total, float(windows * bptt * data.shape[1])], dtype=torch.float64)
    if dist is not None:
        dist.all_reduce(t)
    model.train()
    return t[0].item() / t[1].item(), int(t[1].item())


def run(rank, args, init_file, t_start):
    ws = args.world_size
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dist = None
    if ws > 1:
        import torch.distributed as dist
        dist.init_process_group("gloo", init_method="file://" + init_file, rank=rank,
                                world_size=ws)
    main = rank == 0
    B, T = args.batch, args.bptt
    b = B // ws
    tr_ids, V = load_split(args.data, "train")
    va_ids, _ = load_split(args.data, "valid")
    train, L, windows = shard(tr_ids, B, rank, b, T)
    valid, Lv, vwindows = shard(va_ids, B, rank, b, T)
    if args.show_layout:
        for r in range(ws):
            if r == rank:
                print(f"layout rank {rank}: train {len(tr_ids)} tokens, {B} streams of L={L}, "
                      f"{windows} windows of {T}; streams {rank * b}..{rank * b + b - 1}; "
                      f"valid L={Lv}, {vwindows} windows", flush=True)
                for s in range(min(b, 2)):
                    print(f"  rank {rank} local stream {s} (global {rank * b + s}) window 0 "
                          f"first ids: {train[:8, s].tolist()}", flush=True)
            if dist is not None:
                dist.barrier()

    model = LM(V, args.embed, args.hidden, args.layers, args.dropout, args.init_scale, args.bias)
    fwd = model
    if ws > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP
        fwd = DDP(model)  # broadcasts rank 0's parameters: every replica starts equal
    params = [p for p in model.parameters() if p.requires_grad]
    scale = float(T) if args.loss_avg == "sequences" else 1.0

    mf = open(args.metrics, "a") if (main and args.metrics) else None

    def emit(obj):
        if mf:
            mf.write(json.dumps(obj) + "\n")
            mf.flush()

    if main:
        nparams = sum(p.numel() for p in params)
        print(f"torch {torch.__version__}: {args.layers} x LSTM({args.hidden}), embed {args.embed}, "
              f"vocab {V}, {nparams / 1e6:.2f}M params; {ws} process(es) x {args.threads} thread(s); "
              f"global batch {B} ({b} per process), bptt {T}, {windows} steps per epoch; "
              f"loss avg {args.loss_avg}", flush=True)

    t_train = time.time()
    step = 0
    valid_log = []
    hit = None
    test = None
    stop = False
    last_val = None
    for epoch in range(1, args.epochs + 1):
        lr = lr_at(args, epoch)
        state = model.zero_state(b)
        lw_loss = 0.0
        lw_steps = 0
        t_log = time.time()
        gnorm = 0.0
        mid = False
        for w in range(windows):
            x, y = window(train, w, T)
            state = tuple(s.detach() for s in state)
            logits, state = fwd(x, state)
            loss = F.cross_entropy(logits.view(-1, V), y.reshape(-1))  # per-token mean
            for p in params:
                p.grad = None
            (loss * scale).backward()  # DDP: gradients averaged over ranks here
            if args.clip > 0:
                gnorm = float(torch.nn.utils.clip_grad_norm_(params, args.clip))
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-lr)
            step += 1
            lw_loss += loss.item()
            lw_steps += 1
            last = w == windows - 1
            done = args.steps and step >= args.steps
            if step % args.log_every == 0 or last or done:
                t = torch.tensor([lw_loss, float(lw_steps)], dtype=torch.float64)
                if dist is not None:
                    dist.all_reduce(t)
                now = time.time()
                ml = t[0].item() / t[1].item()
                tps = lw_steps * B * T / max(now - t_log, 1e-9)
                if main:
                    print(f"step {step} | epoch {epoch} {100.0 * (w + 1) / windows:5.1f}% | "
                          f"loss {ml:.4f} | ppl {math.exp(ml):.2f} | lr {lr:.4g} | gnorm {gnorm:.3f} | "
                          f"{tps:.0f} tok/s | {now - t_start:.0f} s", flush=True)
                    emit({"step": step, "epoch": epoch, "epoch_frac": round((w + 1) / windows, 4),
                          "loss": round(ml, 6), "ppl": round(math.exp(ml), 4), "lr": lr,
                          "grad_norm": round(gnorm, 6), "tok_per_s": round(tps, 1),
                          "wall_s": round(now - t_start, 3), "tokens": step * B * T})
                lw_loss, lw_steps, t_log = 0.0, 0, time.time()
            if done:
                mid = not last
                stop = True
                break
        vloss, vtok = evaluate(model, valid, vwindows, T, dist)
        now = time.time()
        last_val = dict(epoch=epoch, step=step, loss=vloss, ppl=math.exp(vloss),
                        wall_s=now - t_start, train_s=now - t_train)
        valid_log.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in last_val.items()})
        if main:
            print(f"valid | epoch {epoch} step {step} | loss {vloss:.4f} | ppl {math.exp(vloss):.2f} | "
                  f"{vtok} tokens | {now - t_start:.1f} s", flush=True)
            emit({"split": "valid", "step": step, "epoch": epoch, "loss": round(vloss, 6),
                  "ppl": round(math.exp(vloss), 4), "tokens": vtok, "wall_s": round(now - t_start, 3),
                  "mid_epoch": mid})
        if args.target_ppl is not None and math.exp(vloss) <= args.target_ppl and not mid:
            hit = dict(last_val)
            if main:
                print(f"target: validation ppl {math.exp(vloss):.2f} <= {args.target_ppl:g} after "
                      f"epoch {epoch} (step {step}): {hit['wall_s']:.1f} s from start, "
                      f"{hit['train_s']:.1f} s of training", flush=True)
            break
        if stop:
            break

    if not args.no_test and hit is None:
        te_ids, _ = load_split(args.data, "test")
        test_data, _, twindows = shard(te_ids, B, rank, b, T)
        tloss, ttok = evaluate(model, test_data, twindows, T, dist)
        test = dict(loss=round(tloss, 6), ppl=round(math.exp(tloss), 4), tokens=ttok)
        if main:
            print(f"test | loss {tloss:.4f} | ppl {math.exp(tloss):.2f} | {ttok} tokens "
                  f"(training layout)", flush=True)
            emit({"split": "test", "step": step, "epoch": last_val["epoch"], "loss": round(tloss, 6),
                  "ppl": round(math.exp(tloss), 4), "tokens": ttok})
    if mf:
        mf.close()
    if main:
        res = dict(system="pytorch", torch=torch.__version__, world_size=ws, threads=args.threads,
                   batch=B, bptt=T, steps=step, steps_per_epoch=windows,
                   target_ppl=args.target_ppl, reached=hit is not None,
                   epoch_at_target=hit["epoch"] if hit else None,
                   step_at_target=hit["step"] if hit else None,
                   wall_s_at_target=round(hit["wall_s"], 3) if hit else None,
                   train_s_at_target=round(hit["train_s"], 3) if hit else None,
                   final_valid_ppl=round(last_val["ppl"], 4) if last_val else None,
                   test=test, valid=valid_log, wall_s=round(time.time() - t_start, 3),
                   omp=os.environ.get("OMP_NUM_THREADS"),
                   openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"))
        if args.target_ppl is not None and hit is None:
            print(f"target: validation ppl {args.target_ppl:g} not reached in {last_val['epoch']} "
                  f"epoch(s) (last {last_val['ppl']:.2f})", flush=True)
        if args.json:
            print(json.dumps(res), flush=True)
    if dist is not None:
        dist.destroy_process_group()


def main():
    args = ARGS
    if args.world_size == 1:
        run(0, args, None, T_START)
        return
    import tempfile
    import torch.multiprocessing as mp
    fd, init_file = tempfile.mkstemp(prefix="torch_ptb_ddp_")
    os.close(fd)
    os.unlink(init_file)  # file:// rendezvous wants a fresh file
    try:
        mp.spawn(run, args=(args, init_file, T_START), nprocs=args.world_size, join=True)
    finally:
        if os.path.exists(init_file):
            os.unlink(init_file)


if __name__ == "__main__":
    main()
