"""MAC-lane regressions: generated Verilog on Verilator against the golden model.

Each parameter set builds once (cached by content) and runs the three cocotb tests of
``tilewright.cosim.tb_mac_lane`` with a fresh seed (``TILEWRIGHT_SEED`` fixes it); a
failure prints the seed and the ``tilewright regress`` command that replays it.

Default suite: 1 and 64 multipliers, int8 and the smallest format (IL1/FL1), every
activation, both roundings and overflow modes, a widened accumulator and an approximate
multiplier; the other sets are ``full``.
"""

import pytest

from tilewright.gen.mac_lane import MacLane

pytestmark = pytest.mark.cosim

SPREAD = [
    dict(multipliers=1, il=8, fl=0, activation="none", rounding="truncate", overflow="wrap"),
    pytest.param(dict(multipliers=2, il=4, fl=4, activation="relu", overflow="saturate"),
                 marks=pytest.mark.full),
    pytest.param(dict(multipliers=4, il=4, fl=16, activation="gelu"), marks=pytest.mark.full),
    dict(multipliers=8, il=8, fl=0, activation="relu", acc_width=32),
    pytest.param(dict(multipliers=16, il=4, fl=16, activation="gelu", rounding="truncate"),
                 marks=pytest.mark.full),
    dict(multipliers=32, il=1, fl=1, activation="gelu", overflow="wrap"),
    dict(multipliers=64, il=4, fl=16, activation="none", overflow="wrap"),
    # approximate multipliers (TransAxx §III), checked against the same multiplier model
    dict(multipliers=4, il=8, fl=0, activation="none", multiplier="drum", multiplier_k=4),
    pytest.param(dict(multipliers=2, il=4, fl=4, activation="relu", multiplier="mitchell",
                      rounding="truncate"), marks=pytest.mark.full),
]


@pytest.mark.parametrize("params", SPREAD)
def test_mac_lane_regression(params, regress):
    result = regress("mac-lane", params)
    latency, m = MacLane.pipeline_latency(params["multipliers"]), params["multipliers"]
    tile = result.report["tile_throughput"]
    assert tile["latency"] == latency
    assert tile["cycles"] == tile["multiplications"] // m - 1 + latency
    assert result.report["random_stream"]["mismatches"] == 0
    assert result.report["random_stream"]["compared"] == 200
