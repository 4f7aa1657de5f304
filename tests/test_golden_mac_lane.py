"""The golden MAC-lane model against a plain-integer restatement of AccelTran §III-B4."""

import random

import pytest
import torch

from tilewright.gen.mac_lane import MacLane
from tilewright.golden.mac_lane import MacLaneModel


def reference(lane, a_beats, b_beats, multiply=lambda x, y: x * y):
    """Python ints only: per-beat exact sum, accumulator fit, round, fit, activation."""
    fmt, acc_w = lane.fmt, lane.acc_width

    def fit(v, w):
        lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
        if lane.overflow == "saturate":
            return min(max(v, lo), hi)
        v &= (1 << w) - 1
        return v - (1 << w) if v > hi else v

    acc = 0
    for a, b in zip(a_beats, b_beats):
        acc = fit(acc + sum(multiply(x, y) for x, y in zip(a, b)), acc_w)
    n = fmt.fl
    if n and lane.rounding == "half-even":
        q, r = acc >> n, acc & ((1 << n) - 1)
        q += r > (1 << (n - 1)) or (r == (1 << (n - 1)) and q & 1)
    else:
        q = acc >> n
    q = fit(q, fmt.width)
    return max(q, 0) if lane.activation == "relu" else q


@pytest.mark.parametrize("m, il, fl, rounding, overflow, activation", [
    (1, 8, 0, "truncate", "wrap", "none"),
    (4, 4, 4, "half-even", "saturate", "relu"),
    (16, 4, 16, "half-even", "saturate", "none"),
    (8, 2, 6, "truncate", "saturate", "relu"),
    (2, 3, 5, "half-even", "wrap", "none"),
])
def test_model_matches_integer_reference(m, il, fl, rounding, overflow, activation):
    lane = MacLane(multipliers=m, il=il, fl=fl, rounding=rounding, overflow=overflow,
                   activation=activation)
    model = MacLaneModel(lane)
    rand = random.Random(m * 1000 + il * 10 + fl)
    fmt = lane.fmt
    for _ in range(300):
        beats = rand.randint(1, 5)
        a = [[rand.randint(fmt.min_int, fmt.max_int) for _ in range(m)] for _ in range(beats)]
        b = [[rand.randint(fmt.min_int, fmt.max_int) for _ in range(m)] for _ in range(beats)]
        assert model.dot(a, b) == reference(lane, a, b)


def test_saturation_happens_per_beat():
    """+max then -1: saturating after the first beat loses what the wide sum keeps."""
    lane = MacLane(multipliers=1, il=2, fl=0, overflow="saturate")   # acc 4 bits: [-8, 7]
    model = MacLaneModel(lane)
    assert model.dot([[-2], [-2], [-2]], [[-2], [-2], [1]]) == 1    # 4, 7 (sat), 5 -> out 1 (sat)
    lane = MacLane(multipliers=1, il=4, fl=0, overflow="saturate")
    model = MacLaneModel(lane)
    assert model.dot([[7], [7], [-7]], [[7], [7], [7]]) == 7          # 49, 98, 49 -> 7 (sat)


def test_tile_is_a_matrix_product_when_nothing_overflows():
    lane = MacLane(multipliers=4, il=8, fl=0, acc_width=32)
    model = MacLaneModel(lane)
    w = torch.randint(-5, 5, (3, 7))
    a = torch.randint(-5, 5, (7, 2))
    assert torch.equal(model.tile(w, a), (w @ a).clamp(-128, 127))


@pytest.mark.parametrize("m, il, fl, kind, k", [
    (4, 8, 0, "drum", 4), (2, 4, 4, "mitchell", 3), (8, 6, 2, "truncated", 7),
    (1, 4, 12, "ssm", 9),
])
def test_approximate_multipliers_use_the_multiplier_model(m, il, fl, kind, k):
    """Products from the multiplier's own (independently tested) model; the rest exact."""
    from tilewright.golden.multiplier import approx_multiply
    lane = MacLane(multipliers=m, il=il, fl=fl, multiplier=kind, multiplier_k=k)
    model = MacLaneModel(lane)
    rand = random.Random(kind)
    fmt = lane.fmt

    def multiply(x, y):
        return int(approx_multiply(x, y, kind, fmt.width, k))
    differs = 0
    for _ in range(200):
        beats = rand.randint(1, 4)
        a = [[rand.randint(fmt.min_int, fmt.max_int) for _ in range(m)] for _ in range(beats)]
        b = [[rand.randint(fmt.min_int, fmt.max_int) for _ in range(m)] for _ in range(beats)]
        assert model.dot(a, b) == reference(lane, a, b, multiply)
        differs += model.dot(a, b) != reference(lane, a, b)
    assert differs > 0          # the approximation is visible at the output
