"""The systolic-array PE on Verilator against its register model: random advance/load
and the full-rate stimulus; int8 wrapping by default, a saturating Q2.2 cell ``full``."""

import pytest

from tilewright.flows.regress import regress_block

pytestmark = pytest.mark.cosim


@pytest.mark.parametrize("params", [
    pytest.param(dict(), id="int8-wrap"),
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
