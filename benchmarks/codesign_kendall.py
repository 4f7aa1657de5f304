"""Kendall τ between supernet (inherited weights + brief fine-tune) and standalone
accuracies of random transformers of the co-design space (issue 18).

    python benchmarks/codesign_kendall.py run PART PARTS OUT.csv [N]
    python benchmarks/codesign_kendall.py combine OUT.csv...

The N (default 20) candidates are drawn with a fixed seed; ``run`` scores every PARTS-th
of them from PART (so several processes share the work); ``combine`` prints τ.
"""

import csv
import json
import random
import sys
import time

import torch

from tilewright.flows.search.codesign.accuracy import AccuracyEvaluator, sample_transformer
from tilewright.flows.search.codesign.space import load_space


def candidates(space, n):
    rng, out = random.Random(1234), []
    while len(out) < n:
        t = sample_transformer(space, rng)
        if t not in out:
            out.append(t)
    return out


def run(part, parts, out, n=20):
    torch.set_num_threads(1)
    space = load_space()
    evaluator = AccuracyEvaluator(space)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["transformer", "supernet", "standalone", "seconds"])
        for t in candidates(space, n)[part::parts]:
            start = time.time()
            w.writerow([json.dumps(t.to_dict()), evaluator(t), evaluator.standalone(t),
                        f"{time.time() - start:.0f}"])
            f.flush()


def combine(paths):
    from scipy.stats import kendalltau
    rows = [r for p in paths for r in csv.DictReader(open(p))]
    tau = kendalltau([float(r["supernet"]) for r in rows],
                     [float(r["standalone"]) for r in rows]).statistic
    print(f"Kendall tau over {len(rows)} candidates: {tau:.3f}")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
            *(int(a) for a in sys.argv[5:6]))
    else:
        combine(sys.argv[2:])
