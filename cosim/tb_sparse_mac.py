"""cocotb testbench of the sparse MAC path (pre-compute sparsity → MAC lane).

Tests
-----
- ``random_stream``: random dot products at sparsities 0 %, 50 %, 90 %, 100 % and random
  (independent masks; junk in unused zero-free slots); random valid gaps and back-pressure.
- ``corners``: all-zero and all-one masks, extremes that saturate the accumulator.
- ``sparsity_cycles``: for sparsities 0 %, 50 %, 90 %, 100 % (same mask on both operands,
  so ``c = (1 − ρ)·n``), a stream of dot products at full rate; asserts that the measured
  cycles equal ``Σ max(1, ⌈c/M⌉)`` plus the latency and shrink as ρ grows.
"""

import cocotb
import torch

from tilewright.cosim.bench import PERIOD_NS, params, record, rng, start, stimulus_kind
from tilewright.cosim.scoreboard import Scoreboard
from tilewright.cosim.stream import StreamDriver, StreamMonitor, pack, to_signed
from tilewright.cosim.tb_dynatran import drain
from tilewright.cosim.tb_pre_sparsity import SPARSITIES, random_mask, random_vector, zero_free
from tilewright.gen.pre_sparsity import PreSparsity
from tilewright.gen.sparse_mac import SparseMac
from tilewright.golden.dynatran import mask_bits
from tilewright.golden.sparse_mac import SparseMacModel


class SparseMacBench:
    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        self.unit = SparseMac(**params())
        self.model = SparseMacModel(self.unit)
        width = self.unit.fmt.width
        self.layout = PreSparsity.input_layout(self.unit.length, width)
        self.board = Scoreboard("sparse_mac", dut._log)
        self.driver = StreamDriver(dut, "i", dut.clk, PERIOD_NS, rand, gap)
        self.monitor = StreamMonitor(
            dut, "o", dut.clk, PERIOD_NS, rand, stall,
            callback=lambda word, cycle: self.board.observe(to_signed(word, width), cycle))
        self.dut, self.rand = dut, rand

    async def start(self):
        await start(self.dut)
        cocotb.start_soon(self.driver.run())
        cocotb.start_soon(self.monitor.run())

    def send(self, a_dense, a_mask, b_dense, b_mask, context=""):
        """Queue one dot product; returns its lane beats ``max(1, ⌈c/M⌉)``."""
        fmt = self.unit.fmt
        a = zero_free(self.rand, fmt, a_dense, a_mask)
        b = zero_free(self.rand, fmt, b_dense, b_mask)
        self.driver.append(pack(self.layout, {"a": a.tolist(), "a_mask": mask_bits(a_mask),
                                              "b": b.tolist(), "b_mask": mask_bits(b_mask)}))
        self.board.expect(self.model.dot(a, a_mask, b, b_mask), context)
        return self.model.beats(a, a_mask, b, b_mask)[0].shape[0]

    async def drain(self):
        await drain(self.dut, [self.driver], self.board)


@cocotb.test()
async def random_stream(dut):
    """Random dot products at several sparsities with gaps and back-pressure."""
    rand = rng("random_stream")
    gap, stall = rand.choice([0.0, 0.3, 0.6]), rand.choice([0.0, 0.3, 0.6])
    tb = SparseMacBench(dut, rand, gap=gap, stall=stall)
    await tb.start()
    n, fmt, count = tb.unit.length, tb.unit.fmt, 150
    for k in range(count):
        rho_a, rho_b = rand.choice(SPARSITIES), rand.choice(SPARSITIES)
        tb.send(random_vector(rand, fmt, n), random_mask(rand, n, rho_a),
                random_vector(rand, fmt, n), random_mask(rand, n, rho_b),
                f"(dot #{k}, ρ_a {rho_a}, ρ_b {rho_b})")
    await tb.drain()
    tb.board.check()
    record("random_stream", {"dot_products": count, "compared": tb.board.compared,
                             "mismatches": len(tb.board.mismatches), "gap": gap,
                             "stall": stall})


@cocotb.test()
async def corners(dut):
    """All-zero / all-one masks and saturating extremes."""
    rand = rng("corners")
    tb = SparseMacBench(dut, rand, gap=0.2, stall=0.2)
    await tb.start()
    n, fmt = tb.unit.length, tb.unit.fmt
    none, every = torch.zeros(n, dtype=torch.bool), torch.ones(n, dtype=torch.bool)
    low = torch.full((n,), fmt.min_int, dtype=torch.int64)
    for a_mask, b_mask, name in ((none, none, "all-zero masks"), (every, every, "all-one masks"),
                                 (none, every, "b all masked"), (every, none, "a all masked")):
        tb.send(low, a_mask, low, b_mask, f"(min × min, {name})")
        tb.send(low, a_mask, -low - 1, b_mask, f"(min × max, {name})")
    await tb.drain()
    tb.board.check()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def sparsity_cycles(dut):
    """Measured cycles of a dot-product stream scale with the effectual pairs."""
    rand = rng("sparsity_cycles")
    tb = SparseMacBench(dut, rand)
    await tb.start()
    unit, n, fmt = tb.unit, tb.unit.length, tb.unit.fmt
    dots, measured = 16, {}
    for rho in (0.0, 0.5, 0.9, 1.0):
        first_in, first_out = len(tb.driver.sent), len(tb.monitor.received)
        beats = pairs = 0
        for k in range(dots):
            mask = random_mask(rand, n, rho)
            a, b = random_vector(rand, fmt, n), random_vector(rand, fmt, n)
            if stimulus_kind() == "zeros":
                a, b = torch.zeros_like(a), torch.zeros_like(b)
            beats += tb.send(a, mask, b, mask, f"(ρ {rho}, dot #{k})")
            pairs += int((~mask).sum())
        await tb.drain()
        tb.board.check()
        assert len(tb.monitor.received) - first_out == dots
        cycles = tb.monitor.received[-1][1] - tb.driver.sent[first_in]
        assert cycles == beats + unit.latency, (
            f"ρ {rho}: {dots} dot products ({pairs} effectual pairs, {beats} beats) took "
            f"{cycles} cycles, expected {beats} + {unit.latency}")
        measured[rho] = {"cycles": cycles, "effectual_pairs": pairs, "beats": beats}
        dut._log.info("ρ %.1f: %d effectual pairs in %d cycles", rho, pairs, cycles)
    cycles = [measured[rho]["cycles"] for rho in (0.0, 0.5, 0.9, 1.0)]
    assert cycles == sorted(cycles, reverse=True), f"cycles do not fall with sparsity: {cycles}"
    record("sparsity_cycles", {"dot_products_per_sparsity": dots, "latency": unit.latency,
                               "by_sparsity": {str(k): v for k, v in measured.items()}})
    half = measured[0.5]
    record("stimulus", {"operations": half["effectual_pairs"],
                        "operation": "effectual multiply-accumulate",
                        "cycles": half["cycles"], "latency": unit.latency,
                        "initiation_interval": 1 / unit.multipliers,
                        "description": f"{stimulus_kind()} {dots} dot products of {n} at "
                                       f"50 % sparsity, full rate"})
