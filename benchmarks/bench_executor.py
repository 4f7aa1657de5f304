"""Benchmark: a characterization sweep of 8 small blocks on 1 worker against 2 workers, on
the local process pool and on a Dask LocalCluster, and the overhead per task of each
executor (a no-op task).

The build cache is warmed first (one characterization of every block), so that every
timed sweep does the same work: synthesis, timing and the RTL and gate-level simulations
of each block, measured again into a new cost database. Prints JSON: seconds per sweep,
the speed-up of 2 workers over 1 (goal ≥ 1.7 on 2 idle cores) and the overhead per
no-op task in milliseconds, with the load average before and after (the figures mean
little on a busy machine)::

    python benchmarks/bench_executor.py [--executors local,dask] [--noops 200]
"""

import argparse
import json
import os
import sys
import tempfile
import time

from tilewright.flows.characterize import characterize_into
from tilewright.flows.executor import get_executor

#: 8 small instances of 6 blocks (block, parameters)
BLOCKS = [
    ("multiplier", {"kind": "exact", "bits": 4}),
    ("multiplier", {"kind": "mitchell", "bits": 4}),
    ("mac-lane", {"multipliers": 1, "il": 4, "fl": 4}),
    ("mac-lane", {"multipliers": 1, "il": 4, "fl": 4, "activation": "relu"}),
    ("pre-sparsity", {"length": 4, "il": 4, "fl": 4}),
    ("post-sparsity", {"length": 4, "il": 4, "fl": 4}),
    ("sparse-mac", {"length": 4, "multipliers": 1, "il": 4, "fl": 4}),
    ("systolic", {"rows": 2, "cols": 2, "il": 4, "fl": 0}),
]
OPTIONS = dict(liberty=None, clock_mhz=700.0, stimulus="random", wire_load="default",
               force=False)


def noop(value):
    return value


def sweep(executor, db_url):
    """Seconds to characterize :data:`BLOCKS` on ``executor`` into ``db_url``."""
    tasks = {f"{i}-{name}": (db_url, name, params, OPTIONS)
             for i, (name, params) in enumerate(BLOCKS)}
    start = time.perf_counter()
    results = dict(executor.map(characterize_into, tasks, desc=f"{executor.kind} "
                                                               f"x{executor.workers}"))
    assert len(results) == len(BLOCKS)
    seconds = time.perf_counter() - start
    print(f"{executor.kind} x{executor.workers}: {seconds:.1f} s (load {os.getloadavg()[0]:.1f})",
          file=sys.stderr, flush=True)
    return seconds


def overhead_ms(executor, count):
    """Milliseconds per no-op task, the workers already started."""
    list(executor.map(noop, {i: (i,) for i in range(8)}))
    start = time.perf_counter()
    list(executor.map(noop, {i: (i,) for i in range(count)}))
    return (time.perf_counter() - start) / count * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executors", default="local,dask")
    parser.add_argument("--noops", type=int, default=200)
    args = parser.parse_args(argv)
    kinds = args.executors.split(",")
    summary = {"cores": os.cpu_count(), "load_before": os.getloadavg(), "blocks": BLOCKS}
    with tempfile.TemporaryDirectory() as tmp:
        with get_executor("local", workers=2) as executor:    # the build cache, warm
            summary["warm_up_seconds"] = round(sweep(executor, f"{tmp}/warm.sqlite"), 1)
        for kind in kinds:
            seconds = {}
            for workers in (1, 2):
                with get_executor(kind, workers=workers) as executor:
                    seconds[workers] = sweep(executor, f"{tmp}/{kind}-{workers}.sqlite")
                    if workers == 2:
                        summary[f"{kind}_ms_per_noop_task"] = round(
                            overhead_ms(executor, args.noops), 2)
            summary[f"{kind}_seconds"] = {w: round(s, 1) for w, s in seconds.items()}
            summary[f"{kind}_speedup"] = round(seconds[1] / seconds[2], 2)
    summary["load_after"] = os.getloadavg()
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
