"""The systolic-array PE on Verilator against its register model: random advance/load
and the full-rate stimulus; a narrowed saturating int8 cell by default (it wraps at its
width), a top-row cell (no partial sum in; every array has one), the full-width int8 and
a saturating Q2.2 cell ``full``."""

import pytest

from tilewright.flows.regress import regress_block

pytestmark = pytest.mark.cosim


@pytest.mark.parametrize("params", [
    pytest.param(dict(psum_width=18, overflow="saturate"), id="int8-narrow-saturate"),
    pytest.param(dict(accumulate=False, psum_width=16), id="int8-top-row",
                 marks=pytest.mark.full),
    pytest.param(dict(), id="int8-wrap", marks=pytest.mark.full),
    pytest.param(dict(il=2, fl=2, acc_width=8, overflow="saturate"), id="q2.2-saturate",
                 marks=pytest.mark.full),
])
def test_systolic_cell_regression(params, seed):
    result = regress_block("systolic-cell", params, seed=seed)
    assert result.tests == 2
    assert result.report["random_control"]["cycles"] == 400
    stim = result.report["stimulus"]
    assert stim["operations"] == stim["cycles"] == 256
    assert (stim["unit"], stim["latency"]) == ("mac", 1)
