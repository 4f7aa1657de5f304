"""Layer-norm regressions on Verilator against the bit-exact golden model."""

import pytest

from tilewright.gen.layer_norm import LayerNorm

pytestmark = pytest.mark.cosim

SPREAD = [
    dict(n=2, il=2, fl=2),
    dict(n=16, il=4, fl=16),
]
FULL = [dict(n=128, il=8, fl=8), dict(n=1024, il=4, fl=12), dict(n=8, il=1, fl=16),
        dict(n=32, il=20, fl=0)]


def check(regress, params):
    result = regress("layer-norm", params)
    stream = result.report["random_stream"]
    assert stream["mismatches"] == 0 and stream["compared"] == stream["vectors"] * params["n"]
    cycles = LayerNorm.vector_cycles(params["n"], params["il"], params["fl"])
    assert result.report["vector_throughput"]["cycles"] == 4 * cycles


@pytest.mark.parametrize("params", SPREAD)
def test_layer_norm_regression(params, regress):
    check(regress, params)


@pytest.mark.full
@pytest.mark.parametrize("params", FULL)
def test_layer_norm_regression_full(params, regress):
    check(regress, params)
