"""cocotb testbench of the pre-compute sparsity module (AccelTran Fig. 8).

Tests
-----
- ``random_stream``: random dense vectors and masks at sparsities 0 %, 50 %, 90 %, 100 %
  and random, compressed to zero-free form with junk in the unused slots (which the
  module must ignore); random valid gaps and ready back-pressure.
- ``corners``: all-zero and all-one masks on either side, disjoint masks, extremes.
- ``vector_throughput``: vector pairs at full rate; asserts one pair per cycle and the
  latency from the simulation stamps.
"""

import cocotb
import torch

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.sparsity_stimulus import (pair_word, random_mask, random_vector,
                                                 send_random_pairs)
from tilewright.cosim.stream import unpack
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.pre_sparsity import PreSparsity
from tilewright.golden.dynatran import mask_bits
from tilewright.golden.sparsity import pre_sparsity


class PreSparsityBench(StreamBench):
    """Stream bench with the golden :func:`pre_sparsity` as reference model."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "pre_sparsity", rand, gap, stall)
        self.unit = PreSparsity(**params())
        n, width = self.unit.length, self.unit.fmt.width
        self.in_layout = PreSparsity.input_layout(n, width)
        self.out_layout = PreSparsity.output_layout(n, width)

    def decode(self, word):
        return unpack(self.out_layout, word)

    def send(self, a_dense, a_mask, b_dense, b_mask, context=""):
        word, a, b = pair_word(self.rand, self.unit.fmt, self.in_layout,
                               a_dense, a_mask, b_dense, b_mask)
        self.driver.append(word)
        a_eff, b_eff, mask, count = pre_sparsity(a, a_mask, b, b_mask)
        self.board.expect({"a": a_eff.tolist(), "b": b_eff.tolist(),
                           "mask": mask_bits(mask), "count": count}, context)


@cocotb.test()
async def random_stream(dut):
    """Random vectors and masks at several sparsities, gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await PreSparsityBench.started(dut, rand, *random_gaps(rand))
    count = 200
    send_random_pairs(tb, count, "pair")
    await tb.finish()
    tb.record_random_stream(vector_pairs=count)


@cocotb.test()
async def corners(dut):
    """All-zero and all-one masks, disjoint masks, extreme values."""
    tb = await PreSparsityBench.started(dut, rng("corners"), *CORNER_GAPS)
    n, fmt = tb.unit.length, tb.unit.fmt
    none, every = torch.zeros(n, dtype=torch.bool), torch.ones(n, dtype=torch.bool)
    low = torch.full((n,), fmt.min_int, dtype=torch.int64)
    high = torch.full((n,), fmt.max_int, dtype=torch.int64)
    odd = torch.tensor([k % 2 == 1 for k in range(n)])
    for a_mask, b_mask, name in ((none, none, "all effectual"), (every, every, "all masked"),
                                 (none, every, "b masked"), (every, none, "a masked"),
                                 (odd, ~odd, "disjoint"), (odd, odd, "same")):
        tb.send(low, a_mask, high, b_mask, f"({name})")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def vector_throughput(dut):
    """Vector pairs at full rate: one per cycle, each valid one cycle after acceptance."""
    rand = rng("vector_throughput")
    tb = await PreSparsityBench.started(dut, rand)
    n, fmt = tb.unit.length, tb.unit.fmt
    pairs = 32 * stimulus_repeats()
    for k in range(pairs):
        a, b = random_vector(rand, fmt, n), random_vector(rand, fmt, n)
        if stimulus_kind() == "zeros":
            a, b = torch.zeros_like(a), torch.zeros_like(b)
        tb.send(a, random_mask(rand, n, 0.5), b, random_mask(rand, n, 0.5), f"(pair #{k})")
    await tb.finish()
    latencies, measured = tb.latencies(), tb.span()
    assert latencies == {tb.unit.latency}, f"latencies {sorted(latencies)}"
    assert measured == pairs, f"{pairs} pairs took {measured} cycles, not one per cycle"
    record("vector_throughput", {"vector_pairs": pairs, "cycles": measured,
                                 "latency": tb.unit.latency})
    Stimulus(unit="vector", unit_shape=(n,), operations=pairs, cycles=measured,
             latency=tb.unit.latency, initiation_interval=1,
             operation=f"mask alignment of a vector pair of {n}",
             description=f"{stimulus_kind()} vector pairs, 50 % masks, at full "
                         f"rate").record()
