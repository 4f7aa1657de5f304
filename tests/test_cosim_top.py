"""Accelerator-top regressions: programs of the ISA on the generated Verilog (Verilator),
main memory after END bit-exact against :class:`tilewright.golden.top.TopModel`, and every
instruction's measured cycles equal to :meth:`tilewright.gen.top.Top.instruction_cycles`.

One build per configuration runs the three cocotb tests of ``tilewright.cosim.tb_top``
with a fresh seed (``TILEWRIGHT_SEED`` fixes it). Default suite: 2 PEs × 2 lanes × 4
multipliers, (4, 8), DMA beats of 2 words; ``full``: one PE of one 1-multiplier lane with
two softmax units, (4, 12), DMA beats of 4 words.
"""

import pytest

pytestmark = pytest.mark.cosim

CONFIGS = [
    dict(pes=2, lanes=2, macs=4, softmax=1, seq=4, features=16, il=4, fl=8,
         activation_words=2048, weight_words=4096, dma_words=2),
    pytest.param(dict(pes=1, lanes=1, macs=1, softmax=2, seq=4, features=4, il=4, fl=12,
                      activation_words=1024, weight_words=256, dma_words=4),
                 marks=pytest.mark.full),
]


@pytest.mark.parametrize("params", CONFIGS)
def test_top_regression(params, regress):
    report = regress("top", params).report
    rows = report["directed"]["instructions"]
    assert {row["op"] for row in rows} == {"LOAD", "STORE", "MATMUL", "ADD", "SOFTMAX",
                                           "LAYERNORM", "PRUNE"}
    assert all(row["measured"] == row["model"] for row in rows)
    concurrent = report["concurrent"]
    assert concurrent["span"] < concurrent["serial"] / 2
    assert report["random_programs"]["programs"] == 3
