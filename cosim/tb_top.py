"""cocotb testbench of the accelerator top (:class:`~tilewright.cosim.top_bench.TopBench`:
driver, main-memory model, checker; :class:`~tilewright.golden.top.TopModel` computes the
expected image and rejects a program whose FENCEs leave a race).

Tests
-----
- ``directed``: every instruction kind and flag (:func:`~tilewright.cosim.top_programs.directed`),
  each timed by the FENCE after it: the measured cycles must equal
  :meth:`tilewright.gen.top.Top.instruction_cycles` exactly (memory latency 3, no stall).
- ``concurrent``: every unit of every PE at once; the span from the first issue to the
  FENCE ALL must be the longest unit's cycles plus the issue skew.
- ``random_programs``: random programs with random instruction gaps, memory stalls and
  latencies 1 to 4.
- ``stimulus``: the characterization workload (AccelTran §III-B: every unit of every PE
  busy at once), :func:`~tilewright.cosim.top_programs.concurrent` over
  ``TILEWRIGHT_STIMULUS_REPEATS`` rounds; operations are the lanes' multiply-accumulates
  (M per beat), and ``units`` reports the cycles each unit worked
  (:func:`~tilewright.cosim.top_programs.unit_work`).
"""

import cocotb
from tilewright.cosim.bench import Stimulus, record, rng, stimulus_repeats
from tilewright.cosim.top_bench import TopBench
from tilewright.cosim.top_programs import concurrent, directed, random_program, unit_work
from tilewright.isa import Instruction


@cocotb.test()
async def directed_program(dut):
    """Every instruction kind, bit-exact, each with its measured cycles equal to the model."""
    rand = rng("directed")
    tb = TopBench(dut, rand, latency=3)
    program = directed(tb.p, rand)
    sent = await tb.run(program.instructions, program.image, tb.expected(program), "directed")
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
    sent = await tb.run(program.instructions, program.image, tb.expected(program),
                        "concurrent")
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
        await tb.run(program.instructions, program.image, tb.expected(program),
                     f"random program {k}")
        words += len(program.image)
    record("random_programs", {"programs": count, "compared_words": words, "mismatches": 0})


@cocotb.test()
async def stimulus(dut):
    """Every unit of every PE busy, ``TILEWRIGHT_STIMULUS_REPEATS`` rounds on fresh inputs,
    bit-exact; reports the lanes' multiply-accumulates and each unit's working cycles."""
    rand = rng("stimulus")
    tb = TopBench(dut, rand)
    rounds = stimulus_repeats()
    program = concurrent(tb.p, rand, rounds=rounds)
    sent = await tb.run(program.instructions, program.image, tb.expected(program),
                        "stimulus")
    work = unit_work(program, tb.cycles)
    macs = tb.p["macs"] * sum(w["cycles"] for name, w in work.items() if ".lane" in name)
    cycles = sent[-1] - sent[0]
    record("units", work)
    Stimulus(unit="mac", unit_shape=(), operations=macs, cycles=cycles,
             latency=tb.cycles(Instruction("MATMUL", x=0)), initiation_interval=cycles / macs,
             operation="multiply-accumulate of a lane, every other unit busy beside",
             description=f"{rounds} round(s) of loads, a MATMUL on every lane, a SOFTMAX on "
                         f"every softmax unit, a LAYERNORM and a PRUNE on every PE, stores"
             ).record()
