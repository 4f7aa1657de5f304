"""cocotb testbench of one systolic-array PE (:mod:`tilewright.gen.systolic_cell`).

The driver applies random ``load``/``advance``/operands (partial sums in ``psum_width``
bits) every cycle; the model is the cell's register semantics over
:func:`tilewright.golden.fixed.fit` (wrapping at ``psum_width`` when it is below
``acc_width``); the checker compares ``psum_out`` and ``a_out`` after every edge,
bit-exact.

Tests
-----
- ``random_control``: 400 cycles with ``advance`` and ``load`` random (50 % / 20 %) and
  operands at the extremes 30 % of the time.
- ``stream``: the block's stimulus: 256 multiply-accumulates at full rate
  (``advance`` always high, a new stationary operand every 16 cycles, as an array loads
  one per fold), times ``TILEWRIGHT_STIMULUS_REPEATS``.
"""

import cocotb
import torch
from cocotb.triggers import FallingEdge, RisingEdge

from tilewright.cosim.bench import (Stimulus, params, record, rng, start, stimulus_kind,
                                   stimulus_repeats)
from tilewright.golden.fixed import fit
from tilewright.gen.systolic_cell import SystolicCell

LOAD_PERIOD = 16


def operand(rand, lo, hi):
    return rand.choice([lo, hi, 0, -1, 1]) if rand.random() < 0.3 else rand.randint(lo, hi)


class CellModel:
    """The cell's registers, advanced one clock edge at a time."""

    def __init__(self, cell):
        self.cell = cell
        self.stat = self.psum = self.a = 0

    def edge(self, advance, load, w_in, a_in, psum_in=0):
        if advance:
            cell = self.cell
            value = torch.tensor(psum_in + a_in * self.stat, dtype=torch.int64)
            if cell.psum_width < cell.acc_width:
                self.psum = int(fit(value, cell.psum_width, "wrap"))
            else:
                self.psum = int(fit(value, cell.acc_width, cell.overflow))
            self.a = a_in
        if load:
            self.stat = w_in


async def drive(dut, rand, cycles, advance_p, load_at, zeros=False):
    """Drive ``cycles`` cycles and check every one; returns the multiply-accumulates."""
    cell = SystolicCell(**params())
    model = CellModel(cell)
    lo, hi = cell.fmt.min_int, cell.fmt.max_int
    alo, ahi = -(1 << (cell.psum_width - 1)), (1 << (cell.psum_width - 1)) - 1
    inputs = ("advance", "load", "w_in", "a_in") + ("psum_in",) * cell.accumulate
    for name in inputs:
        getattr(dut, name).value = 0        # nothing left over from a previous test
    await start(dut)
    await FallingEdge(dut.clk)
    macs = 0
    for n in range(cycles):
        step = {"advance": int(rand.random() < advance_p), "load": int(load_at(n)),
                "w_in": operand(rand, lo, hi), "a_in": operand(rand, lo, hi),
                "psum_in": operand(rand, alo, ahi)}
        if zeros:
            step.update(w_in=0, a_in=0, psum_in=0)
        if not cell.accumulate:
            del step["psum_in"]
        for name, value in step.items():
            getattr(dut, name).value = value
        await RisingEdge(dut.clk)
        model.edge(**step)
        macs += step["advance"]
        await FallingEdge(dut.clk)
        got = (dut.psum_out.value.to_signed(), dut.a_out.value.to_signed())
        assert got == (model.psum, model.a), (
            f"cycle {n}: psum_out, a_out = {got}, model {(model.psum, model.a)} after {step}")
    return macs


@cocotb.test()
async def random_control(dut):
    """Random advance and load, random operands."""
    rand = rng("random_control")
    macs = await drive(dut, rand, 400, 0.5, lambda n: rand.random() < 0.2)
    record("random_control", {"cycles": 400, "macs": macs})


@cocotb.test()
async def stream(dut):
    """Full rate, a new stationary operand every LOAD_PERIOD cycles (the stimulus)."""
    rand = rng("stream")
    count = 256 * stimulus_repeats()
    macs = await drive(dut, rand, count, 1.0, lambda n: n % LOAD_PERIOD == 0,
                       zeros=stimulus_kind() == "zeros")
    Stimulus(unit="mac", unit_shape=(), operations=macs, cycles=count, latency=1,
             initiation_interval=1, operation="multiply-accumulate",
             description=f"{stimulus_kind()} operands at full rate, a stationary load every "
                         f"{LOAD_PERIOD} cycles").record()
