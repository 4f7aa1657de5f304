"""Layer-norm regressions on Verilator against the bit-exact golden model."""

import os

import pytest

from tilewright.flows.regress import new_seed, regress_block
from tilewright.gen.layer_norm import LayerNorm

pytestmark = pytest.mark.cosim

SPREAD = [
    dict(n=2, il=2, fl=2),
    dict(n=16, il=4, fl=16),
]
FULL = [dict(n=128, il=8, fl=8), dict(n=1024, il=4, fl=12), dict(n=8, il=1, fl=16),
        dict(n=32, il=20, fl=0)]


def _id(p):
    return "-".join(f"{k}={v}" for k, v in p.items())


def check(params):
    seed = int(os.environ.get("TILEWRIGHT_SEED") or new_seed())
    print(f"seed {seed}")
    result = regress_block("layer-norm", params, seed=seed)
    assert result.tests == 3
    stream = result.report["random_stream"]
    assert stream["mismatches"] == 0 and stream["compared"] == stream["vectors"] * params["n"]
    cycles = LayerNorm.vector_cycles(params["n"], params["il"], params["fl"])
    assert result.report["vector_throughput"]["cycles"] == 4 * cycles


@pytest.mark.parametrize("params", SPREAD, ids=_id)
def test_layer_norm_regression(params):
    check(params)


@pytest.mark.full
@pytest.mark.parametrize("params", FULL, ids=_id)
def test_layer_norm_regression_full(params):
    check(params)
