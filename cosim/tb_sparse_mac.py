"""cocotb testbench of the sparse MAC path (pre-compute sparsity → MAC lane).

Tests
-----
- ``random_stream``: random dot products at sparsities 0 %, 50 %, 90 %, 100 % and random
  (independent masks; junk in unused zero-free slots); random valid gaps and back-pressure.
- ``corners``: all-zero and all-one masks, extremes that saturate the accumulator.
- ``sparsity_cycles``: for sparsities 0 %, 50 %, 90 %, 100 % (same mask on both operands,
  so ``c = (1 − ρ)·n``), a stream of dot products at full rate; asserts that the measured
  cycles equal ``Σ max(1, ⌈c/M⌉) - 1`` plus the latency and shrink as ρ grows.
"""

import cocotb
import torch

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.sparsity_stimulus import (pair_word, random_mask, random_vector,
                                                 send_random_pairs)
from tilewright.cosim.stream import to_signed
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.pre_sparsity import PreSparsity
from tilewright.gen.sparse_mac import SparseMac
from tilewright.golden.sparse_mac import SparseMacModel


class SparseMacBench(StreamBench):
    """Stream bench with :class:`SparseMacModel` as reference model."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "sparse_mac", rand, gap, stall)
        self.unit = SparseMac(**params())
        self.model = SparseMacModel(self.unit)
        self.layout = PreSparsity.input_layout(self.unit.length, self.unit.fmt.width)

    def decode(self, word):
        return to_signed(word, self.unit.fmt.width)

    def send(self, a_dense, a_mask, b_dense, b_mask, context=""):
        """Queue one dot product; returns its lane beats ``max(1, ⌈c/M⌉)``."""
        word, a, b = pair_word(self.rand, self.unit.fmt, self.layout,
                               a_dense, a_mask, b_dense, b_mask)
        self.driver.append(word)
        self.board.expect(self.model.dot(a, a_mask, b, b_mask), context)
        return self.model.beats(a, a_mask, b, b_mask)[0].shape[0]


@cocotb.test()
async def random_stream(dut):
    """Random dot products at several sparsities with gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await SparseMacBench.started(dut, rand, *random_gaps(rand))
    count = 150
    send_random_pairs(tb, count, "dot")
    await tb.finish()
    tb.record_random_stream(dot_products=count)


@cocotb.test()
async def corners(dut):
    """All-zero / all-one masks and saturating extremes."""
    tb = await SparseMacBench.started(dut, rng("corners"), *CORNER_GAPS)
    n, fmt = tb.unit.length, tb.unit.fmt
    none, every = torch.zeros(n, dtype=torch.bool), torch.ones(n, dtype=torch.bool)
    low = torch.full((n,), fmt.min_int, dtype=torch.int64)
    for a_mask, b_mask, name in ((none, none, "all-zero masks"), (every, every, "all-one masks"),
                                 (none, every, "b all masked"), (every, none, "a all masked")):
        tb.send(low, a_mask, low, b_mask, f"(min × min, {name})")
        tb.send(low, a_mask, -low - 1, b_mask, f"(min × max, {name})")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def sparsity_cycles(dut):
    """Measured cycles of a dot-product stream scale with the effectual pairs."""
    rand = rng("sparsity_cycles")
    tb = await SparseMacBench.started(dut, rand)
    unit, n, fmt = tb.unit, tb.unit.length, tb.unit.fmt
    dots, measured = 16 * stimulus_repeats(), {}
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
        await tb.finish()
        assert len(tb.monitor.received) - first_out == dots
        cycles = tb.span(first_in)
        assert cycles == beats - 1 + unit.latency, (
            f"ρ {rho}: {dots} dot products ({pairs} effectual pairs, {beats} beats) took "
            f"{cycles} cycles, expected {beats} - 1 + {unit.latency}")
        measured[rho] = {"cycles": cycles, "effectual_pairs": pairs, "beats": beats}
        dut._log.info("ρ %.1f: %d effectual pairs in %d cycles", rho, pairs, cycles)
    cycles = [measured[rho]["cycles"] for rho in (0.0, 0.5, 0.9, 1.0)]
    assert cycles == sorted(cycles, reverse=True), f"cycles do not fall with sparsity: {cycles}"
    record("sparsity_cycles", {"dot_products_per_sparsity": dots, "latency": unit.latency,
                               "by_sparsity": {str(k): v for k, v in measured.items()}})
    # the energy is that of the whole run, so the operations are those of all four phases
    Stimulus(unit="mac", unit_shape=(),
             operations=sum(m["effectual_pairs"] for m in measured.values()),
             cycles=sum(m["cycles"] for m in measured.values()), latency=unit.latency,
             initiation_interval=1 / unit.multipliers,
             operation="effectual multiply-accumulate",
             description=f"{stimulus_kind()} {dots} dot products of {n} at each of 0, 50, 90 "
                         f"and 100 % sparsity, full rate").record()
