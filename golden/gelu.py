"""Bit-exact model of :class:`tilewright.gen.gelu.GeluPWL` and its error against torch."""

import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.fixed import saturate, to_float
from tilewright.specs.gelu import COEF_FL, geometry, table

__all__ = ["gelu_pwl", "gelu_error"]


def gelu_pwl(q, fmt, segments=64):
    """Piecewise-linear GeLU of integer tensor ``q`` in ``fmt``, as the RTL computes it."""
    q = torch.as_tensor(q, dtype=torch.int64)
    r, shift, count = geometry(fmt, segments)
    rows = torch.tensor(table(fmt, segments), dtype=torch.int64)
    off = (q + (1 << r)).clamp(0, (1 << (r + 1)) - 1)
    idx = off >> shift
    d = off & ((1 << shift) - 1)
    y = saturate(rows[idx, 0] + ((rows[idx, 1] * d) >> COEF_FL), fmt.width)
    y = torch.where(q >= (1 << r), q, y)
    return torch.where(q < -(1 << r), torch.zeros_like(q), y)


def gelu_error(fmt, segments=64):
    """Maximum and mean absolute error against ``torch.nn.functional.gelu`` (exact erf),
    over every representable input of ``fmt`` (up to 2**20 of them, evenly spaced beyond)."""
    if not isinstance(fmt, FixedFormat):
        raise TypeError(f"fmt must be a FixedFormat, not {fmt!r}")
    step = max(1, (fmt.max_int - fmt.min_int + 1) >> 20)
    q = torch.arange(fmt.min_int, fmt.max_int + 1, step, dtype=torch.int64)
    err = (to_float(fmt, gelu_pwl(q, fmt, segments))
           - torch.nn.functional.gelu(to_float(fmt, q))).abs()
    return {"max_abs_error": err.max().item(), "mean_abs_error": err.mean().item()}
