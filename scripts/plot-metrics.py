#!/usr/bin/python3
"""plot-metrics.py RUN_DIR... -o OUT.png - training and validation curves of engram runs.

Reads each RUN_DIR/metrics.jsonl (engram train, or scripts/torch_ptb.py --metrics) and
draws two panels, one curve per run:
  left:  training perplexity (or loss, --train loss) against epoch (or step, --x step),
         from the log lines (each the mean over the steps since the previous line);
  right: validation perplexity against epoch, one marker per evaluation.
Perplexity axes are logarithmic when they span more than a factor of 4.  A run's label is its directory name (or --labels),
with its final test perplexity when RUN_DIR/test-batch1.json exists (one stream, batch 1).
A RUN_DIR may also be a metrics.jsonl file.  Lines that are events (rollback, skip)
are ignored.

  /usr/bin/python3 scripts/plot-metrics.py runs/ptb-small-np1 runs/ptb-small-np2 \\
      --hline 120.7:"paper valid" -o ptb-small.png

Needs Debian's python3-matplotlib (apt-get install python3-matplotlib).
"""
import argparse
import json
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as exc:
    sys.exit(f"plot-metrics.py: cannot import matplotlib ({exc}); install Debian's package: "
             "apt-get install python3-matplotlib, and run with /usr/bin/python3")


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (or metrics.jsonl files)")
    p.add_argument("-o", "--output", required=True, help="image to write (.png, .svg, .pdf)")
    p.add_argument("--x", choices=["epoch", "step"], default="epoch",
                   help="x axis of the training panel (default epoch)")
    p.add_argument("--train", choices=["ppl", "loss"], default="ppl",
                   help="both panels: perplexity or loss in nats/token (default ppl)")
    p.add_argument("--labels", default=None, help="comma-separated labels, one per run")
    p.add_argument("--title", default=None)
    p.add_argument("--hline", action="append", default=[], metavar="Y[:LABEL]",
                   help="a dashed reference line on the validation panel (repeatable)")
    p.add_argument("--ymax", type=float, default=None,
                   help="top of the perplexity axes (default: from the data, early steps cut)")
    p.add_argument("--dpi", type=int, default=120)
    return p.parse_args()


def read_run(path):
    f = path if os.path.isfile(path) else os.path.join(path, "metrics.jsonl")
    train, valid, test = [], [], []
    with open(f) as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                o = json.loads(line)
            except ValueError:
                print(f"plot-metrics.py: {f}:{n}: not JSON, skipped", file=sys.stderr)
                continue
            if "event" in o or "loss" not in o:
                continue
            if "split" in o:
                (valid if o["split"] == "valid" else test if o["split"] == "test" else []).append(o)
            else:
                train.append(o)
    # x of a log line: epochs done (epoch counts from 1, epoch_frac is the part of it done)
    for o in train:
        o["x_epoch"] = o["epoch"] - 1 + o.get("epoch_frac", 1.0)
    at = {o["step"]: o["x_epoch"] for o in train}
    # a validation after a whole epoch sits at that epoch; one cut mid-epoch (--steps)
    # at the log line of its step
    for o in valid + test:
        o["x_epoch"] = at.get(o["step"], float(o["epoch"]))
    t1 = None
    if os.path.isdir(path):
        tb = os.path.join(path, "test-batch1.json")
        if os.path.exists(tb):
            try:
                with open(tb) as fh:
                    t1 = json.loads(fh.read().strip().splitlines()[-1])
            except (ValueError, KeyError, IndexError):
                pass
    return train, valid, t1


def main():
    a = parse()
    labels = a.labels.split(",") if a.labels else []
    if labels and len(labels) != len(a.runs):
        sys.exit("plot-metrics.py: --labels needs one label per run")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    lim = {ax1: [], ax2: []}  # (top candidate, bottom candidate) per curve

    def limits(ax, ys):
        # the first tenth of a long curve (the untrained start) does not set the top
        lim[ax].append((max(ys[len(ys) // 10:] if len(ys) >= 10 else ys), min(ys)))

    for i, run in enumerate(a.runs):
        try:
            train, valid, t1 = read_run(run)
        except OSError as exc:
            sys.exit(f"plot-metrics.py: {exc}")
        name = labels[i] if labels else os.path.basename(os.path.normpath(run))
        if name == "metrics.jsonl":
            name = os.path.basename(os.path.dirname(os.path.abspath(run)))
        if t1 is not None and a.train in t1:
            name += f" (test {t1[a.train]:{'.1f' if a.train == 'ppl' else '.3f'}})"
        c = colors[i % len(colors)]
        if train:
            xs = [o["x_epoch"] if a.x == "epoch" else o["step"] for o in train]
            ys = [o["ppl"] if a.train == "ppl" else o["loss"] for o in train]
            ax1.plot(xs, ys, color=c, lw=1.2, label=name, marker="o" if len(xs) < 20 else None, ms=3)
            limits(ax1, ys)
        if valid:
            xs = [o["x_epoch"] for o in valid]
            ys = [o[a.train] for o in valid]
            fmt = ".1f" if a.train == "ppl" else ".4f"
            ax2.plot(xs, ys, color=c, marker="o", ms=4, lw=1.2,
                     label=f"{name}: last {ys[-1]:{fmt}}, best {min(ys):{fmt}}")
            limits(ax2, ys)
    for k, h in enumerate(a.hline):
        y, _, lab = h.partition(":")
        try:
            y = float(y)
        except ValueError:
            sys.exit(f"plot-metrics.py: --hline wants Y[:LABEL] (got {h!r})")
        ax2.axhline(y, color="0.4", ls=("--", ":", "-.")[k % 3], lw=1, label=lab or f"{y:g}")
        lim[ax2].append((y, y))
    ppl_axes = [ax1, ax2] if a.train == "ppl" else []
    for ax in (ax1, ax2):
        if not lim[ax]:
            continue
        top = max(t for t, _ in lim[ax])
        bottom = min(b for _, b in lim[ax])
        if ax in ppl_axes and (a.ymax or top) / bottom > 4:
            ax.set_yscale("log")
            ax.set_ylim(bottom / 1.1, (a.ymax or top * 1.1))
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
                lambda v, _: f"{v:g}" if f"{v:g}"[0] in "2358" else ""))
        elif ax in ppl_axes:  # a narrow range: linear reads better
            pad = 0.05 * (top - bottom or top)
            ax.set_ylim(bottom - pad, (a.ymax or top + pad))
        else:
            pad = 0.05 * (top - bottom or 1.0)
            ax.set_ylim(bottom - pad, top + pad)
    ax1.set_xlabel("epoch" if a.x == "epoch" else "optimizer step")
    ax1.set_ylabel("training perplexity" if a.train == "ppl" else "training loss (nats/token)")
    ax1.set_title("training (mean over each log interval)")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("validation perplexity" if a.train == "ppl" else "validation loss (nats/token)")
    ax2.set_title("validation (training layout)")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if a.title:
        fig.suptitle(a.title)
    fig.tight_layout()
    fig.savefig(a.output, dpi=a.dpi)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
