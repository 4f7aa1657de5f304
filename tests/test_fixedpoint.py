import pytest
import torch
from hypothesis import given, strategies as st

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.fixed import fit, quantize, saturate, shift_right, to_float, wrap


def test_formats():
    f = FixedFormat(4, 16)
    assert (f.width, f.min_int, f.max_int, f.scale) == (20, -(1 << 19), (1 << 19) - 1, 65536)
    i8 = FixedFormat(8, 0)
    assert (i8.min_int, i8.max_int) == (-128, 127)


@pytest.mark.parametrize("il, fl, exc, msg", [
    (0, 0, ValueError, "il must be an integer from 1 to 32, not 0"),
    (1, 0, ValueError, "il + fl must be from 2 to 32 bits, not 1"),
    (20, 20, ValueError, "il + fl must be from 2 to 32 bits, not 40"),
    (4, -1, ValueError, "fl must be an integer from 0 to 31, not -1"),
    (4.0, 1, TypeError, "il must be an integer, not 4.0"),
    (True, 1, TypeError, "il must be an integer, not True"),
])
def test_format_errors(il, fl, exc, msg):
    with pytest.raises(exc, match=f"^{msg.replace('+', '[+]')}$"):
        FixedFormat(il, fl)


def test_quantize_rounding_and_overflow():
    f = FixedFormat(3, 1)         # steps of 0.5, range [-4, 3.5]
    x = torch.tensor([0.25, 0.75, -0.25, 1.25, 100.0, -100.0])
    assert quantize(f, x, "half-even", "saturate").tolist() == [0, 2, 0, 2, 7, -8]
    assert quantize(f, x, "truncate", "saturate").tolist() == [0, 1, -1, 2, 7, -8]
    assert quantize(f, torch.tensor([4.0]), "truncate", "wrap").tolist() == [-8]
    assert to_float(f, torch.tensor([-8, 7])).tolist() == [-4.0, 3.5]


def test_shift_right_half_even_exhaustive():
    q = torch.arange(-64, 64)
    for n in range(0, 4):
        want = [round(v / 2**n) for v in q.tolist()]        # Python rounds half to even
        assert shift_right(q, n, "half-even").tolist() == want
        assert shift_right(q, n, "truncate").tolist() == [v >> n for v in q.tolist()]


@given(st.integers(-(1 << 40), 1 << 40), st.integers(2, 32))
def test_wrap_saturate(v, width):
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    w = wrap(torch.tensor(v), width).item()
    assert lo <= w <= hi and (w - v) % (1 << width) == 0
    assert saturate(torch.tensor(v), width).item() == min(max(v, lo), hi)
    assert fit(torch.tensor(v), width, "wrap").item() == w


def test_bad_mode_names_field():
    with pytest.raises(ValueError, match="^rounding must be one of 'truncate', 'half-even', "
                                         "not 'up'$"):
        shift_right(torch.tensor(3), 1, "up")
