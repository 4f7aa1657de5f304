"""cocotb testbench of the layer-norm unit: driver, monitor, reference model and scoreboard.

Tests
-----
- ``random_stream``: constrained-random vectors (Gaussian activations of random offset
  and spread, uniform over the format, near-constant vectors) with random γ and β,
  random valid gaps and random ready back-pressure.
- ``corners``: all-equal inputs (variance 0, only ε), the most negative and most positive
  values alternating, one outlier, γ and β at their extremes.
- ``vector_throughput``: vectors back to back at full rate; asserts the measured cycles
  equal :meth:`LayerNorm.vector_cycles` per vector and the latency.
"""

import cocotb
import torch

from tilewright.cosim.bench import PERIOD_NS, params, record, rng, start, stimulus_kind
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor, pack, to_signed
from tilewright.gen.layer_norm import LayerNorm
from tilewright.golden.layer_norm import layer_norm_fixed


class LayerNormBench:
    """Wires a driver, a monitor and the golden model to a scoreboard."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        self.unit = LayerNorm(**params())
        width = self.unit.fmt.width
        self.layout = LayerNorm.input_layout(width)
        self.board = Scoreboard("layer_norm", dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.monitor = StreamMonitor(
            dut, "o", dut.clk, PERIOD_NS, rand, stall,
            callback=lambda word, cycle: self.board.observe(to_signed(word, width), cycle))
        self.dut = dut

    async def start(self):
        await start(self.dut)
        cocotb.start_soon(self.driver.run())
        cocotb.start_soon(self.monitor.run())

    def send(self, x, gamma, beta, context=""):
        fmt = self.unit.fmt
        want = layer_norm_fixed(x, gamma, beta, fmt.fl, fmt.width)
        for xi, gi, bi, yi in zip(x.tolist(), gamma.tolist(), beta.tolist(), want.tolist()):
            self.driver.append(pack(self.layout, {"x": xi, "gamma": gi, "beta": bi}))
            self.board.expect(yi, context)

    async def drain(self, timeout_cycles=1_000_000):
        for _ in range(timeout_cycles):
            if self.driver.idle() and not self.board.expected:
                return
            await cocotb.triggers.RisingEdge(self.dut.clk)
        raise AssertionError("timed out waiting for outputs")


def vector(rand, fmt, n):
    """``(x, γ, β)``: Gaussian activations (60 %), uniform (25 %) or near-constant."""
    gen = torch.Generator().manual_seed(rand.randrange(2**31))
    kind = rand.random()
    if kind < 0.6:
        x = fmt.quantize(rand.uniform(-1, 1) + rand.choice([0.1, 1.0, 3.0])
                         * torch.randn(n, generator=gen, dtype=torch.float64))
    elif kind < 0.85:
        x = torch.randint(fmt.min_int, fmt.max_int + 1, (n,), generator=gen)
    else:
        x = rand.randint(fmt.min_int, fmt.max_int - 2) + torch.randint(0, 3, (n,), generator=gen)
    gamma = fmt.quantize(1 + 0.3 * torch.randn(n, generator=gen, dtype=torch.float64))
    beta = fmt.quantize(0.3 * torch.randn(n, generator=gen, dtype=torch.float64))
    return x, gamma, beta


@cocotb.test()
async def random_stream(dut):
    """Constrained-random vectors with valid gaps and back-pressure."""
    rand = rng("random_stream")
    gap, stall = rand.choice([0.0, 0.3, 0.6]), rand.choice([0.0, 0.3, 0.6])
    tb = LayerNormBench(dut, rand, gap=gap, stall=stall)
    await tb.start()
    count = max(3, min(40, 2000 // tb.unit.n))
    for k in range(count):
        tb.send(*vector(rand, tb.unit.fmt, tb.unit.n), f"(vector #{k})")
    await tb.drain()
    tb.board.check()
    record("random_stream", {"vectors": count, "compared": tb.board.compared,
                             "mismatches": len(tb.board.mismatches), "gap": gap,
                             "stall": stall})


@cocotb.test()
async def corners(dut):
    """Zero variance, alternating extremes, one outlier, extreme γ and β."""
    tb = LayerNormBench(dut, rng("corners"), gap=0.2, stall=0.2)
    await tb.start()
    fmt, n = tb.unit.fmt, tb.unit.n
    one = torch.full((n,), min(fmt.max_int, fmt.scale))
    zero = torch.zeros(n, dtype=torch.int64)
    for value in (0, fmt.min_int, fmt.max_int):
        tb.send(torch.full((n,), value), one, zero, f"(all equal {value})")
    alt = torch.tensor([fmt.min_int, fmt.max_int] * (n // 2))
    tb.send(alt, one, zero, "(alternating extremes)")
    tb.send(alt, torch.full((n,), fmt.max_int), torch.full((n,), fmt.min_int),
            "(alternating extremes, γ max, β min)")
    tb.send(alt, torch.full((n,), fmt.min_int), torch.full((n,), fmt.max_int),
            "(alternating extremes, γ min, β max)")
    outlier = zero.clone()
    outlier[n // 2] = fmt.max_int
    tb.send(outlier, one, zero, "(one outlier)")
    await tb.drain()
    tb.board.check()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def vector_throughput(dut):
    """Vectors back to back at full rate take vector_cycles each; latency as stated."""
    rand = rng("vector_throughput")
    tb = LayerNormBench(dut, rand)
    await tb.start()
    unit = tb.unit
    count = 4
    for k in range(count):
        x, g, b = vector(rand, unit.fmt, unit.n)
        if stimulus_kind() == "zeros":
            x, g, b = (torch.zeros_like(v) for v in (x, g, b))
        tb.send(x, g, b, f"(vector #{k} at full rate)")
    await tb.drain()
    tb.board.check()
    sent, received = tb.driver.sent, [c for _, c in tb.monitor.received]
    n = unit.n
    measured = received[-1] - sent[0]
    per_vector = [sent[k * n] - sent[(k - 1) * n] for k in range(1, count)]
    latency = received[0] - sent[n - 1] - 1
    expected = LayerNorm.vector_cycles(n, unit.fmt.il, unit.fmt.fl)
    assert per_vector == [expected] * (count - 1) == [unit.cycles_per_vector] * (count - 1), (
        f"vectors started {per_vector} cycles apart, expected {expected}")
    assert measured == count * expected, f"{count} vectors took {measured}, expected " \
                                         f"{count}·{expected}"
    assert latency == unit.latency, f"latency {latency} cycles, expected {unit.latency}"
    record("vector_throughput", {"vectors": count, "n": n, "cycles": measured,
                                 "cycles_per_vector": per_vector[0], "latency": latency})
    record("stimulus", {"operations": count, "operation": "layer norm of one vector",
                        "cycles": measured, "latency": latency, "initiation_interval": expected,
                        "description": f"{stimulus_kind()} {count} vectors of n={n} at full "
                                      f"rate"})
