"""cocotb testbench of the softmax unit: driver, monitor, reference model and scoreboard.

Tests
-----
- ``random_stream``: constrained-random vectors (attention-like Gaussian scores of random
  spread, uniform over the whole format, clusters near the extremes), random valid gaps
  and random ready back-pressure; every output vector of every head must sum to 1 within
  :meth:`Softmax.sum_bound`.
- ``corners``: all-equal inputs (zero, most negative, most positive), one dominant input,
  the most negative values against the most positive, a one-LSB staircase.
- ``vector_throughput``: vectors back to back at full rate; asserts the measured cycles
  equal :meth:`Softmax.vector_cycles` per vector and the latency, and reports them.
"""

import cocotb
import torch
from amaranth.hdl import signed
from amaranth.lib import data

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.stream import pack
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.softmax import Softmax
from tilewright.golden.fixed import quantize
from tilewright.golden.softmax import SoftmaxModel


class SoftmaxBench(StreamBench):
    """Stream bench with :class:`SoftmaxModel` as reference model; also checks the sum of
    every output vector."""

    timeout_cycles = 1_000_000

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "softmax", rand, gap, stall)
        self.unit = Softmax(**params())
        self.model = SoftmaxModel(self.unit)
        self.layout = data.ArrayLayout(signed(self.unit.fmt.width), self.unit.heads)
        self.beats = []          # outputs of the vector being received
        self.sum_errors = []     # |Σ y − 1| of every vector and head, in real units

    def decode(self, word):
        bits = self.unit.out_fl + 1
        return tuple((word >> (h * bits)) & ((1 << bits) - 1) for h in range(self.unit.heads))

    def observe(self, word, cycle):
        beat = self.decode(word)
        self.board.observe(beat, cycle)
        self.beats.append(beat)
        if len(self.beats) == self.unit.t:
            sums = torch.tensor(self.beats, dtype=torch.int64).sum(dim=0)
            self.sum_errors += ((sums - (1 << self.unit.out_fl)).abs().double()
                                / (1 << self.unit.out_fl)).tolist()
            self.beats = []

    def send(self, q, context=""):
        """Queue one vector per head, ``q`` of shape ``(t, heads)``."""
        q = torch.as_tensor(q, dtype=torch.int64)
        for row, want in zip(q.tolist(), self.model(q).tolist()):
            self.driver.append(pack(self.layout, row))
            self.board.expect(tuple(want), context)

    async def finish(self):
        """:meth:`StreamBench.finish`, then the sums; returns the worst sum error."""
        await super().finish()
        bound = Softmax.sum_bound(self.unit.t, self.unit.out_fl)
        worst = max(self.sum_errors)
        assert worst <= bound, f"an output vector sums to 1 ± {worst}, bound {bound}"
        return worst


def scores(rand, fmt, t, heads):
    """One vector per head: Gaussian attention-like scores of random spread (60 %),
    uniform over the format (20 %), or clustered at the most negative / positive end."""
    kind = rand.random()
    gen = torch.Generator().manual_seed(rand.randrange(2**31))
    if kind < 0.6:
        sigma = rand.choice([0.25, 1.0, 3.0, 8.0])
        q = quantize(fmt, torch.randn((t, heads), generator=gen, dtype=torch.float64) * sigma)
    elif kind < 0.8:
        q = torch.randint(fmt.min_int, fmt.max_int + 1, (t, heads), generator=gen)
    else:
        end = fmt.min_int if rand.random() < 0.5 else fmt.max_int
        spread = 1 << rand.randint(0, fmt.width - 2)
        q = (end - torch.randint(0, spread, (t, heads), generator=gen) * (1 if end > 0 else -1))
    return q


@cocotb.test()
async def random_stream(dut):
    """Constrained-random vectors with valid gaps and back-pressure; sums checked."""
    rand = rng("random_stream")
    tb = await SoftmaxBench.started(dut, rand, *random_gaps(rand))
    unit = tb.unit
    count = max(3, min(40, 2000 // unit.t))
    for n in range(count):
        tb.send(scores(rand, unit.fmt, unit.t, unit.heads), f"(vector #{n})")
    worst = await tb.finish()
    tb.record_random_stream(vectors=count, worst_sum_error=worst,
                            sum_bound=Softmax.sum_bound(unit.t, unit.out_fl))


@cocotb.test()
async def corners(dut):
    """All-equal inputs, one dominant input, the most negative values, a staircase."""
    rand = rng("corners")
    tb = await SoftmaxBench.started(dut, rand, *CORNER_GAPS)
    unit, fmt = tb.unit, tb.unit.fmt
    t, heads = unit.t, unit.heads
    for value, name in ((0, "zero"), (fmt.min_int, "most negative"),
                        (fmt.max_int, "most positive")):
        tb.send(torch.full((t, heads), value), f"(all equal, {name})")
    for pos in sorted({0, t // 2, t - 1}):
        q = torch.full((t, heads), fmt.min_int)
        q[pos] = fmt.max_int
        tb.send(q, f"(max dominant at {pos} over most negative)")
        q = torch.zeros((t, heads), dtype=torch.int64)
        q[pos] = min(fmt.max_int, 1 + (8 << fmt.fl))
        tb.send(q, f"(one dominant input at {pos})")
    q = torch.full((t, heads), fmt.min_int)
    q[t - 1] = fmt.min_int + 1
    tb.send(q, "(most negative and one LSB above)")
    tb.send(torch.arange(t).clamp(max=fmt.max_int).view(t, 1).repeat(1, heads),
            "(one-LSB staircase)")
    worst = await tb.finish()
    record("corners", {"compared": tb.board.compared, "worst_sum_error": worst})


@cocotb.test()
async def vector_throughput(dut):
    """Vectors back to back at full rate take vector_cycles each; latency as stated."""
    rand = rng("vector_throughput")
    tb = await SoftmaxBench.started(dut, rand)
    unit = tb.unit
    count = 4 * stimulus_repeats()
    for n in range(count):
        q = scores(rand, unit.fmt, unit.t, unit.heads)
        if stimulus_kind() == "zeros":
            q = torch.zeros_like(q)
        tb.send(q, f"(vector #{n} at full rate)")
    await tb.finish()
    latency = unit.latency
    expected = Softmax.vector_cycles(unit.t, unit.out_fl)
    assert unit.cycles_per_vector == expected, (
        f"cycles_per_vector {unit.cycles_per_vector}, vector_cycles {expected}")
    measured = tb.check_vectors(unit.t, count, expected, latency)
    dut._log.info("%d vectors of %d in %d cycles (%d per vector, latency %d)",
                  count, unit.t, measured, expected, latency)
    record("vector_throughput", {"vectors": count, "t": unit.t, "cycles": measured,
                                 "cycles_per_vector": expected, "latency": latency})
    Stimulus(unit="vector", unit_shape=(unit.t,), operations=count * unit.heads,
             cycles=measured, latency=latency, initiation_interval=expected / unit.heads,
             operation="softmax of one vector",
             description=f"{stimulus_kind()} {count} vectors of t={unit.t} on {unit.heads} "
                         f"head(s) at full rate").record()
