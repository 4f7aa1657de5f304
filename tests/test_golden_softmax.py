import pytest
import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.gen.softmax import Softmax
from tilewright.golden.softmax import SoftmaxModel, softmax_error, softmax_lut


def reference(q, fl, depth, e, out_fl):
    """Scalar Python re-derivation of the datapath (not sharing the vectorized code)."""
    shift = Softmax.lut_geometry(fl, depth, e)
    table = Softmax.lut(fl, depth, e)
    t = len(q)
    g = t.bit_length()
    top = max(q)
    ex = []
    for x in q:
        idx = (top - x + ((1 << shift) >> 1)) >> shift
        ex.append(table[idx] if idx < depth else 0)
    r = (1 << (e + out_fl + g)) // sum(ex)
    out = []
    for v in ex:
        num, den = v * r, 1 << (e + g)
        fl_q, rem = divmod(num, den)
        out.append(fl_q + (rem * 2 > den or (rem * 2 == den and fl_q % 2 == 1)))
    return out


@pytest.mark.parametrize("t, il, fl, depth, e, out_fl", [
    (1, 4, 4, 2, 4, 4), (2, 8, 0, 16, 8, 8), (16, 4, 16, 256, 16, 16),
    (197, 6, 10, 1024, 12, 10), (512, 2, 6, 64, 10, 12)])
def test_matches_scalar_derivation_and_sums_to_one(t, il, fl, depth, e, out_fl):
    fmt = FixedFormat(il, fl)
    gen = torch.Generator().manual_seed(t)
    q = torch.randint(fmt.min_int, fmt.max_int + 1, (6, t), generator=gen)
    q[1] = fmt.min_int          # all equal, most negative
    q[2] = fmt.min_int
    q[2, t // 2] = fmt.max_int  # one dominant input
    y = softmax_lut(q, fl, depth, e, out_fl)
    for row, want in zip(q.tolist(), y.tolist()):
        assert want == reference(row, fl, depth, e, out_fl)
    err = (y.sum(dim=-1) - (1 << out_fl)).abs().max().item() / (1 << out_fl)
    assert err <= Softmax.sum_bound(t, out_fl)
    assert int(y.min()) >= 0 and int(y.max()) <= 1 << out_fl


def test_corners():
    y = softmax_lut(torch.full((1, 16), -7), 4, 256, 16, 12)
    assert y.tolist() == [[256] * 16]                      # all equal: 1/16 each
    y = softmax_lut(torch.tensor([[5]]), 4, 256, 16, 12)
    assert y.tolist() == [[4096]]                          # t = 1: exactly 1.0
    y = softmax_lut(torch.tensor([[-128, 127, -128]]), 4, 64, 10, 10)
    assert y.tolist() == [[0, 1024, 0]]                    # dominant: 1.0 and 0


def test_model_streams_heads_as_columns():
    unit = Softmax(t=5, il=6, fl=4, heads=3, out_fl=10)
    q = torch.arange(15).view(5, 3) - 7
    want = softmax_lut(q.T, 4, unit.lut_depth, unit.exp_bits, 10).T
    assert torch.equal(SoftmaxModel(unit)(q), want)


def test_error_falls_with_lut_depth():
    errors = [softmax_error(64, FixedFormat(4, 16), d, 16, 16)["max_abs_error"]
              for d in (64, 256, 1024, 4096)]
    assert errors == sorted(errors, reverse=True) and errors[-1] < errors[0] / 8
    assert errors[-1] < 1e-3
