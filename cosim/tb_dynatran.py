"""cocotb testbench of the DynaTran / DynaProp module: driver, monitor, golden model,
scoreboard.

Tests
-----
- ``random_stream``: constrained-random tiles and thresholds (0, the format maximum, equal
  to a magnitude in the tile, random), random transpose bits, curve (re)loads in
  calculator mode; random valid gaps and ready back-pressure.
- ``corners``: no curve loaded (τ = 0), most negative values at τ = |min| and |min| + 1,
  all zeros, all pruned, look-up ties and requests above every point.
- ``tile_throughput``: tiles at full rate; asserts from the stamps that every tile leaves
  exactly one cycle after it was accepted (one-cycle pruning) and one tile per cycle.
"""

import cocotb
import torch
from cocotb.triggers import RisingEdge

from tilewright.cosim.bench import (PERIOD_NS, Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.operands import operands
from tilewright.cosim.stream import StreamDriver, pack, unpack
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.dynatran import DynaTran
from tilewright.golden.dynatran import DynaTranModel


class DynaTranBench(StreamBench):
    """Stream bench with :class:`DynaTranModel` as reference model, and in calculator mode
    a second driver that loads the transfer curve."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "dynatran", rand, gap, stall)
        self.unit = DynaTran(**params())
        self.model = DynaTranModel(self.unit)
        self.in_layout, self.out_layout = self.unit.input_layout(), self.unit.output_layout()
        self.loader = None
        if self.unit.threshold == "calculator":
            self.loader = StreamDriver(dut, "load", dut.clk, PERIOD_NS, rand, gap)
            self.drivers.append(self.loader)

    def decode(self, word):
        return unpack(self.out_layout, word)

    def send(self, tile, tau=0, rho=0, transpose=False, context=""):
        unit = self.unit
        fields = {"tile": torch.as_tensor(tile).flatten().tolist()}
        if unit.threshold == "input":
            fields["tau"] = tau
        else:
            fields["rho"] = rho
        if unit.transpose:
            fields["transpose"] = int(transpose)
        else:
            transpose = False
        self.driver.append(pack(self.in_layout, fields))
        self.board.expect(self.model.word(tile, tau=tau, rho=rho, transpose=transpose),
                          context)

    async def load(self, points):
        """Load ``[(index, rho, tau), ...]`` once no tile is in flight, then update the
        model (a load never overlaps a tile, so the order is unambiguous)."""
        await self.drain()
        for index, rho, tau in points:
            self.loader.append(pack(self.unit.load_layout(),
                                    {"index": index, "rho": rho, "tau": tau}))
            self.model.load(index, rho, tau)
        await self.drain()
        await RisingEdge(self.dut.clk)


def random_tile(rand, unit):
    return operands(rand, unit.fmt, unit.shape, extreme_share=0.2)


def random_tau(rand, unit, tile):
    fmt = unit.fmt
    kind = rand.random()
    if kind < 0.15:
        return 0
    if kind < 0.3:
        return fmt.max_int
    if kind < 0.6:
        return abs(rand.choice(tile.flatten().tolist()))     # |v| = τ is kept
    return rand.randint(0, (1 << fmt.width) - 1)


def random_curve(rand, unit, count):
    top = (1 << unit.rho_bits) - 1
    return [(rand.randrange(unit.curve_points), rand.randint(0, top),
             rand.randint(0, (1 << unit.fmt.width) - 1)) for _ in range(count)]


@cocotb.test()
async def random_stream(dut):
    """Constrained-random tiles, thresholds and transposes with gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await DynaTranBench.started(dut, rand, *random_gaps(rand))
    unit, count = tb.unit, 0
    for phase in range(3):
        if unit.threshold == "calculator":
            await tb.load(random_curve(rand, unit, rand.randint(1, 2 * unit.curve_points)))
        for n in range(60):
            tile = random_tile(rand, unit)
            tb.send(tile, tau=random_tau(rand, unit, tile),
                    rho=rand.randint(0, (1 << unit.rho_bits) - 1),
                    transpose=rand.random() < 0.5, context=f"(phase {phase}, tile #{n})")
            count += 1
    await tb.finish()
    tb.record_random_stream(tiles=count)


@cocotb.test()
async def corners(dut):
    """Directed corners of the comparators and of the threshold look-up."""
    rand = rng("corners")
    tb = await DynaTranBench.started(dut, rand, *CORNER_GAPS)
    unit, fmt = tb.unit, tb.unit.fmt
    shape = unit.shape
    lowest = torch.full(shape, fmt.min_int, dtype=torch.int64)
    mixed = random_tile(rand, unit)
    if unit.threshold == "input":
        magnitude = 1 << (fmt.width - 1)
        tb.send(lowest, tau=magnitude, context="(most negative, τ = |min|: kept)")
        tb.send(lowest, tau=magnitude + 1, context="(most negative, τ = |min| + 1: pruned)")
        tb.send(-lowest - 1, tau=fmt.max_int, context="(most positive, τ = max: kept)")
        tb.send(torch.zeros(shape, dtype=torch.int64), tau=0, context="(zeros, τ = 0)")
        tb.send(torch.zeros(shape, dtype=torch.int64), tau=1, context="(zeros, τ = 1)")
        tb.send(mixed, tau=(1 << fmt.width) - 1, context="(τ = all ones: all pruned)")
        tb.send(mixed, tau=0, transpose=True, context="(τ = 0: nothing pruned)")
        for v in mixed.flatten().tolist()[:4]:
            tb.send(mixed, tau=abs(v), transpose=True, context=f"(τ = |{v}|)")
    else:
        top = (1 << unit.rho_bits) - 1
        tb.send(mixed, rho=top, context="(no curve loaded: τ = 0)")
        last = unit.curve_points - 1
        await tb.load([(0, top // 2, 5), (last, top // 2, 9)])
        tb.send(mixed, rho=top // 2, context="(tie on ρ: lowest index)")
        tb.send(mixed, rho=0, context="(request below every point)")
        tb.send(mixed, rho=top, context="(request above every point: largest ρ)")
        await tb.load([(last, top, (1 << fmt.width) - 1), (0, 0, 0)])
        tb.send(lowest, rho=top, transpose=True, context="(100 %: all pruned)")
        tb.send(lowest, rho=1 if top > 1 else 0, context="(nearest at or above)")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def tile_throughput(dut):
    """Tiles at full rate: each pruned tile is valid one cycle after acceptance."""
    rand = rng("tile_throughput")
    tb = await DynaTranBench.started(dut, rand)
    unit = tb.unit
    if unit.threshold == "calculator":
        await tb.load(random_curve(rand, unit, unit.curve_points))
    first = len(tb.driver.sent)
    tiles = 32 * stimulus_repeats()
    for n in range(tiles):
        tile = random_tile(rand, unit)
        if stimulus_kind() == "zeros":
            tile = torch.zeros_like(tile)
        tb.send(tile, tau=random_tau(rand, unit, tile),
                rho=rand.randint(0, (1 << unit.rho_bits) - 1), transpose=bool(n % 2),
                context=f"(tile #{n})")
    await tb.finish()
    accepted = tb.driver.sent[first:]
    delivered = [cycle for _, cycle in tb.monitor.received[-tiles:]]
    # stamps are the edges of the transfers: accepted at edge e, valid after e, taken at e + 1
    latencies = {out - acc for acc, out in zip(accepted, delivered)}
    measured = tb.span(first)
    assert latencies == {unit.latency}, (
        f"pruned tiles were not valid one cycle after acceptance: {sorted(latencies)}")
    assert measured == tiles, f"{tiles} tiles took {measured} cycles, not one per cycle"
    comparisons = tiles * unit.elements
    record("tile_throughput", {"tiles": tiles, "cycles": measured, "latency": unit.latency,
                               "comparisons": comparisons})
    Stimulus(unit="tile", unit_shape=unit.shape, operations=tiles, cycles=measured,
             latency=unit.latency, initiation_interval=1,
             operation="pruning of one tile (a magnitude comparison per element)",
             description=f"{stimulus_kind()} {'x'.join(map(str, unit.shape))} tiles at "
                         f"full rate").record()
