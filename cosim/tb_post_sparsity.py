"""cocotb testbench of the post-compute sparsity module (AccelTran §III-B6).

Tests
-----
- ``random_stream``: random zero-free vectors (junk in the unused slots) and masks at
  sparsities 0 %, 50 %, 90 %, 100 % and random; random valid gaps and back-pressure.
- ``corners``: all-zero and all-one masks, alternating masks, extremes.
- ``vector_throughput``: one vector per cycle, latency 1, from the simulation stamps.
"""

import cocotb
import torch

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.sparsity_stimulus import SPARSITIES, random_mask, random_vector
from tilewright.cosim.stream import pack, unpack
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.post_sparsity import PostSparsity
from tilewright.golden.dynatran import mask_bits
from tilewright.golden.sparsity import expand


class PostSparsityBench(StreamBench):
    """Stream bench with the golden :func:`expand` as reference model."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "post_sparsity", rand, gap, stall)
        self.unit = PostSparsity(**params())
        n, width = self.unit.length, self.unit.fmt.width
        self.in_layout = PostSparsity.input_layout(n, width)
        self.out_layout = PostSparsity.output_layout(n, width)

    def decode(self, word):
        return unpack(self.out_layout, word)

    def send(self, zero_free, mask, context=""):
        self.driver.append(pack(self.in_layout, {"data": zero_free.tolist(),
                                                 "mask": mask_bits(mask)}))
        self.board.expect({"data": expand(zero_free, mask).tolist()}, context)


@cocotb.test()
async def random_stream(dut):
    """Random zero-free vectors and masks, gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await PostSparsityBench.started(dut, rand, *random_gaps(rand))
    n, fmt, count = tb.unit.length, tb.unit.fmt, 200
    for k in range(count):
        rho = rand.choice(SPARSITIES)
        tb.send(random_vector(rand, fmt, n), random_mask(rand, n, rho), f"(#{k}, ρ {rho})")
    await tb.finish()
    tb.record_random_stream(vectors=count)


@cocotb.test()
async def corners(dut):
    """All-zero, all-one and alternating masks with extreme values."""
    tb = await PostSparsityBench.started(dut, rng("corners"), *CORNER_GAPS)
    n, fmt = tb.unit.length, tb.unit.fmt
    values = torch.tensor([fmt.min_int if k % 2 else fmt.max_int for k in range(n)])
    odd = torch.tensor([k % 2 == 1 for k in range(n)])
    for mask, name in ((torch.zeros(n, dtype=torch.bool), "no mask"),
                       (torch.ones(n, dtype=torch.bool), "all masked"),
                       (odd, "odd masked"), (~odd, "even masked")):
        tb.send(values, mask, f"({name})")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def vector_throughput(dut):
    """One vector per cycle, each valid one cycle after acceptance."""
    rand = rng("vector_throughput")
    tb = await PostSparsityBench.started(dut, rand)
    n, fmt, vectors = tb.unit.length, tb.unit.fmt, 32 * stimulus_repeats()
    for k in range(vectors):
        values = random_vector(rand, fmt, n)
        if stimulus_kind() == "zeros":
            values = torch.zeros_like(values)
        tb.send(values, random_mask(rand, n, 0.5), f"(#{k})")
    await tb.finish()
    latencies, measured = tb.latencies(), tb.span()
    assert latencies == {tb.unit.latency}, f"latencies {sorted(latencies)}"
    assert measured == vectors, f"{vectors} vectors took {measured} cycles, not one per cycle"
    record("vector_throughput", {"vectors": vectors, "cycles": measured,
                                 "latency": tb.unit.latency})
    Stimulus(unit="vector", unit_shape=(n,), operations=vectors, cycles=measured,
             latency=tb.unit.latency, initiation_interval=1,
             operation=f"zero-free compaction of a vector of {n}",
             description=f"{stimulus_kind()} vectors, 50 % masks, at full rate").record()
