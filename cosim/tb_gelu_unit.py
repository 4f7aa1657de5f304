"""cocotb testbench of the streaming GeLU unit: driver, monitor, reference model and
scoreboard.

Tests
-----
- ``random_stream``: constrained-random beats (Gaussian pre-activations of random spread,
  uniform over the format, extremes), random valid gaps and random ready back-pressure.
- ``corners``: every segment boundary of the table and one LSB either side, the edges of
  the approximated domain, the most negative and most positive values, zero.
- ``stream_throughput``: beats at full rate; asserts the measured cycles equal
  :meth:`GeluUnit.stream_cycles` and reports them.
"""

import cocotb
import torch
from amaranth.hdl import signed
from amaranth.lib import data

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.stream import pack, unpack
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.gelu import GeluPWL
from tilewright.gen.gelu_unit import GeluUnit
from tilewright.golden.fixed import quantize
from tilewright.golden.gelu import gelu_pwl


class GeluBench(StreamBench):
    """Stream bench with :func:`gelu_pwl` as reference model."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "gelu_unit", rand, gap, stall)
        self.unit = GeluUnit(**params())
        self.layout = data.ArrayLayout(signed(self.unit.fmt.width), self.unit.lanes)

    def decode(self, word):
        return tuple(unpack(self.layout, word))

    def send(self, values, context=""):
        """Queue values (any count; the last beat is padded with zeros)."""
        lanes = self.unit.lanes
        q = torch.as_tensor(values, dtype=torch.int64).flatten()
        q = torch.cat([q, torch.zeros(-len(q) % lanes, dtype=torch.int64)]).view(-1, lanes)
        want = gelu_pwl(q, self.unit.fmt, self.unit.segments)
        for row, out in zip(q.tolist(), want.tolist()):
            self.driver.append(pack(self.layout, row))
            self.board.expect(tuple(out), context)
        return len(q)


def activations(rand, fmt, n):
    gen = torch.Generator().manual_seed(rand.randrange(2**31))
    kind = rand.random()
    if kind < 0.6:
        x = torch.randn(n, generator=gen, dtype=torch.float64) * rand.choice([0.5, 1.5, 4.0])
        return quantize(fmt, x)
    if kind < 0.9:
        return torch.randint(fmt.min_int, fmt.max_int + 1, (n,), generator=gen)
    return torch.tensor([rand.choice([fmt.min_int, fmt.max_int, 0, -1, 1]) for _ in range(n)])


@cocotb.test()
async def random_stream(dut):
    """Constrained-random beats with valid gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await GeluBench.started(dut, rand, *random_gaps(rand))
    beats = sum(tb.send(activations(rand, tb.unit.fmt, tb.unit.lanes * rand.randint(1, 8)),
                        f"(burst #{n})") for n in range(40))
    await tb.finish()
    tb.record_random_stream(beats=beats)


@cocotb.test()
async def corners(dut):
    """Segment boundaries ±1 LSB, domain edges, extremes."""
    tb = await GeluBench.started(dut, rng("corners"), *CORNER_GAPS)
    fmt = tb.unit.fmt
    r, shift, count = GeluPWL.geometry(fmt, tb.unit.segments)
    starts = torch.tensor([-(1 << r) + (i << shift) for i in range(count + 1)])
    values = torch.cat([starts - 1, starts, starts + 1,
                        torch.tensor([fmt.min_int, fmt.max_int, 0, -1, 1])])
    tb.send(values.clamp(fmt.min_int, fmt.max_int), "(segment boundaries and extremes)")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def stream_throughput(dut):
    """Beats at full rate: ⌈n/lanes⌉ - 1 cycles plus the latency."""
    rand = rng("stream_throughput")
    tb = await GeluBench.started(dut, rand)
    unit = tb.unit
    n = 64 * unit.lanes * stimulus_repeats()
    values = activations(rand, unit.fmt, n)
    if stimulus_kind() == "zeros":
        values = torch.zeros_like(values)
    tb.send(values, "(full rate)")
    await tb.finish()
    measured = tb.span()
    latency = tb.monitor.received[0][1] - tb.driver.sent[0]
    expected = GeluUnit.stream_cycles(n, unit.lanes)
    assert measured == expected, f"{n} values took {measured} cycles, expected {expected}"
    assert latency == unit.latency, f"latency {latency}, expected {unit.latency}"
    record("stream_throughput", {"values": n, "cycles": measured, "latency": latency})
    Stimulus(unit="element", unit_shape=(), operations=n, cycles=measured, latency=latency,
             initiation_interval=1 / unit.lanes, operation="GeLU of one value",
             description=f"{stimulus_kind()} {n} values at full rate").record()
