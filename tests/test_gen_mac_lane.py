import pytest

from tilewright.gen.mac_lane import MacLane


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"multipliers": 12}, ValueError, "multipliers must be a power of two from 1 to 64, not 12"),
    ({"multipliers": 128}, ValueError, "multipliers must be an integer from 1 to 64, not 128"),
    ({"multipliers": 0}, ValueError, "multipliers must be an integer from 1 to 64, not 0"),
    ({"multipliers": "4"}, TypeError, "multipliers must be an integer, not '4'"),
    ({"il": 0, "fl": 0}, ValueError, "il must be an integer from 1 to 32, not 0"),
    ({"il": 12, "fl": 16}, ValueError, "il + fl must be from 2 to 24 bits for the MAC lane, not 28"),
    ({"activation": "tanh"}, ValueError,
     "activation must be one of 'none', 'relu', 'gelu', not 'tanh'"),
    ({"rounding": "ceil"}, ValueError,
     "rounding must be one of 'truncate', 'half-even', not 'ceil'"),
    ({"overflow": "clip"}, ValueError, "overflow must be one of 'wrap', 'saturate', not 'clip'"),
    ({"acc_width": 39}, ValueError, "acc_width must be an integer from 40 to 56, not 39"),
    ({"gelu_segments": 48}, ValueError,
     "gelu_segments must be a power of two from 2 to 256, not 48"),
    ({"multiplier": "booth"}, ValueError,
     "multiplier must be one of 'exact', 'truncated', 'mitchell', 'drum', 'ssm', not 'booth'"),
    ({"multiplier": "drum"}, ValueError,
     "multiplier 'drum' needs il + fl from 4 to 16 bits, not 20"),
    ({"multiplier_k": 3}, ValueError,
     "multiplier_k is not used by multiplier 'exact'; leave it unset"),
    ({"il": 8, "fl": 0, "multiplier": "drum", "multiplier_k": 8}, ValueError,
     "multiplier_k must be an integer from 3 to 7 for kind 'drum' with bits=8, not 8"),
    ({"il": 8, "fl": 0, "multiplier": "ssm", "multiplier_k": "5"}, TypeError,
     "multiplier_k must be an integer, not '5'"),
])
def test_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        MacLane(**kwargs)
    assert str(info.value) == msg


@pytest.mark.parametrize("m, latency", [(1, 3), (2, 4), (16, 7), (64, 9)])
def test_latency_and_cycles(m, latency):
    assert MacLane.pipeline_latency(m) == latency
    lane = MacLane(multipliers=m)
    assert lane.latency == latency and lane.throughput == m
    # AccelTran §III-B4: n_o / M cycles for n_o multiplications, plus the pipeline
    assert MacLane.tile_cycles(4, 4 * m, 8, m) == 4 * 4 * 8 * m // m - 1 + latency
    assert MacLane.tile_cycles(1, m + 1, 1, m) == 1 + latency


def test_signature():
    lane = MacLane(multipliers=4, il=8, fl=0)
    assert lane.i.payload.shape().size == 2 * 4 * 8 + 1
    assert lane.o.payload.shape().width == 8


def test_multiplier_parameter():
    assert MacLane().multiplier == "exact" and MacLane().multiplier_k is None
    lane = MacLane(multipliers=4, il=8, fl=0, multiplier="truncated")
    assert (lane.multiplier, lane.multiplier_k) == ("truncated", 4)
    assert MacLane(il=4, fl=12, multiplier="mitchell", multiplier_k=3).multiplier_k == 3
