"""Bit-exact model of :class:`tilewright.gen.softmax.Softmax` and its error against torch."""

import torch

from tilewright.golden.fixed import quantize, shift_right, to_float
from tilewright.specs.softmax import guard_bits, lut, lut_geometry

__all__ = ["softmax_lut", "softmax_error", "SoftmaxModel"]


def softmax_lut(q, fl, lut_depth, exp_bits, out_fl):
    """Softmax of integer tensor ``q`` (``(..., t)``, inputs with ``fl`` fraction bits) over
    the last dimension, as the RTL computes it; integer outputs with ``out_fl`` fraction
    bits. Every step is the integer operation of the hardware (TReX Eq. 2, Fig. 9)."""
    q = torch.as_tensor(q, dtype=torch.int64)
    t = q.shape[-1]
    shift = lut_geometry(fl, lut_depth, exp_bits)
    guard = guard_bits(t)
    table = torch.tensor(lut(fl, lut_depth, exp_bits) + [0], dtype=torch.int64)
    gap = q.max(dim=-1, keepdim=True).values - q                   # x_max − x_i ≥ 0
    idx = ((gap + ((1 << shift) >> 1)) >> shift).clamp(max=lut_depth)   # past the table → 0
    e = table[idx]
    total = e.sum(dim=-1, keepdim=True)
    recip = (1 << (exp_bits + out_fl + guard)) // total              # restoring divider
    return shift_right(e * recip, exp_bits + guard, "half-even")


class SoftmaxModel:
    """What a :class:`Softmax` with the same parameters outputs (nothing is elaborated)."""

    def __init__(self, unit):
        self.unit = unit

    def __call__(self, q):
        """``q``: integer tensor ``(t, heads)`` as streamed (one beat per row) → outputs of
        the same shape."""
        u = self.unit
        q = torch.as_tensor(q, dtype=torch.int64)
        return softmax_lut(q.T, u.fmt.fl, u.lut_depth, u.exp_bits, u.out_fl).T


def softmax_error(t, fmt, lut_depth, exp_bits, out_fl, vectors=64, seed=0):
    """Maximum and mean absolute error of a softmax unit with these parameters against
    ``torch.nn.functional.softmax`` over ``vectors`` vectors of length ``t`` drawn
    N(0, 2²) (a fixed seed), quantized to the input format ``fmt``.
    :mod:`tilewright.golden.models.accuracy` measures it on attention scores."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((vectors, t), generator=gen, dtype=torch.float64) * 2
    q = quantize(fmt, x)
    y = softmax_lut(q, fmt.fl, lut_depth, exp_bits, out_fl)
    err = (y.double() / (1 << out_fl) - torch.softmax(to_float(fmt, q), dim=-1)).abs()
    return {"max_abs_error": err.max().item(), "mean_abs_error": err.mean().item()}
