"""Sparse MAC path regressions: cycles measured at sparsities 0/50/90/100 % scale with the
effectual pairs; results bit-exact against the golden model."""

import pytest

pytestmark = pytest.mark.cosim

SPREAD = [dict(length=16, multipliers=4, il=4, fl=16), dict(length=10, multipliers=1, il=8,
                                                             fl=0, overflow="wrap")]
FULL = [dict(length=1, multipliers=1, il=8, fl=0), dict(length=3, multipliers=8),
        dict(length=64, multipliers=16, il=4, fl=16, rounding="truncate")]


def _regress(regress, params):
    result = regress("sparse-mac", params)
    assert result.report["random_stream"]["mismatches"] == 0
    assert result.report["random_stream"]["compared"] == 150
    by_rho = result.report["sparsity_cycles"]["by_sparsity"]
    latency = result.report["sparsity_cycles"]["latency"]
    for entry in by_rho.values():
        assert entry["cycles"] == entry["beats"] - 1 + latency
    return by_rho


@pytest.mark.parametrize("params", SPREAD)
def test_sparse_mac_regression(params, regress):
    by_rho = _regress(regress, params)
    n, m = params["length"], params["multipliers"]
    # dense: ⌈n/M⌉ beats per dot product; fully sparse: one beat each (16 per sparsity)
    assert by_rho["0.0"]["beats"] == 16 * -(-n // m)
    assert by_rho["1.0"]["beats"] == 16 and by_rho["1.0"]["effectual_pairs"] == 0
    assert by_rho["0.9"]["cycles"] < by_rho["0.5"]["cycles"] < by_rho["0.0"]["cycles"]


@pytest.mark.full
@pytest.mark.parametrize("params", FULL)
def test_sparse_mac_regression_full(params, regress):
    _regress(regress, params)
