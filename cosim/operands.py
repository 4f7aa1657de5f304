"""Random operands that the testbenches share: a share of the format's extremes (most
negative, most positive, 0, ±1) and the rest uniform within ``±2**k`` for a ``k`` drawn
per call, so that small, large and saturating results all occur."""

import math

import torch

__all__ = ["EXTREME_SHARE", "operands"]

#: Share of operands drawn from the extremes.
EXTREME_SHARE = 0.3


def operands(rand, fmt, shape, extreme_share=EXTREME_SHARE):
    """A ``torch.int64`` tensor of ``shape`` in format ``fmt``, drawn from ``rand``."""
    extremes = [fmt.min_int, fmt.max_int, 0, -1, 1]
    bound = 1 << rand.randint(0, fmt.width - 1)
    lo, hi = max(fmt.min_int, -bound), min(fmt.max_int, bound)
    values = [rand.choice(extremes) if rand.random() < extreme_share else rand.randint(lo, hi)
              for _ in range(math.prod(shape))]
    return torch.tensor(values, dtype=torch.int64).view(*shape)
