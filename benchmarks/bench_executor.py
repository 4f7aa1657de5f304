"""Benchmark: a characterization sweep of 8 small blocks on 1 worker against 2 workers, on
the local process pool and on a Dask LocalCluster, the same for 8 single-threaded
CPU-bound tasks (a fixed amount of pure-Python work each), and the overhead per task of
each executor (a no-op task).

A characterization is not single-threaded: it synthesizes beside the RTL simulation and
runs its gate-level simulations three at a time, so one worker already keeps more than
one core busy and a second worker can only add what is left of two cores. The sweep's
``busy_cores`` (the machine's busy cores over the sweep, from ``/proc/stat``: other jobs
count too) shows it; the CPU-bound tasks show the executor's own scaling.

The build cache is warmed first (one characterization of every block), so that every
timed sweep does the same work: synthesis, timing and the RTL and gate-level simulations
of each block, measured again into a new cost database. Prints JSON: seconds per sweep,
the speed-up of 2 workers over 1 (goal ≥ 1.7 on 2 idle cores) and the overhead per
no-op task in milliseconds, with the load average before and after (the figures mean
little on a busy machine)::

    python benchmarks/bench_executor.py [--executors local,dask] [--noops 200] [--no-sweep]
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


def spin(rounds):
    """A fixed amount of single-threaded pure-Python work."""
    total = 0
    for i in range(rounds):
        total = (total * 31 + i) % 1_000_003
    return total


def _cpu_jiffies():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)   # busy (not idle, iowait), all


def timed(run):
    """``(seconds, busy cores)`` of ``run()``: wall time and the machine's average busy
    cores meanwhile (every process counts, not only ours)."""
    busy0, all0 = _cpu_jiffies()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    busy1, all1 = _cpu_jiffies()
    return seconds, (busy1 - busy0) / max(1, all1 - all0) * os.cpu_count()


def sweep(executor, db_url):
    """``(seconds, busy cores)`` to characterize :data:`BLOCKS` on ``executor`` into
    ``db_url``."""
    tasks = {f"{i}-{name}": (db_url, name, params, OPTIONS)
             for i, (name, params) in enumerate(BLOCKS)}

    def run():
        results = dict(executor.map(characterize_into, tasks, desc=f"{executor.kind} "
                                                                   f"x{executor.workers}"))
        assert len(results) == len(BLOCKS)
    seconds, cores = timed(run)
    print(f"{executor.kind} x{executor.workers}: {seconds:.1f} s, {cores:.2f} busy cores "
          f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    return seconds, cores


def spin_sweep(executor, rounds, count=8):
    """``(seconds, busy cores)`` of ``count`` :func:`spin` tasks on ``executor``, its
    workers started first."""
    list(executor.map(noop, {i: (i,) for i in range(executor.workers)}))
    return timed(lambda: list(executor.map(spin, {i: (rounds,) for i in range(count)})))


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
    parser.add_argument("--spin-rounds", type=int, default=40_000_000,
                        help="work per CPU-bound task (about 4.5 s at 40,000,000 on an idle core)")
    parser.add_argument("--no-sweep", dest="sweep", action="store_false",
                        help="skip the characterization sweeps")
    args = parser.parse_args(argv)
    kinds = args.executors.split(",")
    summary = {"cores": os.cpu_count(), "load_before": os.getloadavg(), "blocks": BLOCKS}
    with tempfile.TemporaryDirectory() as tmp:
        if args.sweep:
            with get_executor("local", workers=2) as executor:    # the build cache, warm
                summary["warm_up_seconds"] = round(sweep(executor, f"{tmp}/warm.sqlite")[0], 1)
        for kind in kinds:
            figures = {}
            for workers in (1, 2):
                with get_executor(kind, workers=workers) as executor:
                    if args.sweep:
                        figures[("sweep", workers)] = sweep(
                            executor, f"{tmp}/{kind}-{workers}.sqlite")
                    figures[("cpu_bound", workers)] = spin_sweep(executor, args.spin_rounds)
                    if workers == 2:
                        summary[f"{kind}_ms_per_noop_task"] = round(
                            overhead_ms(executor, args.noops), 2)
            for what in ("sweep", "cpu_bound"):
                if (what, 1) in figures:
                    (s1, c1), (s2, c2) = figures[(what, 1)], figures[(what, 2)]
                    summary[f"{kind}_{what}_seconds"] = {1: round(s1, 1), 2: round(s2, 1)}
                    summary[f"{kind}_{what}_busy_cores"] = {1: round(c1, 2), 2: round(c2, 2)}
                    summary[f"{kind}_{what}_speedup"] = round(s1 / s2, 2)
    summary["load_after"] = os.getloadavg()
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
