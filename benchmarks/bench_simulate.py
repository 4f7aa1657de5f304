"""Benchmark: the accelerator model's speed and memory (issue 14's goals).

- BERT-Tiny, batch 4, seq 128 on AccelTran-Edge, cost records read from the database
  (goal ≤ 2 s; AccelTran's simulator takes 470-500 s);
- BERT-Base, batch 32, seq 128 on AccelTran-Server (goal ≤ 30 s);
- a search-sized evaluation: BERT-Tiny/Edge again with the cost records cached in the
  :class:`~tilewright.flows.model.CostSource` (goal ≤ 0.2 s);
- peak Python memory of each (tracemalloc; goal ≤ 1 GB).

Needs the presets' cost records (``tilewright characterize --config acceltran-edge --db
DB``; the server's blocks are the same)::

    python benchmarks/bench_simulate.py --db tilewright-costs.sqlite [--repeats 5]
"""

import argparse
import json
import time
import tracemalloc

from tilewright.flows.costs import open_db
from tilewright.flows.model import CostSource, build_workload, load_accelerator, simulate


def _timed(fn, repeats):
    """(best seconds, peak MB of the first run, result)."""
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best, peak, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="tilewright-costs.sqlite")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    edge, server = load_accelerator("acceltran-edge"), load_accelerator("acceltran-server")
    cases = {}
    with open_db(args.db) as db:
        def fresh(hw, model, batch):
            return lambda: simulate(hw, build_workload(model, batch=batch, seq=128),
                                    costs=CostSource(db, clock_mhz=hw.clock_mhz))
        cached = CostSource(db, clock_mhz=edge.clock_mhz)
        tiny = build_workload("bert-tiny", batch=4, seq=128)
        for name, fn, goal in (
                ("bert-tiny/edge (records from the db)", fresh(edge, "bert-tiny", 4), 2.0),
                ("bert-base b32/server (records from the db)", fresh(server, "bert-base", 32),
                 30.0),
                ("bert-tiny/edge (search: records cached)",
                 lambda: simulate(edge, tiny, costs=cached), 0.2)):
            seconds, peak, result = _timed(fn, args.repeats)
            cases[name] = {"seconds": round(seconds, 4), "goal_seconds": goal,
                           "peak_mb": round(peak, 1), "cycles": result.cycles,
                           "simulated_cycles_per_second": round(result.cycles / seconds),
                           "ops": len(result.ops), "energy_uj": result.total_energy_pj * 1e-6}
    print(json.dumps(cases, indent=2))
    return cases


if __name__ == "__main__":
    main()
