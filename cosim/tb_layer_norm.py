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

from tilewright.cosim.bench import (Stimulus, params, record, rng, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.stream import pack, to_signed
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.layer_norm import LayerNorm
from tilewright.golden.fixed import quantize
from tilewright.golden.layer_norm import layer_norm_fixed


class LayerNormBench(StreamBench):
    """Stream bench with :func:`layer_norm_fixed` as reference model."""

    timeout_cycles = 1_000_000

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "layer_norm", rand, gap, stall)
        self.unit = LayerNorm(**params())
        self.layout = LayerNorm.input_layout(self.unit.fmt.width)

    def decode(self, word):
        return to_signed(word, self.unit.fmt.width)

    def send(self, x, gamma, beta, context=""):
        fmt = self.unit.fmt
        want = layer_norm_fixed(x, gamma, beta, fmt.fl, fmt.width)
        for xi, gi, bi, yi in zip(x.tolist(), gamma.tolist(), beta.tolist(), want.tolist()):
            self.driver.append(pack(self.layout, {"x": xi, "gamma": gi, "beta": bi}))
            self.board.expect(yi, context)


def vector(rand, fmt, n):
    """``(x, γ, β)``: Gaussian activations (60 %), uniform (25 %) or near-constant."""
    gen = torch.Generator().manual_seed(rand.randrange(2**31))
    kind = rand.random()
    if kind < 0.6:
        x = quantize(fmt, rand.uniform(-1, 1) + rand.choice([0.1, 1.0, 3.0])
                         * torch.randn(n, generator=gen, dtype=torch.float64))
    elif kind < 0.85:
        x = torch.randint(fmt.min_int, fmt.max_int + 1, (n,), generator=gen)
    else:
        x = rand.randint(fmt.min_int, fmt.max_int - 2) + torch.randint(0, 3, (n,), generator=gen)
    gamma = quantize(fmt, 1 + 0.3 * torch.randn(n, generator=gen, dtype=torch.float64))
    beta = quantize(fmt, 0.3 * torch.randn(n, generator=gen, dtype=torch.float64))
    return x, gamma, beta


@cocotb.test()
async def random_stream(dut):
    """Constrained-random vectors with valid gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await LayerNormBench.started(dut, rand, *random_gaps(rand))
    count = max(3, min(40, 2000 // tb.unit.n))
    for k in range(count):
        tb.send(*vector(rand, tb.unit.fmt, tb.unit.n), f"(vector #{k})")
    await tb.finish()
    tb.record_random_stream(vectors=count)


@cocotb.test()
async def corners(dut):
    """Zero variance, alternating extremes, one outlier, extreme γ and β."""
    tb = await LayerNormBench.started(dut, rng("corners"), *CORNER_GAPS)
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
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def vector_throughput(dut):
    """Vectors back to back at full rate take vector_cycles each; latency as stated."""
    rand = rng("vector_throughput")
    tb = await LayerNormBench.started(dut, rand)
    unit = tb.unit
    count = 4 * stimulus_repeats()
    for k in range(count):
        x, g, b = vector(rand, unit.fmt, unit.n)
        if stimulus_kind() == "zeros":
            x, g, b = (torch.zeros_like(v) for v in (x, g, b))
        tb.send(x, g, b, f"(vector #{k} at full rate)")
    await tb.finish()
    n, latency = unit.n, unit.latency
    expected = LayerNorm.vector_cycles(n, unit.fmt.il, unit.fmt.fl)
    assert unit.cycles_per_vector == expected, (
        f"cycles_per_vector {unit.cycles_per_vector}, vector_cycles {expected}")
    measured = tb.check_vectors(n, count, expected, latency)
    record("vector_throughput", {"vectors": count, "n": n, "cycles": measured,
                                 "cycles_per_vector": expected, "latency": latency})
    Stimulus(unit="vector", unit_shape=(n,), operations=count, cycles=measured,
             latency=latency, initiation_interval=expected,
             operation="layer norm of one vector",
             description=f"{stimulus_kind()} {count} vectors of n={n} at full rate").record()
