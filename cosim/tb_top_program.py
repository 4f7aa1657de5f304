"""cocotb test of the accelerator top running one given program (e.g. an encoder layer
lowered from the accelerator model's schedule, :mod:`tilewright.flows.model.program`).

``TILEWRIGHT_PROGRAM`` names a JSON file: ``words`` (the instruction words, hex),
``image`` (main memory before), ``expected`` (main memory after, from
:class:`~tilewright.golden.top.TopModel`) and ``latency`` (the memory's). The test checks
main memory after END word for word and records the edge that took each instruction, its
cycles by the static formulas (memory always ready) and the edge of every main-memory
request.
``rate`` (optional, default 1) limits the requests main memory takes per cycle, so that
its bandwidth can be the accelerator model's.
"""

import json
import os
from pathlib import Path

import cocotb

from tilewright.cosim.bench import record, rng
from tilewright.cosim.top_bench import TopBench
from tilewright.isa import decode


@cocotb.test()
async def program_file(dut):
    """The program of ``TILEWRIGHT_PROGRAM``, bit-exact; records its issue edges."""
    spec = json.loads(Path(os.environ["TILEWRIGHT_PROGRAM"]).read_text())
    tb = TopBench(dut, rng("program"), latency=spec["latency"], rate=spec.get("rate", 1.0))
    instructions = [decode(int(word, 16)) for word in spec["words"]]
    sent = await tb.run(instructions, spec["image"], spec["expected"], "program")
    record("program_file", {"issued": [edge - sent[0] for edge in sent],
                            "cycles": [tb.cycles(ins) for ins in instructions],
                            "requests": [edge - sent[0] for edge, _ in tb.memory.requests],
                            "mismatches": 0})
