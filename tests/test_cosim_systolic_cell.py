"""The systolic-array PE on Verilator against its register model: random advance/load
and the full-rate stimulus, both overflow modes."""

import os

import pytest

from tilewright.flows.regress import new_seed, regress_block

pytestmark = pytest.mark.cosim


@pytest.mark.parametrize("params", [dict(), dict(il=2, fl=2, acc_width=8,
                                                   overflow="saturate")],
                         ids=["int8-wrap", "q2.2-saturate"])
def test_systolic_cell_regression(params):
    seed = int(os.environ.get("TILEWRIGHT_SEED") or new_seed())
    print(f"seed {seed}")
    result = regress_block("systolic_cell", params, seed=seed)
    assert result.tests == 2
    assert result.report["random_control"]["cycles"] == 400
    stim = result.report["stimulus"]
    assert stim["operations"] == stim["cycles"] == 256
