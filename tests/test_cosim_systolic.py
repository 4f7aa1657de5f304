"""Systolic-array regressions: generated Verilog on Verilator against the golden model.

Each parameter set builds once (cached by content) and runs the three cocotb tests of
``tilewright.cosim.tb_systolic`` with a fresh seed (``TILEWRIGHT_SEED`` fixes it): random
GEMMs with valid gaps and back-pressure, extreme-value corners, and a full-rate GEMM whose
measured cycles (in total and per fold) must equal the closed-form model.

Default suite: an 8×1 weight-stationary array whose rows narrow their partial sums
(4, 5, then 6 bits, the accumulator, where the corners saturate), a 2×4 output-stationary
one that saturates and PIVOT's full-size 64×36 input-stationary array on DeiT-S's QKV GEMM (every dataflow,
both overflow modes); the other shapes are ``full``.
"""

import json
from pathlib import Path

import pytest

from tilewright.gen.catalogue import get_block
from tilewright.cosim.runner import run
from tilewright.flows.config import load_config
from tilewright.flows.regress import replay_command
from tilewright.gen.systolic import SystolicArray

pytestmark = pytest.mark.cosim

RTL = Path(__file__).resolve().parent.parent / "rtl"

SPREAD = [
    # rows of 4, 5 and 6 bits (capped at acc_width), saturating in the last row
    dict(rows=8, cols=1, dataflow="ws", il=2, fl=0, acc_width=6, overflow="saturate"),
    dict(rows=2, cols=4, dataflow="os", il=4, fl=4, acc_width=16, overflow="saturate"),
]

FULL = [
    dict(rows=1, cols=1, dataflow="ws"),
    dict(rows=3, cols=2, dataflow="is", acc_width=16, overflow="wrap"),
    dict(rows=1, cols=1, dataflow="os", overflow="saturate", acc_width=16),
    dict(rows=4, cols=3, dataflow="ws", il=4, fl=12, overflow="wrap"),
    dict(rows=1, cols=7, dataflow="is", il=2, fl=0, acc_width=4, overflow="saturate"),
    dict(rows=7, cols=1, dataflow="os", il=1, fl=1),
    dict(rows=8, cols=8, dataflow="ws", il=8, fl=0, acc_width=16, overflow="wrap"),
    dict(rows=16, cols=9, dataflow="is", il=4, fl=16, overflow="saturate"),
    dict(rows=16, cols=16, dataflow="os"),
    dict(rows=12, cols=5, dataflow="ws", il=12, fl=12),
]


def _check(params, report, shape=None):
    p = get_block("systolic").resolve(params)
    r, c, flow = p["rows"], p["cols"], p["dataflow"]
    assert report["random_gemm"]["mismatches"] == 0
    assert report["random_gemm"]["compared"] > 0 and report["corners"]["compared"] > 0
    tp = report["gemm_throughput"]
    m, k, n = shape or (2 * r + 1, r + 2, 2 * c - 1)
    assert (tp["m"], tp["k"], tp["n"]) == (m, k, n)
    assert tp["cycles"] == SystolicArray.gemm_cycles(r, c, m, k, n, flow)
    assert len(tp["per_fold"]) == SystolicArray.folds(r, c, m, k, n, flow)
    assert tp["mapping_efficiency"] == pytest.approx(
        SystolicArray.mapping_efficiency(r, c, m, k, n, flow))
    assert tp["compute_utilisation"] == pytest.approx(
        SystolicArray.compute_utilisation(r, c, m, k, n, flow))
    return tp


@pytest.mark.parametrize("params", SPREAD)
def test_systolic_regression(params, regress):
    _check(params, regress("systolic", params).report)


@pytest.mark.full
@pytest.mark.parametrize("params", FULL)
def test_systolic_regression_full(params, regress):
    _check(params, regress("systolic", params).report)


def test_pivot_deit_qkv(seed):
    """PIVOT's 64x36 input-stationary array (preset ``pivot``, PIVOT §3.4) runs DeiT-S's
    QKV projection, a 197x384x384 int8 GEMM, at full size: 17,417 cycles, as modelled.
    It runs the shipped ``rtl/pivot`` Verilog, which ``test_rtl`` proves is what the
    generator emits (generating it again would take 45 s of this test)."""
    shipped = RTL / "pivot" / "pivot_systolic"
    facts = json.loads(shipped.with_suffix(".json").read_text())
    params, verilog = facts["params"], shipped.with_suffix(".v").read_text()
    (preset,) = load_config("pivot").instances
    assert (params, facts["module"]) == (preset.params, preset.instance)
    assert (params["rows"], params["cols"], params["dataflow"]) == (64, 36, "is")
    result = run("systolic", params, verilog, facts["module"],
                 "tilewright.cosim.tb_systolic", seed=seed, testcase="gemm_throughput",
                 extra_env={"TILEWRIGHT_GEMM": "197,384,384"},
                 build_args=get_block("systolic").verilator_args,
                 replay=replay_command("systolic", params, seed) +
                 "  # with TILEWRIGHT_GEMM=197,384,384 --test gemm_throughput")
    tp = result.report["gemm_throughput"]
    assert tp["cycles"] == SystolicArray.gemm_cycles(64, 36, 197, 384, 384, "is") == 17417
    assert tp["folds"] == 6 * 6 and tp["compared"] > 0
    assert tp["mapping_efficiency"] == pytest.approx(
        SystolicArray.mapping_efficiency(64, 36, 197, 384, 384, "is"))
