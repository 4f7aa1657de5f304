"""cocotb testbench of the accelerator top: the instruction driver, the main-memory model,
the golden model and the checker, apart.

- driver: :class:`~tilewright.cosim.stream.StreamDriver` sends the program's words on
  ``instr`` and stamps the edge that takes each one;
- memory: :class:`~tilewright.cosim.main_memory.MainMemory` serves the DMA port;
- model: :class:`~tilewright.golden.top.TopModel` runs the same program on the same image
  (and rejects a program whose FENCEs leave a race);
- checker: after ``done``, main memory must equal the model's image word for word.

Tests
-----
- ``directed``: every instruction kind and flag (:func:`~tilewright.cosim.top_programs.directed`),
  each timed by the FENCE after it: the measured cycles must equal
  :meth:`tilewright.gen.top.Top.instruction_cycles` exactly (memory latency 3, no stall).
- ``concurrent``: every unit of every PE at once; the span from the first issue to the
  FENCE ALL must be the longest unit's cycles plus the issue skew.
- ``random_programs``: random programs with random instruction gaps, memory stalls and
  latencies 1 to 4.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from tilewright.cosim.bench import PERIOD_NS, params, record, rng, start
from tilewright.cosim.main_memory import MainMemory
from tilewright.cosim.stream import StreamDriver
from tilewright.cosim.top_programs import concurrent, directed, random_program
from tilewright.fixedpoint import FixedFormat
from tilewright.gen.top import Top
from tilewright.golden.top import TopModel
from tilewright.isa import encode

#: Cycles a program may take at most, per instruction word, before the bench gives up.
PATIENCE = 2000


class TopBench:
    """Runs programs on the DUT against :class:`TopModel`."""

    def __init__(self, dut, rand, *, gap=0.0, stall=0.0, latency=1):
        self.dut, self.rand = dut, rand
        self.p = params()
        self.fmt = FixedFormat(self.p["il"], self.p["fl"])
        self.gap, self.stall, self.latency = gap, stall, latency
        self.clocked = False

    def expected(self, program):
        model = TopModel(fmt=self.fmt, macs=self.p["macs"])
        return model.run(program.instructions, program.image).tolist()

    async def run(self, program, name):
        """Run ``program`` from reset; check main memory; returns the issue edges."""
        expected = self.expected(program)
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
        memory = MainMemory(dut, dut.clk, program.image, self.fmt.width,
                            self.p["dma_words"], latency=self.latency, stall=self.stall,
                            rng=self.rand)
        tasks = [cocotb.start_soon(driver.run()), cocotb.start_soon(memory.run())]
        for ins in program.instructions:
            driver.append(encode(ins))
        for _ in range(PATIENCE * len(program.instructions)):
            await RisingEdge(dut.clk)
            await ReadOnly()
            if dut.done.value:
                break
        for task in tasks:
            task.cancel()
        assert dut.done.value, f"{name}: no done after {len(driver.sent)} of " \
                               f"{len(program.instructions)} instructions were taken"
        wrong = [k for k, (got, want) in enumerate(zip(memory.words, expected)) if got != want]
        assert not wrong, (f"{name}: {len(wrong)} main-memory words differ from the model, "
                           f"first at {wrong[0]}: {memory.words[wrong[0]]} != {expected[wrong[0]]}")
        await RisingEdge(dut.clk)
        return driver.sent

    def cycles(self, ins):
        p = self.p
        return Top.instruction_cycles(ins, macs=p["macs"], seq=p["seq"],
                                      features=p["features"], il=p["il"], fl=p["fl"],
                                      dma_words=p["dma_words"], memory_latency=self.latency)


@cocotb.test()
async def directed_program(dut):
    """Every instruction kind, bit-exact, each with its measured cycles equal to the model."""
    rand = rng("directed")
    tb = TopBench(dut, rand, latency=3)
    program = directed(tb.p, rand)
    sent = await tb.run(program, "directed")
    table = []
    for k in program.timed:
        ins = program.instructions[k]
        table.append({"op": ins.op, "flags": list(ins.flags), "x": ins.x, "y": ins.y,
                      "z": ins.z, "n": ins.n, "measured": sent[k + 1] - sent[k],
                      "model": tb.cycles(ins)})
    record("directed", {"instructions": table, "mismatches": 0})
    wrong = [row for row in table if row["measured"] != row["model"]]
    assert not wrong, f"measured cycles differ from the static formulas: {wrong}"


@cocotb.test()
async def concurrent_units(dut):
    """All units at once: done together, bit-exact, no slower than the slowest unit."""
    rand = rng("concurrent")
    tb = TopBench(dut, rand)
    program = concurrent(tb.p, rand)
    sent = await tb.run(program, "concurrent")
    first, fence = program.span
    issued = program.instructions[first:fence]
    finishes = [sent[first + k] + tb.cycles(ins) for k, ins in enumerate(issued)]
    span = sent[fence] - sent[first]
    assert span == max(finishes) - sent[first], (
        f"{len(issued)} instructions took {span} cycles from the first issue to FENCE ALL; "
        f"the last should finish {max(finishes) - sent[first]} cycles after that issue")
    record("concurrent", {"instructions": len(issued), "span": span,
                          "serial": sum(tb.cycles(ins) for ins in issued), "mismatches": 0})


@cocotb.test()
async def random_programs(dut):
    """Random programs under instruction gaps, memory stalls and latencies."""
    count, words = 3, 0
    rand = rng("random")
    tb = TopBench(dut, rand)
    for k in range(count):
        tb.gap, tb.stall = rand.choice([0.0, 0.3]), rand.choice([0.0, 0.3])
        tb.latency = rand.randint(1, 4)
        program = random_program(tb.p, rand)
        await tb.run(program, f"random program {k}")
        words += len(program.image)
    record("random_programs", {"programs": count, "compared_words": words, "mismatches": 0})
