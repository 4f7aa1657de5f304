"""Benchmark: characterization old (gate level on Verilator) against new (native replay of
the RTL runs, synthesis beside the RTL), back to back in one run, and warm lookups.

Each cold measurement runs in a child process with its own empty build cache
(``TILEWRIGHT_CACHE``), so synthesis, Liberty parsing and every Verilator build are paid;
the two paths' records must carry the same figures. Wall time on a shared machine is
inflated by the load, so the child processes' CPU seconds (user + system, children
included) are reported beside it, with the load average before and after. Then a warm
lookup (the record already in the database), in process and through the CLI::

    nice -n 10 python benchmarks/bench_characterize_speed.py \\
        [--case small] [--case lane16] [--repeats 3] [--warm-calls 20] [--json out.json]

With ``--repeats N`` the two paths run in turn (old, new, old, new, ...), each cold, and
the medians of their times and of the pairs' ratios are reported.

Cases: ``small`` (MAC lane ×2 int8), ``post`` (post-sparsity, length 4), ``lane16``
(MAC lane ×16 with GeLU; minutes cold on the old path).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "small": ("mac-lane", {"multipliers": 2, "il": 8, "fl": 0}),
    "post": ("post-sparsity", {"length": 4, "il": 4, "fl": 4}),
    "lane16": ("mac-lane", {"multipliers": 16, "activation": "gelu"}),
}

_CHILD = """
import json, sys
from tilewright.flows.characterize import characterize
from tilewright.flows.costs.store import CostDB
name, params, gate_sim, db = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
r = characterize(name, params, gate_sim=gate_sim, db=CostDB(db))
print("RESULT " + json.dumps({k: getattr(r, k) for k in (
    "key", "energy_per_op_pj", "idle_pj_per_cycle", "area_um2", "fmax_mhz", "cycles",
    "leakage_mw")} | {"energy_pj": r.details["energy_pj"], "idle": r.details["idle"],
                      "gate_toggles": r.details["gate_toggles"]}))
"""


def _child(args, env):
    """Run ``args`` in a child; (wall s, CPU s of the child and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def cold(name, params, gate_sim, workdir):
    """One cold characterization in a fresh cache; (wall, cpu, figures)."""
    cache = tempfile.mkdtemp(prefix=f"cache-{gate_sim}-", dir=workdir)
    env = {**os.environ, "TILEWRIGHT_CACHE": cache, "OMP_NUM_THREADS": "1"}
    db = os.path.join(cache, "costs.sqlite")
    wall, cpu, out = _child([sys.executable, "-c", _CHILD, name, json.dumps(params),
                             gate_sim, db], env)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return wall, cpu, json.loads(line[len("RESULT "):]), cache, db


def warm(name, params, cache, db, calls):
    """Warm lookups of a stored record: per call in process (after the first), and the
    CLI's wall time."""
    env = {**os.environ, "TILEWRIGHT_CACHE": cache, "OMP_NUM_THREADS": "1"}
    code = ("import json, sys, time\n"
            "from tilewright.flows.characterize import characterize\n"
            "from tilewright.flows.costs.store import CostDB\n"
            "db = CostDB(sys.argv[3]); p = json.loads(sys.argv[2])\n"
            "t = time.perf_counter(); characterize(sys.argv[1], p, db=db)\n"
            "first = time.perf_counter() - t; t = time.perf_counter()\n"
            f"for _ in range({calls}): characterize(sys.argv[1], p, db=db)\n"
            f"print(first, (time.perf_counter() - t) / {calls})\n")
    _, _, out = _child([sys.executable, "-c", code, name, json.dumps(params), db], env)
    first, each = (float(v) for v in out.split())
    cli = [sys.executable, "-m", "tilewright.cli", "characterize", name, "--db", db,
           *[a for k, v in params.items() for a in ("--param", f"{k}={v}")]]
    wall, cpu, _ = _child(cli, env)
    return {"in_process_first_s": first, "in_process_each_s": each, "cli_wall_s": wall,
            "cli_cpu_s": cpu}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--warm-calls", type=int, default=20)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    results = {"load_before": os.getloadavg(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="tilewright-bench-") as work:
        for case in args.case or ["small"]:
            name, params = CASES[case]
            pairs, loads = [], []
            for _ in range(args.repeats):
                pairs.append((cold(name, params, "verilator", work),
                              cold(name, params, "native", work)))
                loads.append(os.getloadavg())
            old, new = pairs[-1]
            same = {k: all(o[2][k] == n[2][k] for o, n in pairs) for k in old[2]}

            def median(figure):
                return statistics.median(figure(o, n) for o, n in pairs)
            results[case] = {
                "block": name, "params": params, "repeats": args.repeats,
                "old_wall_s": median(lambda o, n: o[0]), "old_cpu_s": median(lambda o, n: o[1]),
                "new_wall_s": median(lambda o, n: n[0]), "new_cpu_s": median(lambda o, n: n[1]),
                "wall_ratio": median(lambda o, n: o[0] / n[0]),
                "cpu_ratio": median(lambda o, n: o[1] / n[1]),
                "runs": [{"old_wall_s": o[0], "old_cpu_s": o[1], "new_wall_s": n[0],
                          "new_cpu_s": n[1], "load_after": load}
                         for (o, n), load in zip(pairs, loads)],
                "same_figures": same, "figures": new[2] | {"gate_toggles": None},
                "warm": warm(name, params, new[3], new[4], args.warm_calls)}
            print(json.dumps({case: results[case]}, indent=1, default=str), flush=True)
    results["load_after"] = os.getloadavg()
    print(json.dumps({"load_before": results["load_before"],
                      "load_after": results["load_after"]}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    return results


if __name__ == "__main__":
    main()
