"""cocotb testbench of ``tests/test_gate_replay.py``'s wide-port register: after reset,
random values on every data input for ``CYCLES`` cycles, written after each rising edge."""

import cocotb
from cocotb.triggers import RisingEdge

from tilewright.cosim.bench import rng, start

CYCLES = 24


@cocotb.test()
async def drive(dut):
    inputs = [getattr(dut, n) for n in ("a", "b")]
    for port in inputs:
        port.value = 0
    await start(dut)
    draw = rng("wide")
    for _ in range(CYCLES):
        for port in inputs:
            port.value = draw.getrandbits(len(port))
        await RisingEdge(dut.clk)
