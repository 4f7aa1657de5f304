"""cocotb testbench of any block at rest: the clock runs, nothing is sent.

Characterization (:mod:`tilewright.flows.characterize`) runs it on the gate-level netlist
to measure the energy a block spends per cycle when it is clocked but idle: the clock
pins of its flip-flops, and whatever else still switches. That is what an accelerator
model charges a block that is neither computing nor power-gated (AccelTran §III-B gates
idle modules; one that is not gated pays this).

Tests
-----
- ``idle``: holds every input named in ``TILEWRIGHT_IDLE_INPUTS`` (comma-separated) at
  0 — valids low, so no transfer starts — resets the block, and runs the clock for
  ``TILEWRIGHT_IDLE_CYCLES`` cycles; records ``{"idle": {"cycles": n}}``.
"""

import os

import cocotb
from cocotb.triggers import ClockCycles

from tilewright.cosim.bench import positive_env, record, start

__all__ = ["idle_inputs", "idle_cycles"]


def idle_inputs():
    """The input ports held at 0 (``TILEWRIGHT_IDLE_INPUTS``), clock and reset excepted."""
    names = [n for n in os.environ.get("TILEWRIGHT_IDLE_INPUTS", "").split(",") if n]
    return [n for n in names if n not in ("clk", "rst")]


def idle_cycles():
    """How many cycles the clock runs after reset (``TILEWRIGHT_IDLE_CYCLES``)."""
    return positive_env("TILEWRIGHT_IDLE_CYCLES")


@cocotb.test()
async def idle(dut):
    cycles = idle_cycles()
    for name in idle_inputs():
        getattr(dut, name).value = 0
    await start(dut)
    await ClockCycles(dut.clk, cycles)
    record("idle", {"cycles": cycles, "inputs": idle_inputs()})
