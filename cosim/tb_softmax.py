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

from tilewright.cosim.bench import PERIOD_NS, params, record, rng, start, stimulus_kind
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor, pack
from tilewright.gen.softmax import Softmax
from tilewright.golden.softmax import SoftmaxModel


class SoftmaxBench:
    """Wires a driver, a monitor and the golden model to a scoreboard; checks the sum of
    every output vector."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        self.unit = Softmax(**params())
        self.model = SoftmaxModel(self.unit)
        self.layout = data.ArrayLayout(signed(self.unit.fmt.width), self.unit.heads)
        self.board = Scoreboard("softmax", dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.monitor = StreamMonitor(dut, "o", dut.clk, PERIOD_NS, rand, stall,
                                     callback=self.observe)
        self.beats = []          # outputs of the vector being received
        self.sum_errors = []     # |Σ y − 1| of every vector and head, in real units
        self.dut = dut

    def observe(self, word, cycle):
        bits = self.unit.out_fl + 1
        beat = tuple((word >> (h * bits)) & ((1 << bits) - 1) for h in range(self.unit.heads))
        self.board.observe(beat, cycle)
        self.beats.append(beat)
        if len(self.beats) == self.unit.t:
            sums = torch.tensor(self.beats, dtype=torch.int64).sum(dim=0)
            self.sum_errors += ((sums - (1 << self.unit.out_fl)).abs().double()
                                / (1 << self.unit.out_fl)).tolist()
            self.beats = []

    async def start(self):
        await start(self.dut)
        cocotb.start_soon(self.driver.run())
        cocotb.start_soon(self.monitor.run())

    def send(self, q, context=""):
        """Queue one vector per head, ``q`` of shape ``(t, heads)``."""
        q = torch.as_tensor(q, dtype=torch.int64)
        for row, want in zip(q.tolist(), self.model(q).tolist()):
            self.driver.append(pack(self.layout, row))
            self.board.expect(tuple(want), context)

    async def drain(self, timeout_cycles=1_000_000):
        for _ in range(timeout_cycles):
            if self.driver.idle() and not self.board.expected:
                return
            await cocotb.triggers.RisingEdge(self.dut.clk)
        raise AssertionError("timed out waiting for outputs")

    def check(self):
        self.board.check()
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
        q = fmt.quantize(torch.randn((t, heads), generator=gen, dtype=torch.float64) * sigma)
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
    gap, stall = rand.choice([0.0, 0.3, 0.6]), rand.choice([0.0, 0.3, 0.6])
    tb = SoftmaxBench(dut, rand, gap=gap, stall=stall)
    await tb.start()
    unit = tb.unit
    count = max(3, min(40, 2000 // unit.t))
    for n in range(count):
        tb.send(scores(rand, unit.fmt, unit.t, unit.heads), f"(vector #{n})")
    await tb.drain()
    worst = tb.check()
    record("random_stream", {"vectors": count, "compared": tb.board.compared,
                             "mismatches": len(tb.board.mismatches), "gap": gap,
                             "stall": stall, "worst_sum_error": worst,
                             "sum_bound": Softmax.sum_bound(unit.t, unit.out_fl)})


@cocotb.test()
async def corners(dut):
    """All-equal inputs, one dominant input, the most negative values, a staircase."""
    rand = rng("corners")
    tb = SoftmaxBench(dut, rand, gap=0.2, stall=0.2)
    await tb.start()
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
    await tb.drain()
    worst = tb.check()
    record("corners", {"compared": tb.board.compared, "worst_sum_error": worst})


@cocotb.test()
async def vector_throughput(dut):
    """Vectors back to back at full rate take vector_cycles each; latency as stated."""
    rand = rng("vector_throughput")
    tb = SoftmaxBench(dut, rand)
    await tb.start()
    unit = tb.unit
    count = 4
    for n in range(count):
        q = scores(rand, unit.fmt, unit.t, unit.heads)
        if stimulus_kind() == "zeros":
            q = torch.zeros_like(q)
        tb.send(q, f"(vector #{n} at full rate)")
    await tb.drain()
    tb.check()
    sent, received = tb.driver.sent, [c for _, c in tb.monitor.received]
    measured = received[-1] - sent[0]
    per_vector = [sent[k * unit.t] - sent[(k - 1) * unit.t] for k in range(1, count)]
    latency = received[0] - sent[unit.t - 1] - 1
    expected = Softmax.vector_cycles(unit.t, unit.out_fl)
    assert per_vector == [expected] * (count - 1) == [unit.cycles_per_vector] * (count - 1), (
        f"vectors started {per_vector} cycles apart, expected {expected}")
    assert measured == count * expected, (
        f"{count} vectors took {measured} cycles, expected {count}·{expected}")
    assert latency == unit.latency, f"latency {latency} cycles, expected {unit.latency}"
    dut._log.info("%d vectors of %d in %d cycles (%d per vector, latency %d)",
                  count, unit.t, measured, expected, latency)
    record("vector_throughput", {"vectors": count, "t": unit.t, "cycles": measured,
                                 "cycles_per_vector": per_vector[0], "latency": latency})
    record("stimulus", {"operations": count * unit.heads, "operation": "softmax of one vector",
                        "cycles": measured, "latency": latency,
                        "initiation_interval": expected / unit.heads,
                        "description": f"{stimulus_kind()} {count} vectors of t={unit.t} on "
                                       f"{unit.heads} head(s) at full rate"})
