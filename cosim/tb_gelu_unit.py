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

from tilewright.cosim.bench import PERIOD_NS, params, record, rng, start, stimulus_kind
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor, pack, to_signed
from tilewright.gen.gelu import GeluPWL
from tilewright.gen.gelu_unit import GeluUnit
from tilewright.golden.gelu import gelu_pwl


class GeluBench:
    """Wires a driver, a monitor and the golden model to a scoreboard."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        self.unit = GeluUnit(**params())
        width = self.unit.fmt.width
        self.layout = data.ArrayLayout(signed(width), self.unit.lanes)
        self.board = Scoreboard("gelu_unit", dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.monitor = StreamMonitor(
            dut, "o", dut.clk, PERIOD_NS, rand, stall,
            callback=lambda word, cycle: self.board.observe(
                tuple(to_signed(word >> (k * width), width) for k in range(self.unit.lanes)),
                cycle))
        self.dut = dut

    async def start(self):
        await start(self.dut)
        cocotb.start_soon(self.driver.run())
        cocotb.start_soon(self.monitor.run())

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

    async def drain(self, timeout_cycles=100_000):
        for _ in range(timeout_cycles):
            if self.driver.idle() and not self.board.expected:
                return
            await cocotb.triggers.RisingEdge(self.dut.clk)
        raise AssertionError("timed out waiting for outputs")


def activations(rand, fmt, n):
    gen = torch.Generator().manual_seed(rand.randrange(2**31))
    kind = rand.random()
    if kind < 0.6:
        x = torch.randn(n, generator=gen, dtype=torch.float64) * rand.choice([0.5, 1.5, 4.0])
        return fmt.quantize(x)
    if kind < 0.9:
        return torch.randint(fmt.min_int, fmt.max_int + 1, (n,), generator=gen)
    return torch.tensor([rand.choice([fmt.min_int, fmt.max_int, 0, -1, 1]) for _ in range(n)])


@cocotb.test()
async def random_stream(dut):
    """Constrained-random beats with valid gaps and back-pressure."""
    rand = rng("random_stream")
    gap, stall = rand.choice([0.0, 0.3, 0.6]), rand.choice([0.0, 0.3, 0.6])
    tb = GeluBench(dut, rand, gap=gap, stall=stall)
    await tb.start()
    beats = sum(tb.send(activations(rand, tb.unit.fmt, tb.unit.lanes * rand.randint(1, 8)),
                        f"(burst #{n})") for n in range(40))
    await tb.drain()
    tb.board.check()
    record("random_stream", {"beats": beats, "compared": tb.board.compared,
                             "mismatches": len(tb.board.mismatches), "gap": gap,
                             "stall": stall})


@cocotb.test()
async def corners(dut):
    """Segment boundaries ±1 LSB, domain edges, extremes."""
    tb = GeluBench(dut, rng("corners"), gap=0.2, stall=0.2)
    await tb.start()
    fmt = tb.unit.fmt
    r, shift, count = GeluPWL.geometry(fmt, tb.unit.segments)
    starts = torch.tensor([-(1 << r) + (i << shift) for i in range(count + 1)])
    values = torch.cat([starts - 1, starts, starts + 1,
                        torch.tensor([fmt.min_int, fmt.max_int, 0, -1, 1])])
    tb.send(values.clamp(fmt.min_int, fmt.max_int), "(segment boundaries and extremes)")
    await tb.drain()
    tb.board.check()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def stream_throughput(dut):
    """Beats at full rate: ⌈n/lanes⌉ cycles plus the latency."""
    rand = rng("stream_throughput")
    tb = GeluBench(dut, rand)
    await tb.start()
    unit = tb.unit
    n = 64 * unit.lanes
    values = activations(rand, unit.fmt, n)
    if stimulus_kind() == "zeros":
        values = torch.zeros_like(values)
    tb.send(values, "(full rate)")
    await tb.drain()
    tb.board.check()
    measured = tb.monitor.received[-1][1] - tb.driver.sent[0]
    latency = tb.monitor.received[0][1] - tb.driver.sent[0] - 1
    expected = GeluUnit.stream_cycles(n, unit.lanes)
    assert measured == expected, f"{n} values took {measured} cycles, expected {expected}"
    assert latency == unit.latency, f"latency {latency}, expected {unit.latency}"
    record("stream_throughput", {"values": n, "cycles": measured, "latency": latency})
    record("stimulus", {"operations": n, "operation": "GeLU of one value", "cycles": measured,
                        "latency": latency, "initiation_interval": 1 / unit.lanes,
                        "description": f"{stimulus_kind()} {n} values at full rate"})
