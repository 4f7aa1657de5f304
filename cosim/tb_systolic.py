"""cocotb testbench of the systolic array: the tiling driver (stimulus and monitor), the
golden model and the scoreboard (see :mod:`tilewright.cosim.gemm_driver`).

Tests
-----
- ``random_gemm``: three GEMMs of random shapes (1 to 2R+1 / 2C+1 / 2·max+1, so folds are
  partial), operands uniform or at the extremes, random valid gaps on ``load`` and ``i``
  and random ``o`` back-pressure; every output beat and the assembled product bit-exact.
- ``corners``: most negative × most negative and × most positive everywhere (the
  accumulator wraps or saturates), all zeros, K = 1, M = 1, N = 1.
- ``gemm_throughput``: a GEMM at full rate (``TILEWRIGHT_GEMM="M,K,N"`` overrides the
  default shape); asserts that the measured cycles, in total and of every fold, equal
  :meth:`SystolicArray.gemm_cycles` / :meth:`SystolicArray.fold_cycles` and the measured
  latency :attr:`SystolicArray.latency`, and reports them with SCALE-Sim's utilisation
  figures.
"""

import os

import cocotb
import torch

from tilewright.cosim.bench import (Stimulus, params, record, rng, start, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.gemm_driver import GemmDriver
from tilewright.cosim.operands import operands
from tilewright.cosim.stream_bench import CORNER_GAPS
from tilewright.gen.systolic import SystolicArray


async def run_gemms(dut, rand, shapes_or_mats, gap=0.0, stall=0.0):
    array = SystolicArray(**params())
    tb = GemmDriver(dut, array, rand, gap, stall)
    await start(dut)
    tb.start()
    mats = []
    for item in shapes_or_mats:
        if isinstance(item[0], int):
            m, k, n = item
            item = (operands(rand, array.fmt, (m, k)), operands(rand, array.fmt, (k, n)))
        mats.append(item)
        tb.gemm(*item)
    await tb.drain()
    tb.board.check()
    for (a, b), got in zip(mats, tb.results()):
        want = tb.model.gemm(a, b)
        assert torch.equal(got, want), (
            f"GEMM {tuple(a.shape)}x{tuple(b.shape)}: assembled product differs from the "
            f"golden model at {(got != want).nonzero()[:3].tolist()}")
    return tb, mats


@cocotb.test()
async def random_gemm(dut):
    """Random shapes and data, valid gaps and back-pressure."""
    rand = rng("random_gemm")
    p = params()
    gap, stall = rand.choice([0.1, 0.3, 0.6]), rand.choice([0.1, 0.3, 0.6])
    top = 2 * max(p["rows"], p["cols"]) + 1
    shapes = [(rand.randint(1, 2 * p["rows"] + 1), rand.randint(1, top),
               rand.randint(1, 2 * p["cols"] + 1)) for _ in range(3)]
    tb, _ = await run_gemms(dut, rand, shapes, gap, stall)
    record("random_gemm", {"shapes": shapes, "compared": tb.board.compared,
                           "mismatches": len(tb.board.mismatches), "gap": gap,
                           "stall": stall, "folds": len(tb.folds)})


@cocotb.test()
async def corners(dut):
    """Extremes (wrap/saturate), zeros, K=1, M=1, N=1."""
    rand = rng("corners")
    p = params()
    array = SystolicArray(**p)
    lo, hi = array.fmt.min_int, array.fmt.max_int
    R, C = p["rows"], p["cols"]
    k = R + 1
    full = lambda m, n, v: torch.full((m, n), v, dtype=torch.int64)  # noqa: E731
    mats = [
        (full(R, k, lo), full(k, C, lo)),        # most negative × most negative
        (full(R, k, lo), full(k, C, hi)),        # most negative × most positive
        (full(R + 1, k, 0), operands(rand, array.fmt, (k, C))),
        (R + 1, 1, C + 1),                       # K = 1
        (1, k, C),                               # M = 1
        (R, k, 1),                               # N = 1
    ]
    tb, _ = await run_gemms(dut, rand, mats, *CORNER_GAPS)
    record("corners", {"compared": tb.board.compared})


def _throughput_shape(rows, cols):
    given = os.environ.get("TILEWRIGHT_GEMM")
    if given:
        return tuple(int(v) for v in given.split(","))
    return 2 * rows + 1, rows + 2, 2 * cols - 1


@cocotb.test()
async def gemm_throughput(dut):
    """A GEMM at full rate: measured cycles equal the closed-form model, fold by fold."""
    rand = rng("gemm_throughput")
    p = params()
    R, C, flow = p["rows"], p["cols"], p["dataflow"]
    m, k, n = _throughput_shape(R, C)
    m *= stimulus_repeats()
    array = SystolicArray(**p)
    a, b = operands(rand, array.fmt, (m, k)), operands(rand, array.fmt, (k, n))
    if stimulus_kind() == "zeros":
        a, b = torch.zeros_like(a), torch.zeros_like(b)
    tb, _ = await run_gemms(dut, rand, [(a, b)])
    folds = tb.fold_report()
    _, _, t = SystolicArray.mapping(m, k, n, flow)
    per_fold = SystolicArray.fold_cycles(R, C, t, flow)
    bad = [f for f in folds if f["cycles"] != per_fold]
    assert not bad, f"fold {bad[0]['fold']} took {bad[0]['cycles']} cycles, model {per_fold}"
    measured, model = tb.total_cycles(), SystolicArray.gemm_cycles(R, C, m, k, n, flow)
    assert len(folds) == SystolicArray.folds(R, C, m, k, n, flow)
    assert measured == model, f"GEMM {m}x{k}x{n} took {measured} cycles, model {model}"
    latencies = tb.latencies()
    assert latencies == {array.latency}, f"latencies {sorted(latencies)}, not {array.latency}"
    macs = m * k * n
    dut._log.info("GEMM %dx%dx%d on %dx%d %s: %d folds, %d cycles (SCALE-Sim %d)",
                  m, k, n, R, C, flow, len(folds), measured,
                  SystolicArray.scalesim_gemm_cycles(R, C, m, k, n, flow))
    record("gemm_throughput", {
        "m": m, "k": k, "n": n, "folds": len(folds), "cycles": measured,
        "model_cycles": model, "fold_cycles": per_fold, "latency": array.latency,
        "scalesim_cycles": SystolicArray.scalesim_gemm_cycles(R, C, m, k, n, flow),
        "mapping_efficiency": sum(f["mapping_efficiency"] for f in folds) / len(folds),
        "compute_utilisation": sum(f["compute_utilisation"] for f in folds) / len(folds),
        "per_fold": folds, "compared": tb.board.compared})
    Stimulus(unit="mac", unit_shape=(), operations=macs, cycles=measured, latency=array.latency,
             initiation_interval=measured / macs, operation="multiply-accumulate",
             description=f"{stimulus_kind()} {m}x{k}x{n} GEMM on the {R}x{C} {flow} array at "
                         f"full rate").record()
