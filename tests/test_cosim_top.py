"""Accelerator-top regressions on the generated Verilog (Verilator): main memory after END
bit-exact against :class:`tilewright.golden.top.TopModel`, and every instruction's
measured cycles equal to :meth:`tilewright.gen.top.Top.instruction_cycles`.

The default configuration is the tiny top of the lowering's tests (:data:`model_costs.HW`:
2 PEs × 2 lanes × 4 multipliers, (4, 8), DMA beats as wide as its main memory's bandwidth
per cycle) with small buffers; one build serves the four cocotb tests of
``tilewright.cosim.tb_top`` (the characterization stimulus among them) and one BERT-style
encoder layer lowered from the accelerator model's schedule
(:mod:`tilewright.flows.model.program`), whose cycles are compared with the model's.
``full``: one PE of one 1-multiplier lane with two softmax units, (4, 12); and
BERT-Tiny's encoder layer at 8 tokens on the AccelTran-Mini preset's top (about 2 min).
Seeds are fresh (``TILEWRIGHT_SEED`` fixes them).
"""

import pytest
from model_costs import HW, LAYER, FormulaCosts

from tilewright.flows.commands.regress_layer import layer_lines, run_layer
from tilewright.flows.generate import accelerator_params
from tilewright.flows.model.hardware import load_accelerator
from tilewright.flows.model.workload import Layer

pytestmark = pytest.mark.cosim

TINY = {**accelerator_params(HW)["top"], "activation_words": 2048, "weight_words": 4096}
CONFIGS = [
    TINY,
    pytest.param(dict(pes=1, lanes=1, macs=1, softmax=2, seq=4, features=4, il=4, fl=12,
                      activation_words=1024, weight_words=256, dma_words=4),
                 marks=pytest.mark.full),
]


@pytest.mark.parametrize("params", CONFIGS)
def test_top_regression(params, regress):
    report = regress("top", params, tests=4).report
    rows = report["directed"]["instructions"]
    assert {row["op"] for row in rows} == {"LOAD", "STORE", "MATMUL", "ADD", "SOFTMAX",
                                           "LAYERNORM", "PRUNE"}
    assert all(row["measured"] == row["model"] for row in rows)
    concurrent = report["concurrent"]
    assert concurrent["span"] < concurrent["serial"] / 2
    assert report["random_programs"]["programs"] == 3
    lanes = [w for name, w in report["units"].items() if ".lane" in name]
    assert report["stimulus"]["operations"] == params["macs"] * sum(w["cycles"] for w in lanes)
    assert len(report["units"]) == params["pes"] * (params["lanes"] + params["softmax"] + 2)


def test_encoder_layer(seed):
    """One encoder layer (attention with its heads, softmax, layer norms, FF with GeLU,
    residuals; DynaTran on) from a trained golden model, bit-exact on the RTL; its cycles
    against the model's schedule."""
    check_layer(HW, LAYER, 4, TINY, seed, within=0.1)


@pytest.mark.full
def test_bert_tiny_layer_on_acceltran_mini(seed):
    """BERT-Tiny's encoder layer at 8 tokens on AccelTran-Mini (its preset's top, buffers
    cut to what the layer uses), bit-exact; cycles within 5 % of the model's schedule."""
    check_layer(load_accelerator("acceltran-mini"), Layer(128, 2, (512,)), 8, None, seed,
                within=0.05)


def check_layer(hardware, layer, seq, params, seed, within):
    """Run ``layer`` on the top (``tilewright regress --layer``'s :func:`run_layer`: main
    memory checked word for word against the golden model's), print the per-op table,
    and check the total cycles within ``within`` of the model's."""
    run = run_layer(hardware, layer, seq=seq, tau=0.05, costs=FormulaCosts(), seed=seed,
                    params=params)
    print("\n".join(layer_lines(run)))
    assert abs(run.ratio - 1) < within
