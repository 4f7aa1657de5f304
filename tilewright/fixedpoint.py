"""Signed fixed-point formats shared by the generators and the golden models.

A value in format ``(il, fl)`` is a two's-complement integer ``q`` of ``il + fl`` bits
standing for the real number ``q / 2**fl``; ``il`` counts the sign bit. AccelTran
(§III-B4) uses ``il=4, fl=16``; TransAxx and PIVOT use 8-bit integers, ``il=8, fl=0``.

Rounding and overflow are explicit everywhere, and the same integer operations are used
by the RTL (``gen/``) and the bit-exact models (``golden/``):

- rounding ``"truncate"`` drops the low bits (round towards minus infinity, what a plain
  arithmetic shift does in hardware); ``"half-even"`` rounds to nearest, ties to even;
- overflow ``"wrap"`` keeps the low bits (two's-complement wrap-around); ``"saturate"``
  clamps to the most negative / most positive value.

torch is imported inside the functions that make tensors, so that the generators, which
use only the formats' widths and limits, load without it (1.8 s of CPU per process).
"""

from dataclasses import dataclass

__all__ = ["FixedFormat", "ROUNDINGS", "OVERFLOWS", "check_choice", "shift_right", "fit",
           "wrap", "saturate"]

ROUNDINGS = ("truncate", "half-even")
OVERFLOWS = ("wrap", "saturate")

MAX_WIDTH = 32


def check_choice(name, value, choices):
    """Raise ``ValueError`` naming ``name`` and its allowed values unless ``value`` is one."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
    return value


def check_int(name, value, lo, hi):
    """Check that ``value`` is an ``int`` in ``[lo, hi]``; raise ``TypeError``/``ValueError``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer from {lo} to {hi}, not {value!r}")
    return value


@dataclass(frozen=True)
class FixedFormat:
    """Signed fixed-point format of ``il`` integer bits (sign included) and ``fl`` fraction bits.

    Parameters
    ----------
    il : int
        Integer length including the sign bit, 1 or more.
    fl : int
        Fractional length, 0 or more.  ``il + fl`` is from 2 to 32 bits.
    """

    il: int
    fl: int

    def __post_init__(self):
        check_int("il", self.il, 1, MAX_WIDTH)
        check_int("fl", self.fl, 0, MAX_WIDTH - 1)
        if not 2 <= self.il + self.fl <= MAX_WIDTH:
            raise ValueError(f"il + fl must be from 2 to {MAX_WIDTH} bits, "
                             f"not {self.il + self.fl!r}")

    @property
    def width(self):
        return self.il + self.fl

    @property
    def min_int(self):
        return -(1 << (self.width - 1))

    @property
    def max_int(self):
        return (1 << (self.width - 1)) - 1

    @property
    def scale(self):
        """Integer value of 1.0, ``2**fl``."""
        return 1 << self.fl

    def quantize(self, x, rounding="half-even", overflow="saturate"):
        """Float tensor → integer tensor (``torch.int64``) in this format."""
        import torch
        check_choice("rounding", rounding, ROUNDINGS)
        check_choice("overflow", overflow, OVERFLOWS)
        scaled = torch.as_tensor(x, dtype=torch.float64) * self.scale
        # torch.round rounds half to even
        q = torch.floor(scaled) if rounding == "truncate" else torch.round(scaled)
        lo, hi = float(-(1 << 62)), float(1 << 62)
        q = q.clamp(lo, hi).to(torch.int64)
        return fit(q, self.width, overflow)

    def to_float(self, q):
        """Integer tensor in this format → ``torch.float64`` tensor of the real values."""
        import torch
        return torch.as_tensor(q, dtype=torch.int64).to(torch.float64) / self.scale

    def range(self):
        """All representable integers, ascending, as a ``torch.int64`` tensor."""
        import torch
        return torch.arange(self.min_int, self.max_int + 1, dtype=torch.int64)


def shift_right(q, n, rounding):
    """Divide integer tensor ``q`` by ``2**n`` with the given rounding (``n >= 0``)."""
    import torch
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
    import torch
    q = torch.as_tensor(q, dtype=torch.int64)
    if width >= 64:
        return q
    low = q & ((1 << width) - 1)
    return torch.where(low >= (1 << (width - 1)), low - (1 << width), low)


def saturate(q, width):
    """Clamp ``q`` to the signed ``width``-bit range."""
    import torch
    q = torch.as_tensor(q, dtype=torch.int64)
    return q.clamp(-(1 << (width - 1)), (1 << (width - 1)) - 1)


def fit(q, width, overflow):
    """Bring ``q`` into the signed ``width``-bit range by wrapping or saturating."""
    check_choice("overflow", overflow, OVERFLOWS)
    return wrap(q, width) if overflow == "wrap" else saturate(q, width)
