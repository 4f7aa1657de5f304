"""Kendall τ between supernet (inherited weights + brief fine-tune) and standalone
accuracies of random transformers of the co-design space (issue 18).

Usage: python benchmarks/codesign_kendall.py [N] [OUT.csv]  (default 20 candidates)
"""

import csv
import random
import sys
import time

import torch

from tilewright.flows.search.codesign.accuracy import (
    AccuracyEvaluator, ranking_agreement, sample_transformer)
from tilewright.flows.search.codesign.space import load_space


def main(n=20, out="codesign_kendall.csv"):
    torch.set_num_threads(1)
    space = load_space()
    evaluator = AccuracyEvaluator(space)
    start = time.time()
    evaluator.supernet()
    print(f"supernet trained in {time.time() - start:.0f} s", flush=True)
    rng = random.Random(1234)
    transformers = []
    while len(transformers) < n:
        t = sample_transformer(space, rng)
        if t not in transformers:
            transformers.append(t)
    start = time.time()
    tau, rows = ranking_agreement(evaluator, transformers)
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"Kendall tau over {n} candidates: {tau:.3f} ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20,
         sys.argv[2] if len(sys.argv) > 2 else "codesign_kendall.csv")
