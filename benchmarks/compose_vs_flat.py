"""Composed against flat characterization of systolic arrays small enough to do both
(issue 16): area, leakage, energy per multiply-accumulate and idle energy per cycle, as
composed/flat ratios, written as JSON and as a bar chart::

    python benchmarks/compose_vs_flat.py --db costs.sqlite --shape 4x4 [--shape 2x2]
        [--json docs/compose-vs-flat.json] [--plot docs/compose-vs-flat.png]

Records are stored in (and reused from) ``--db``; every array is input-stationary int8
with a 32-bit accumulator, as PIVOT's (PIVOT §3.4).
"""

import argparse
import json

from tilewright.flows.characterize import characterize
from tilewright.flows.compose import compose
from tilewright.flows.costs.store import open_db

FIGURES = (("area_um2", "area"), ("leakage_mw", "leakage"),
           ("energy_per_op_pj", "energy / MAC"), ("idle_pj_per_cycle", "idle / cycle"))


def compare(db, rows, cols):
    params = dict(rows=rows, cols=cols, dataflow="is", il=8, fl=0, acc_width=32)
    flat = characterize("systolic", params, db=db)
    composed = compose("systolic", params, db=db)
    return {"shape": f"{rows}x{cols}", "params": params,
            "flat": {k: getattr(flat, k) for k, _ in FIGURES},
            "composed": {k: getattr(composed, k) for k, _ in FIGURES},
            "ratio": {k: getattr(composed, k) / getattr(flat, k) for k, _ in FIGURES},
            "glue": composed.details["glue"], "parts": composed.details["parts"]}


def plot(results, path, title="Systolic array (is, int8): composed vs flat characterization"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.8 / len(results)
    for i, r in enumerate(results):
        xs = [j + i * width for j in range(len(FIGURES))]
        ax.bar(xs, [r["ratio"][k] for k, _ in FIGURES], width, label=r["shape"])
    ax.axhline(1.0, color="black", lw=0.8)
    for bound in (0.9, 1.1):
        ax.axhline(bound, color="grey", lw=0.6, ls="--")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(FIGURES))],
                  [label for _, label in FIGURES])
    ax.set_ylabel("composed / flat")
    ax.set_title(title)
    ax.legend(title="array")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--shape", action="append", default=None, help="RxC (repeatable)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--plot", default=None)
    args = parser.parse_args(argv)
    shapes = [tuple(int(v) for v in s.split("x")) for s in (args.shape or ["4x4"])]
    with open_db(args.db) as db:
        results = [compare(db, r, c) for r, c in shapes]
    for r in results:
        print(r["shape"], " ".join(f"{k}={v:.4f}" for k, v in r["ratio"].items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
