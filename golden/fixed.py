"""Fixed-point arithmetic on integer tensors (``torch.int64``): conversion between real
values and a :class:`~tilewright.fixedpoint.FixedFormat`, right shifts with rounding, and
wrapping or saturating to a width. The RTL's counterparts are in
:mod:`tilewright.gen.fixed_ops`; both follow the rounding and overflow modes of
:mod:`tilewright.fixedpoint`."""

import torch

from tilewright.fixedpoint import OVERFLOWS, ROUNDINGS, check_choice

__all__ = ["quantize", "to_float", "all_values", "shift_right", "wrap", "saturate", "fit"]


def quantize(fmt, x, rounding="half-even", overflow="saturate"):
    """Float tensor → integer tensor (``torch.int64``) in ``fmt``."""
    check_choice("rounding", rounding, ROUNDINGS)
    check_choice("overflow", overflow, OVERFLOWS)
    scaled = torch.as_tensor(x, dtype=torch.float64) * fmt.scale
    # torch.round rounds half to even
    q = torch.floor(scaled) if rounding == "truncate" else torch.round(scaled)
    lo, hi = float(-(1 << 62)), float(1 << 62)
    q = q.clamp(lo, hi).to(torch.int64)
    return fit(q, fmt.width, overflow)


def to_float(fmt, q):
    """Integer tensor in ``fmt`` → ``torch.float64`` tensor of the real values."""
    return torch.as_tensor(q, dtype=torch.int64).to(torch.float64) / fmt.scale


def all_values(fmt):
    """All integers representable in ``fmt``, ascending, as a ``torch.int64`` tensor."""
    return torch.arange(fmt.min_int, fmt.max_int + 1, dtype=torch.int64)


def shift_right(q, n, rounding):
    """Divide integer tensor ``q`` by ``2**n`` with the given rounding (``n >= 0``)."""
    check_choice("rounding", rounding, ROUNDINGS)
    q = torch.as_tensor(q, dtype=torch.int64)
    if n == 0:
        return q
    floor = q >> n
    if rounding == "truncate":
        return floor
    rem = q - (floor << n)
    half = 1 << (n - 1)
    up = (rem > half) | ((rem == half) & ((floor & 1) == 1))
    return floor + up.to(torch.int64)


def wrap(q, width):
    """Keep the low ``width`` bits of ``q`` as a signed value."""
    q = torch.as_tensor(q, dtype=torch.int64)
    if width >= 64:
        return q
    low = q & ((1 << width) - 1)
    return torch.where(low >= (1 << (width - 1)), low - (1 << width), low)


def saturate(q, width):
    """Clamp ``q`` to the signed ``width``-bit range."""
    q = torch.as_tensor(q, dtype=torch.int64)
    return q.clamp(-(1 << (width - 1)), (1 << (width - 1)) - 1)


def fit(q, width, overflow):
    """Bring ``q`` into the signed ``width``-bit range by wrapping or saturating."""
    check_choice("overflow", overflow, OVERFLOWS)
    return wrap(q, width) if overflow == "wrap" else saturate(q, width)
