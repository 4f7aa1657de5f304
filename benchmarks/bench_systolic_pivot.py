"""Benchmark: PIVOT's 64x36 input-stationary array (preset ``pivot``, PIVOT §3.4, Table 1)
runs DeiT-S's QKV projection, a 197x384x384 int8 GEMM, in cocotb on Verilator.

Checks every output beat and the assembled product against the golden model, asserts
that the measured cycles equal :meth:`SystolicArray.gemm_cycles` (in total and per fold),
and prints the Verilator build time, the simulation time and the measurements::

    python benchmarks/bench_systolic_pivot.py [--seed N] [--gemm M,K,N]
"""

import argparse
import json
import time

from tilewright.cosim.runner import build, run
from tilewright.gen.catalogue import get_block
from tilewright.flows.config import load_config
from tilewright.flows.generate import generate_config
from tilewright.flows.regress import new_seed
from tilewright.gen.systolic import SystolicArray


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--gemm", default="197,384,384", help="M,K,N")
    args = parser.parse_args(argv)
    seed = new_seed() if args.seed is None else args.seed
    m, k, n = (int(v) for v in args.gemm.split(","))
    (item,) = generate_config(load_config("pivot"))
    p = item.params
    t0 = time.monotonic()
    args_v = get_block("systolic").verilator_args
    build("systolic", p, item.verilog, item.instance, build_args=args_v)
    t1 = time.monotonic()
    result = run("systolic", p, item.verilog, item.instance, "tilewright.cosim.tb_systolic",
                 seed=seed, testcase="gemm_throughput",
                 extra_env={"TILEWRIGHT_GEMM": f"{m},{k},{n}"}, build_args=args_v)
    t2 = time.monotonic()
    tp = result.report["gemm_throughput"]
    model = SystolicArray.gemm_cycles(p["rows"], p["cols"], m, k, n, p["dataflow"])
    assert tp["cycles"] == model, (tp["cycles"], model)
    summary = {key: tp[key] for key in ("m", "k", "n", "folds", "cycles", "model_cycles",
                                        "fold_cycles", "scalesim_cycles",
                                        "mapping_efficiency", "compute_utilisation",
                                        "compared")}
    summary.update(seed=seed, build_seconds=round(t1 - t0, 1),
                   simulation_seconds=round(t2 - t1, 1),
                   milliseconds_at_125MHz=tp["cycles"] / 125e3)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
