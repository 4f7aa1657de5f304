"""Streaming GeLU regressions on Verilator against :func:`tilewright.golden.gelu.gelu_pwl`."""

import pytest

from tilewright.gen.gelu_unit import GeluUnit

pytestmark = pytest.mark.cosim

SPREAD = [
    dict(lanes=1, il=1, fl=1, gelu_segments=2),
    dict(lanes=16, il=4, fl=16, gelu_segments=256),
]


FULL = [dict(lanes=4, il=8, fl=0, gelu_segments=16), dict(lanes=64, il=6, fl=18)]


@pytest.mark.parametrize("params", SPREAD + [pytest.param(p, marks=pytest.mark.full)
                                             for p in FULL])
def test_gelu_unit_regression(params, regress):
    result = regress("gelu", params)
    assert result.report["random_stream"]["mismatches"] == 0
    assert result.report["random_stream"]["compared"] == result.report["random_stream"]["beats"]
    lanes = params.get("lanes", 16)
    assert result.report["stream_throughput"]["cycles"] == GeluUnit.stream_cycles(64 * lanes,
                                                                                  lanes)
    assert result.report["stream_throughput"]["cycles"] == 64
