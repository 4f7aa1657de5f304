"""cocotb testbench of the MAC lane: driver, monitor, reference model and scoreboard.

Tests
-----
- ``random_stream``: constrained-random dot products (1–6 beats; operands uniform or at
  the extremes), random valid gaps and random ready back-pressure.
- ``corners``: most negative × most negative on every multiplier, the accumulator driven
  exactly to its positive and negative limits and one step past them, all zeros.
- ``tile_throughput``: a tile product at full rate; asserts the measured cycles equal
  ``n_o/M`` plus the latency, and reports them.
"""

import cocotb
import torch

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.operands import operands
from tilewright.cosim.stream import pack, to_signed
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.mac_lane import MacLane
from tilewright.golden.mac_lane import MacLaneModel


class MacLaneBench(StreamBench):
    """Stream bench with :class:`MacLaneModel` as reference model."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "mac_lane", rand, gap, stall)
        self.lane = MacLane(**params())
        self.model = MacLaneModel(self.lane)
        self.layout = MacLane.input_layout(self.lane.multipliers, self.lane.fmt.width)

    def decode(self, word):
        return to_signed(word, self.lane.fmt.width)

    def send_dot(self, a, b, context=""):
        """Queue one dot product given as ``(beats, M)`` operand arrays."""
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        for k in range(a.shape[0]):
            self.driver.append(pack(self.layout, {
                "a": a[k].tolist(), "b": b[k].tolist(), "last": int(k == a.shape[0] - 1)}))
        self.board.expect(self.model.dot(a, b), context)


def pairs_summing_to(target, fmt):
    """Operand pairs whose products add up to ``target`` exactly (greedy, few pairs)."""
    lo, hi = fmt.min_int, fmt.max_int
    pairs, rest = [], abs(target)
    while rest >= lo * lo:
        pairs.append((lo, lo) if target > 0 else (lo, hi))
        if target < 0:
            pairs.append((lo, 1))
        rest -= lo * lo
    while rest:
        b = min(rest // hi, hi)
        pair = (hi, b) if b else (rest, 1)
        rest -= pair[0] * pair[1]
        pairs.append(pair if target > 0 else (-pair[0], pair[1]))
    return pairs


def as_beats(pairs, m):
    pairs = pairs + [(0, 0)] * (-len(pairs) % m)
    t = torch.tensor(pairs, dtype=torch.int64).view(-1, m, 2)
    return t[..., 0], t[..., 1]


@cocotb.test()
async def random_stream(dut):
    """Constrained-random dot products with valid gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await MacLaneBench.started(dut, rand, *random_gaps(rand))
    m, fmt = tb.lane.multipliers, tb.lane.fmt
    count = 200
    for n in range(count):
        beats = rand.randint(1, 6)
        a, b = operands(rand, fmt, (beats, m)), operands(rand, fmt, (beats, m))
        tb.send_dot(a, b, f"(dot #{n}, {beats} beats)")
    await tb.finish()
    tb.record_random_stream(dot_products=count)


@cocotb.test()
async def corners(dut):
    """Directed corners: extremes, accumulator limits and one past them, zeros."""
    rand = rng("corners")
    tb = await MacLaneBench.started(dut, rand, *CORNER_GAPS)
    m, fmt, lane = tb.lane.multipliers, tb.lane.fmt, tb.lane
    lo = fmt.min_int
    full = torch.full((3, m), lo, dtype=torch.int64)
    tb.send_dot(full, full, "(most negative × most negative)")
    tb.send_dot(full[:1], -full[:1] - 1, "(most negative × most positive)")
    acc_max = (1 << (lane.acc_width - 1)) - 1
    for target, name in ((acc_max, "max"), (-acc_max - 1, "min")):
        pairs = pairs_summing_to(target, fmt)
        if len(pairs) > 4096:
            dut._log.info("accumulator limit %s needs %d products: skipped", name, len(pairs))
            continue
        tb.send_dot(*as_beats(pairs, m), f"(accumulator exactly at {name})")
        step = (1, 1) if target > 0 else (-1, 1)
        tb.send_dot(*as_beats(pairs + [step], m), f"(accumulator one past {name})")
    zeros = torch.zeros((2, m), dtype=torch.int64)
    tb.send_dot(zeros, zeros, "(all zeros)")
    tb.send_dot(zeros[:1], operands(rand, fmt, (1, m)), "(zero × random)")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def tile_throughput(dut):
    """A tile product at full rate takes n_o/M - 1 cycles plus the pipeline latency."""
    rand = rng("tile_throughput")
    tb = await MacLaneBench.started(dut, rand)
    lane, fmt = tb.lane, tb.lane.fmt
    x, y, z = 2 * stimulus_repeats(), 4 * lane.multipliers, 3
    w, act = operands(rand, fmt, (x, y)), operands(rand, fmt, (y, z))
    if stimulus_kind() == "zeros":
        w, act = torch.zeros_like(w), torch.zeros_like(act)
    for i in range(x):
        for j in range(z):
            tb.send_dot(*tb.model.beats(w[i], act[:, j]), f"(tile W[{i}]·A[:,{j}])")
    await tb.finish()
    measured = tb.span()
    # the last dot product's last beat to its result
    latency = tb.monitor.received[-1][1] - tb.driver.sent[-1]
    assert latency == lane.latency, f"latency {latency}, expected {lane.latency}"
    n_o = x * y * z
    expected = n_o // lane.multipliers - 1 + lane.latency
    assert measured == expected == MacLane.tile_cycles(x, y, z, lane.multipliers), (
        f"tile of {n_o} multiplications took {measured} cycles, expected "
        f"{n_o}/{lane.multipliers} - 1 + {lane.latency} = {expected}")
    dut._log.info("tile %dx%dx%d: %d multiplications in %d cycles (latency %d)",
                  x, y, z, n_o, measured, lane.latency)
    record("tile_throughput", {"x": x, "y": y, "z": z, "multiplications": n_o,
                               "cycles": measured, "latency": latency,
                               "cycles_per_dot_product": measured / (x * z)})
    Stimulus(unit="mac", unit_shape=(), operations=n_o, cycles=measured, latency=latency,
             initiation_interval=1 / lane.multipliers, operation="multiply-accumulate",
             description=f"{stimulus_kind()} {x}x{y}x{z} tile product at full rate").record()
