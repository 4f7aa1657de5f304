import math

import pytest
import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.gen.gelu import GeluPWL
from tilewright.golden.fixed import all_values
from tilewright.golden.gelu import gelu_error, gelu_pwl


def test_error_falls_with_segments():
    fmt = FixedFormat(4, 16)
    errors = [gelu_error(fmt, s)["max_abs_error"] for s in (8, 32, 128)]
    assert errors[0] > errors[1] > errors[2]
    # chord error bound max|g''| h^2 / 8 (|g''| <= 0.8) plus one LSB of rounding
    for s, e in zip((8, 32, 128), errors):
        assert e <= 0.8 * (8 / s) ** 2 / 8 + 2 / fmt.scale


def test_pass_through_and_zero_outside_domain():
    fmt = FixedFormat(6, 8)
    q = torch.tensor([4 * 256, 20 * 256, fmt.max_int, -4 * 256 - 1, fmt.min_int])
    assert gelu_pwl(q, fmt).tolist() == [4 * 256, 20 * 256, fmt.max_int, 0, 0]


def test_segment_end_points_are_gelu():
    fmt = FixedFormat(4, 12)
    r, shift, count = GeluPWL.geometry(fmt, 32)
    starts = torch.tensor([-(1 << r) + (i << shift) for i in range(count)])
    want = [round(0.5 * x * (1 + math.erf(x / math.sqrt(2))) * fmt.scale)
            for x in (starts.double() / fmt.scale).tolist()]
    assert gelu_pwl(starts, fmt, 32).tolist() == want


@pytest.mark.parametrize("il, fl", [(1, 1), (2, 0), (8, 0), (4, 16)])
def test_small_formats_bounded(il, fl):
    fmt = FixedFormat(il, fl)
    y = gelu_pwl(all_values(fmt) if fmt.width <= 16 else torch.arange(-5, 5), fmt)
    assert int(y.min()) >= fmt.min_int and int(y.max()) <= fmt.max_int
