"""cocotb testbench of the multiplier block: driver, monitor, golden model, scoreboard.

Tests
-----
- ``random_stream``: constrained-random operand pairs (uniform, small, extremes), random
  valid gaps and random ready back-pressure, against :func:`approx_multiply`.
- ``corners``: every pair of {most negative, most positive, 0, ±1, powers of two ±}.
- ``throughput``: operand pairs at full rate; asserts one product per cycle plus the
  measured latency of 1, and reports it (the block's stimulus).
- ``table``: only when ``TILEWRIGHT_TABLE`` names an output file: drives all ``2**(2n)``
  operand pairs at full rate in table order and saves the products there (``.npy``) —
  the behaviour extraction of :mod:`tilewright.flows.multiplier_table`.
"""

import os
import time

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from tilewright.cosim.bench import (Stimulus, params, record, rng, start, stimulus_kind,
                                    stimulus_repeats)
from tilewright.cosim.stream import pack, to_signed
from tilewright.cosim.stream_bench import CORNER_GAPS, StreamBench, random_gaps
from tilewright.gen.multiplier import Multiplier
from tilewright.golden.multiplier import approx_multiply


class MultiplierBench(StreamBench):
    """Stream bench with :func:`approx_multiply` as reference model."""

    def __init__(self, dut, rand, gap=0.0, stall=0.0):
        super().__init__(dut, "multiplier", rand, gap, stall)
        self.mul = Multiplier(**params())
        self.layout = Multiplier.input_layout(self.mul.bits)

    def decode(self, word):
        return to_signed(word, 2 * self.mul.bits)

    def send(self, a, b, context=""):
        mul = self.mul
        self.driver.append(pack(self.layout, {"a": a, "b": b}))
        self.board.expect(int(approx_multiply(a, b, mul.kind, mul.bits, mul.k)),
                          f"({a} × {b}) {context}")


def operand(rand, bits):
    """30 % extremes, otherwise uniform within ``±2**j`` for a random ``j``."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if rand.random() < 0.3:
        return rand.choice([lo, hi, 0, 1, -1, lo + 1])
    bound = 1 << rand.randint(0, bits - 1)
    return rand.randint(max(lo, -bound), min(hi, bound))


@cocotb.test()
async def random_stream(dut):
    """Constrained-random operand pairs with valid gaps and back-pressure."""
    rand = rng("random_stream")
    tb = await MultiplierBench.started(dut, rand, *random_gaps(rand))
    count = 1000
    for _ in range(count):
        tb.send(operand(rand, tb.mul.bits), operand(rand, tb.mul.bits))
    await tb.finish()
    tb.record_random_stream(products=count)


@cocotb.test()
async def corners(dut):
    """All pairs of extremes, zero, ±1 and ±powers of two."""
    tb = await MultiplierBench.started(dut, rng("corners"), *CORNER_GAPS)
    bits = tb.mul.bits
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    values = sorted({lo, hi, 0, 1, -1, lo + 1, *(s * (1 << j) for j in range(bits - 1)
                                                 for s in (1, -1))})
    for a in values:
        for b in values:
            tb.send(a, b, "(corner)")
    await tb.finish()
    record("corners", {"compared": tb.board.compared})


@cocotb.test()
async def throughput(dut):
    """Products at full rate: one per cycle after a latency of one cycle."""
    rand = rng("throughput")
    tb = await MultiplierBench.started(dut, rand)
    bits, count = tb.mul.bits, 256 * stimulus_repeats()
    zeros = stimulus_kind() == "zeros"
    for _ in range(count):
        a, b = (0, 0) if zeros else (operand(rand, bits), operand(rand, bits))
        tb.send(a, b, "(full rate)")
    await tb.finish()
    first_latency = tb.monitor.received[0][1] - tb.driver.sent[0]
    cycles = tb.span()
    assert first_latency == tb.mul.latency, (
        f"latency measured {first_latency} cycles, expected {tb.mul.latency}")
    assert cycles == count - 1 + tb.mul.latency, (
        f"{count} products took {cycles} cycles, expected {count - 1} + {tb.mul.latency}")
    record("throughput", {"products": count, "cycles": cycles, "latency": first_latency})
    Stimulus(unit="product", unit_shape=(), operations=count, cycles=cycles,
             latency=first_latency, initiation_interval=1, operation="multiplication",
             description=f"{stimulus_kind()} operand pairs at full rate").record()


@cocotb.test(skip=not os.environ.get("TILEWRIGHT_TABLE"))
async def table(dut):
    """Every operand pair at full rate, in table order; products saved as .npy."""
    mul = Multiplier(**params())
    bits = mul.bits
    layout = Multiplier.input_layout(bits)
    side, off = 1 << bits, 1 << (bits - 1)
    words = [pack(layout, {"a": i - off, "b": j - off}) for i in range(side)
             for j in range(side)]
    await start(dut)
    t0 = time.perf_counter()
    products = []
    dut.o__ready.value = 1
    valid, payload = dut.o__valid, dut.o__payload
    for word in words + [None] * (mul.latency + 1):
        await RisingEdge(dut.clk)
        dut.i__valid.value = int(word is not None)
        if word is not None:
            dut.i__payload.value = word
        await ReadOnly()
        if valid.value:
            products.append(to_signed(int(payload.value), 2 * bits))
    assert len(products) == side * side, f"got {len(products)} products, want {side * side}"
    np.save(os.environ["TILEWRIGHT_TABLE"], np.array(products, dtype=np.int64)
            .reshape(side, side))
    record("table", {"products": len(products), "seconds": time.perf_counter() - t0})
