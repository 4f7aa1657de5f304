"""Pre- and post-compute sparsity regressions on Verilator against the golden models."""

import pytest

pytestmark = pytest.mark.cosim

SPREAD = [("pre-sparsity", dict(length=10, il=4, fl=16)),
          ("post-sparsity", dict(length=5, il=8, fl=0))]
FULL = [(block, params) for block in ("pre-sparsity", "post-sparsity")
        for params in (dict(length=1, il=8, fl=0), dict(length=16, il=8, fl=0),
                       dict(length=33, il=4, fl=16), dict(length=64, il=4, fl=16))]


def _regress(regress, block, params):
    result = regress(block, params)
    random_stream = result.report["random_stream"]
    assert random_stream["mismatches"] == 0 and random_stream["compared"] == 200
    throughput = result.report["vector_throughput"]
    assert throughput["latency"] == 1 and throughput["cycles"] == 32


@pytest.mark.parametrize("block, params", SPREAD)
def test_sparsity_regression(block, params, regress):
    _regress(regress, block, params)


@pytest.mark.full
@pytest.mark.parametrize("block, params", FULL)
def test_sparsity_regression_full(block, params, regress):
    _regress(regress, block, params)
