"""DynaTran / DynaProp regressions: generated Verilog on Verilator against the golden model.

Covers tile shapes from 1×1×1 up to 4×16×16 (the largest behind ``full``), IL4/FL16 and
int8, both threshold sources and the DynaProp transpose. One-cycle pruning is asserted
from the simulation stamps in ``tb_dynatran.tile_throughput``.
"""

import pytest

pytestmark = pytest.mark.cosim

SPREAD = [
    dict(batch=1, rows=1, cols=1, il=8, fl=0),
    dict(batch=2, rows=3, cols=5, il=4, fl=16, threshold="calculator", curve_points=4,
         rho_bits=6, transpose=True),
]

FULL = [
    dict(batch=1, rows=4, cols=4, il=8, fl=0, threshold="calculator", curve_points=1,
         rho_bits=1),
    dict(batch=1, rows=16, cols=16, il=4, fl=16, transpose=True),
    dict(batch=4, rows=16, cols=16, il=4, fl=16, threshold="calculator", curve_points=16,
         transpose=True),
    dict(batch=4, rows=16, cols=16, il=8, fl=0),
    dict(batch=3, rows=1, cols=7, il=1, fl=1, threshold="calculator", curve_points=3),
]


def _regress(regress, params):
    result = regress("dynatran", params)
    random_stream = result.report["random_stream"]
    assert random_stream["mismatches"] == 0 and random_stream["compared"] == 180
    tile = result.report["tile_throughput"]
    assert tile["latency"] == 1 and tile["cycles"] == tile["tiles"]
    return result


@pytest.mark.parametrize("params", SPREAD)
def test_dynatran_regression(params, regress):
    _regress(regress, params)


@pytest.mark.full
@pytest.mark.parametrize("params", FULL)
def test_dynatran_regression_full(params, regress):
    _regress(regress, params)
