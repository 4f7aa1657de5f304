"""The accelerator top's bench: the instruction driver, the main-memory model and the
checker, apart (the expected image comes from :class:`~tilewright.golden.top.TopModel`).

- driver: :class:`~tilewright.cosim.stream.StreamDriver` sends the program's words on
  ``instr`` and stamps the edge that takes each one;
- memory: :class:`~tilewright.cosim.main_memory.MainMemory` serves the DMA port;
- checker: after ``done``, main memory must equal the expected image word for word.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from tilewright.cosim.bench import PERIOD_NS, params, start
from tilewright.cosim.main_memory import MainMemory
from tilewright.cosim.stream import StreamDriver
from tilewright.gen.top import Top
from tilewright.golden.top import TopModel

from tilewright.fixedpoint import FixedFormat
from tilewright.isa import encode

__all__ = ["PATIENCE", "TopBench"]

#: Cycles a program may take at most, per instruction word, before the bench gives up.
PATIENCE = 2000


class TopBench:
    """Runs programs on the DUT against :class:`TopModel`."""

    def __init__(self, dut, rand, *, gap=0.0, stall=0.0, latency=1, rate=1.0):
        self.dut, self.rand, self.rate = dut, rand, rate
        self.p = params()
        self.fmt = FixedFormat(self.p["il"], self.p["fl"])
        self.gap, self.stall, self.latency = gap, stall, latency
        self.clocked = False

    def expected(self, program):
        """Main memory after ``program`` (:class:`~tilewright.cosim.top_programs.Program`)
        as :class:`TopModel` computes it."""
        model = TopModel(fmt=self.fmt, macs=self.p["macs"])
        return model.run(program.instructions, program.image).tolist()

    async def run(self, instructions, image, expected, name):
        """Run ``instructions`` from reset on main memory ``image``; check that main memory
        equals ``expected`` after ``done``; returns the edges that took each instruction
        (``self.memory`` is then the run's :class:`MainMemory`, its requests recorded)."""
        dut = self.dut
        if self.clocked:            # a later program of the test: reset only
            dut.rst.value = 1
            await ClockCycles(dut.clk, 2)
            dut.rst.value = 0
            await RisingEdge(dut.clk)
        else:
            await start(dut)
            self.clocked = True
        driver = StreamDriver(dut, "instr", dut.clk, PERIOD_NS, self.rand, self.gap)
        memory = MainMemory(dut, dut.clk, image, self.fmt.width,
                            self.p["dma_words"], latency=self.latency, stall=self.stall,
                            rate=self.rate, rng=self.rand)
        self.memory = memory
        tasks = [cocotb.start_soon(driver.run()), cocotb.start_soon(memory.run())]
        for ins in instructions:
            driver.append(encode(ins))
        for _ in range(PATIENCE * len(instructions)):
            await RisingEdge(dut.clk)
            await ReadOnly()
            if dut.done.value:
                break
        for task in tasks:
            task.cancel()
        assert dut.done.value, f"{name}: no done after {len(driver.sent)} of " \
                               f"{len(instructions)} instructions were taken"
        wrong = [k for k, (got, want) in enumerate(zip(memory.words, expected)) if got != want]
        if wrong:
            k = wrong[0]
            raise AssertionError(f"{name}: {len(wrong)} main-memory words differ from the "
                                 f"model, first at {k}: {memory.words[k]} != {expected[k]}")
        await RisingEdge(dut.clk)
        return driver.sent

    def cycles(self, ins):
        p = self.p
        return Top.instruction_cycles(ins, macs=p["macs"], seq=p["seq"],
                                      features=p["features"], il=p["il"], fl=p["fl"],
                                      dma_words=p["dma_words"], memory_latency=self.latency)
