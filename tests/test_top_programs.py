"""The accelerator top's programs: the characterization stimulus's rounds and the cycles
each unit works (what the composed top charges its parts for)."""

import math
import random

from tilewright.cosim.top_programs import concurrent, unit_work
from tilewright.gen.layer_norm import LayerNorm
from tilewright.gen.softmax import Softmax
from tilewright.gen.top import Top
from tilewright.isa import FENCE_KINDS

P = dict(pes=2, lanes=2, macs=2, softmax=1, seq=4, features=6, il=4, fl=4, dma_words=2)


def cycles(ins):
    return Top.instruction_cycles(ins, **{k: P[k] for k in ("macs", "seq", "features", "il",
                                                            "fl", "dma_words")})


def test_rounds_fence_on_every_load_so_far():
    program = concurrent(P, random.Random(1), rounds=2)
    fences = [ins.n for ins in program.instructions
              if ins.op == "FENCE" and ins.unit == FENCE_KINDS["DMA"]]
    stores = P["pes"] * (P["lanes"] + P["softmax"] + 2)
    assert fences == [6, 6 + stores + 6]
    assert sum(ins.op == "END" for ins in program.instructions) == 1


def test_unit_work_counts_each_units_streaming_cycles():
    """Per round: a lane's MATMUL with BIAS streams x·z·(⌈y/M⌉ + 1) beats and writes
    x·z results; a softmax or layer norm x·V cycles; DynaTran x·⌈y/M⌉ tiles."""
    s, f, m = P["seq"], P["features"], P["macs"]
    work = unit_work(concurrent(P, random.Random(1), rounds=3), cycles)
    assert sorted(work) == [f"pe{p}.{u}" for p in range(2)
                            for u in ("dynatran", "lane0", "lane1", "layer_norm", "softmax0")]
    assert work["pe1.lane1"] == {"cycles": 3 * s * s * (math.ceil(f / m) + 1),
                                 "results": 3 * s * s}
    assert work["pe0.softmax0"]["cycles"] == 3 * s * Softmax.vector_cycles(s, P["fl"])
    assert work["pe0.layer_norm"]["cycles"] == 3 * s * LayerNorm.vector_cycles(f, 4, 4)
    assert work["pe0.dynatran"]["cycles"] == 3 * s * math.ceil(f / m)
