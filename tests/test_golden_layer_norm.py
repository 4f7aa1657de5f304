import math

import pytest
import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.gen.layer_norm import LayerNorm
from tilewright.golden.layer_norm import layer_norm_error, layer_norm_fixed


def scalar(x, g, b, fl, width):
    """Independent scalar re-derivation of the datapath."""
    n = len(x)
    total = sum(x)
    mean = round(total / n)          # half to even; total / n is exact (n a power of two)
    d = [v - mean for v in x]
    var = sum(e * e for e in d) // n + LayerNorm.eps(fl)
    r = (1 << (2 * fl + 8)) // math.isqrt(var)
    lim = 1 << (fl + 6)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1

    def rhe(num, shift):
        q, rem = divmod(num, 1 << shift)
        half = 1 << (shift - 1) if shift else 0
        return q + (shift > 0 and (rem > half or (rem == half and q % 2 == 1)))
    out = []
    for e, gi, bi in zip(d, g, b):
        z = max(-lim, min(lim - 1, rhe(e * r, fl + 8)))
        out.append(max(lo, min(hi, rhe(z * gi, fl) + bi)))
    return out


@pytest.mark.parametrize("n, il, fl", [(2, 2, 2), (16, 4, 16), (128, 8, 8), (32, 20, 0)])
def test_matches_scalar_derivation(n, il, fl):
    fmt = FixedFormat(il, fl)
    gen = torch.Generator().manual_seed(n)
    x = torch.randint(fmt.min_int, fmt.max_int + 1, (5, n), generator=gen)
    x[1] = fmt.max_int                      # zero variance
    x[2, ::2], x[2, 1::2] = fmt.min_int, fmt.max_int
    g = torch.randint(fmt.min_int, fmt.max_int + 1, (n,), generator=gen)
    b = torch.randint(fmt.min_int, fmt.max_int + 1, (n,), generator=gen)
    y = layer_norm_fixed(x, g, b, fl, fmt.width)
    for row, want in zip(x.tolist(), y.tolist()):
        assert want == scalar(row, g.tolist(), b.tolist(), fl, fmt.width)


def test_close_to_torch_at_acceltran_format():
    err = layer_norm_error(16, FixedFormat(4, 16))
    assert err["max_abs_error"] < 1e-4 and err["mean_abs_error"] < 2e-5


def test_zero_variance_gives_beta():
    fmt = FixedFormat(4, 12)
    y = layer_norm_fixed(torch.full((1, 8), 1234), fmt.scale, torch.arange(8), 12, 16)
    assert y.tolist() == [list(range(8))]
