"""Convergence of BOSHCODE against the baselines of TransCODE Fig. 11 (issue 18).

    python benchmarks/codesign_convergence.py run SEED OUT [--budget N] [--batch B]
        [--initial I] [--objective analytic|model] [--db URL]
    python benchmarks/codesign_convergence.py combine OUT...

``run`` searches with every method at one seed and writes OUT/METHOD/evaluations.csv (+
plots, summary); ``combine`` reads several OUT folders and prints the convergence table (best
performance at 25, 50, 100, 200 evaluations, mean ± std over seeds) and writes
convergence.png into the first. ``--objective analytic`` evaluates on the analytic test
objective (not measured figures); ``model`` on the accelerator model (``--db``, measured
cost records) and the supernet accuracy.
"""

import argparse
import csv
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

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
        kw = dict(hardware=ModelHardware(args.db))
    for method in sorted(METHODS["weighted"], key=lambda m: m == "gpbo"):   # slowest last
        config = CodesignConfig(method=method, search=SearchSettings(
            args.budget, args.batch, args.initial, args.seed))
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
    plot_convergence(dict(curves), Path(args.outs[0]) / "convergence-all-seeds.png")


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
    c = sub.add_parser("combine")
    c.add_argument("outs", nargs="+")
    args = p.parse_args()
    (run if args.cmd == "run" else combine)(args)


if __name__ == "__main__":
    main()
