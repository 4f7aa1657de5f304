"""Convergence of BOSHCODE against the baselines of TransCODE Fig. 11 (issue 18).

    python benchmarks/codesign_convergence.py run SEED OUT [--budget N] [--batch B]
        [--initial I] [--objective analytic|model] [--db URL] [--task T]
        [--accelerator-space NAME|PATH] [--methods boshcode,random,...]
    python benchmarks/codesign_convergence.py combine OUT... [--plot PNG]

``run`` searches with every method (or ``--methods``) at one seed and writes
OUT/METHOD/evaluations.csv (+ plots, summary) and each method's wall time; ``combine``
reads several OUT folders and prints the convergence table (best performance at 25, 50,
100, 200 evaluations, mean ± std over seeds) and writes the plot (default:
convergence-all-seeds.png in the first). ``--objective analytic`` evaluates on the
analytic test objective (not measured figures); ``model`` on the accelerator model
(``--db``, measured cost records; ``--accelerator-space elector-measured`` keeps to the
characterized block sizes) and the supernet accuracy on ``--task``.
"""

import argparse
import csv
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from tilewright.flows.search.codesign.accuracy import AccuracySettings
from tilewright.flows.search.codesign.analytic import analytic_accuracy, analytic_hardware
from tilewright.flows.search.codesign.driver import run_study
from tilewright.flows.search.codesign.hardware import ModelHardware
from tilewright.flows.search.codesign.report import convergence_table, plot_convergence
from tilewright.flows.search.codesign.run import METHODS, CodesignConfig
from tilewright.flows.search.codesign.search import SearchSettings


def run(args):
    torch.set_num_threads(1)
    if args.objective == "analytic":
        kw = dict(hardware=analytic_hardware, accuracy=analytic_accuracy)
    else:
        kw = dict(hardware=ModelHardware(args.db, args.task))
    # One accuracy oracle (supernet seed 0) for every search seed, as TransCODE's fixed
    # accuracy surrogate: the seeds then vary the search only, and their best P compare.
    oracle = AccuracySettings(task=args.task)
    methods = args.methods.split(",") if args.methods else METHODS["weighted"]
    for method in sorted(methods, key=lambda m: m == "gpbo"):   # slowest last
        config = CodesignConfig(task=args.task, method=method,
                                accelerator_space=args.accelerator_space, accuracy=oracle,
                                search=SearchSettings(args.budget, args.batch, args.initial,
                                                      args.seed))
        start = time.time()
        run_study([config], Path(args.out) / method, **kw)
        print(f"{method}: {time.time() - start:.0f} s", flush=True)


def combine(args):
    curves = defaultdict(list)
    for path in sorted(p for out in args.outs for p in Path(out).glob("*/evaluations.csv")):
        by_run = defaultdict(list)
        for row in csv.DictReader(open(path)):
            by_run[(row["method"], row["seed"])].append(float(row["score"]))
        for (method, _), scores in sorted(by_run.items()):
            curves[method].append(np.maximum.accumulate(scores))
    print(convergence_table(dict(curves)))
    plot_convergence(dict(curves),
                     args.plot or Path(args.outs[0]) / "convergence-all-seeds.png")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("seed", type=int)
    r.add_argument("out")
    r.add_argument("--budget", type=int, default=200)
    r.add_argument("--batch", type=int, default=4)
    r.add_argument("--initial", type=int, default=16)
    r.add_argument("--objective", choices=("analytic", "model"), default="analytic")
    r.add_argument("--db", default=None)
    r.add_argument("--task", choices=("sentiment", "digits"), default="sentiment")
    r.add_argument("--accelerator-space", default=None)
    r.add_argument("--methods", default=None)
    c = sub.add_parser("combine")
    c.add_argument("outs", nargs="+")
    c.add_argument("--plot", default=None)
    args = p.parse_args()
    (run if args.cmd == "run" else combine)(args)


if __name__ == "__main__":
    main()
