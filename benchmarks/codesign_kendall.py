"""Kendall τ between supernet (inherited weights + brief fine-tune) and standalone
accuracies of random transformers of the co-design space (issue 18).

    python benchmarks/codesign_kendall.py run OUT.csv [--n 20] [--part P --parts K]
        [--task sentiment|digits] [--supernet-epochs E] [--finetune-steps S]
        [--standalone-epochs E]
    python benchmarks/codesign_kendall.py combine OUT.csv...

The N candidates are drawn with a fixed seed; ``run`` scores every K-th of them from P
(so several processes share the work) with the given :class:`AccuracySettings` (unset:
its defaults); ``combine`` prints τ with its two-sided p-value (no association), and the
accuracy ranges.
"""

import argparse
import csv
import json
import random
import time

import torch

from tilewright.flows.search.codesign.accuracy import (
    AccuracyEvaluator, AccuracySettings, sample_transformer)
from tilewright.flows.search.codesign.space import load_space

_SETTINGS = ("supernet_epochs", "finetune_steps", "standalone_epochs")


def candidates(space, n):
    rng, out = random.Random(1234), []
    while len(out) < n:
        t = sample_transformer(space, rng)
        if t not in out:
            out.append(t)
    return out


def run(args):
    torch.set_num_threads(1)
    space = load_space()
    chosen = {n: getattr(args, n) for n in _SETTINGS if getattr(args, n) is not None}
    evaluator = AccuracyEvaluator(space, AccuracySettings(task=args.task, **chosen))
    start = time.time()
    evaluator.supernet()
    print(f"supernet: {time.time() - start:.0f} s", flush=True)
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["transformer", "supernet", "standalone", "seconds"])
        for t in candidates(space, args.n)[args.part::args.parts]:
            start = time.time()
            w.writerow([json.dumps(t.to_dict()), evaluator(t), evaluator.standalone(t),
                        f"{time.time() - start:.0f}"])
            f.flush()


def combine(args):
    from scipy.stats import kendalltau
    rows = [r for p in args.outs for r in csv.DictReader(open(p))]
    sup = [float(r["supernet"]) for r in rows]
    alone = [float(r["standalone"]) for r in rows]
    tau = kendalltau(sup, alone)
    print(f"Kendall tau over {len(rows)} candidates: {tau.statistic:.3f} "
          f"(p = {tau.pvalue:.2g}); supernet {min(sup):.3f}–{max(sup):.3f}, "
          f"standalone {min(alone):.3f}–{max(alone):.3f}; "
          f"{sum(float(r['seconds']) for r in rows):.0f} s")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out")
    r.add_argument("--n", type=int, default=20)
    r.add_argument("--part", type=int, default=0)
    r.add_argument("--parts", type=int, default=1)
    r.add_argument("--task", choices=("sentiment", "digits"), default="sentiment")
    for name in _SETTINGS:
        r.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    c = sub.add_parser("combine")
    c.add_argument("outs", nargs="+")
    args = p.parse_args()
    (run if args.cmd == "run" else combine)(args)


if __name__ == "__main__":
    main()
