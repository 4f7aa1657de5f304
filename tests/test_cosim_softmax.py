"""Softmax regressions: generated Verilog on Verilator against the bit-exact golden model.

Each parameter set builds once (cached by content) and runs the three cocotb tests of
``tilewright.cosim.tb_softmax`` with a fresh seed (``TILEWRIGHT_SEED`` fixes it); a
failure prints the seed and the ``tilewright regress`` command that replays it.
"""

import pytest

from tilewright.gen.softmax import Softmax

pytestmark = pytest.mark.cosim

SPREAD = [
    dict(t=1, il=4, fl=4, lut_depth=2, exp_bits=4, out_fl=4),
    dict(t=16, il=4, fl=16, lut_depth=256, exp_bits=16, out_fl=16, heads=3),
    dict(t=512, il=2, fl=6, lut_depth=64, exp_bits=10, out_fl=12),
]
FULL = [
    dict(t=197, il=6, fl=10, lut_depth=1024, exp_bits=12, out_fl=10),
    dict(t=2, il=8, fl=0, lut_depth=16, exp_bits=8, out_fl=8, heads=2),
    dict(t=197, il=4, fl=16, lut_depth=4096, exp_bits=20, out_fl=20, heads=6),
    dict(t=512, il=4, fl=16, lut_depth=256, exp_bits=16, out_fl=16, heads=2),
    dict(t=64, il=1, fl=1, lut_depth=2, exp_bits=2, out_fl=1, heads=16),
]


def check(regress, params):
    result = regress("softmax", params)
    report = result.report
    t, out_fl = params["t"], params["out_fl"]
    assert report["vector_throughput"]["cycles_per_vector"] == Softmax.vector_cycles(t, out_fl)
    assert report["vector_throughput"]["cycles"] == 4 * Softmax.vector_cycles(t, out_fl)
    stream = report["random_stream"]
    assert stream["mismatches"] == 0
    assert stream["compared"] == stream["vectors"] * t
    assert stream["worst_sum_error"] <= Softmax.sum_bound(t, out_fl)


@pytest.mark.parametrize("params", SPREAD)
def test_softmax_regression(params, regress):
    check(regress, params)


@pytest.mark.full
@pytest.mark.parametrize("params", FULL)
def test_softmax_regression_full(params, regress):
    check(regress, params)
