"""Signed fixed-point formats shared by the generators and the golden models.

A value in format ``(il, fl)`` is a two's-complement integer ``q`` of ``il + fl`` bits
standing for the real number ``q / 2**fl``; ``il`` counts the sign bit. AccelTran
(§III-B4) uses ``il=4, fl=16``; TransAxx and PIVOT use 8-bit integers, ``il=8, fl=0``.

Rounding and overflow are explicit everywhere, and the same integer operations are used
by the RTL (:mod:`tilewright.gen.fixed_ops`) and the bit-exact models
(:mod:`tilewright.golden.fixed`, on tensors):

- rounding ``"truncate"`` drops the low bits (round towards minus infinity, what a plain
  arithmetic shift does in hardware); ``"half-even"`` rounds to nearest, ties to even;
- overflow ``"wrap"`` keeps the low bits (two's-complement wrap-around); ``"saturate"``
  clamps to the most negative / most positive value.
"""

from dataclasses import dataclass

__all__ = ["FixedFormat", "ROUNDINGS", "OVERFLOWS", "check_choice", "check_int",
           "check_power_of_two"]

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


def check_power_of_two(name, value, lo, hi):
    """:func:`check_int` and a power of two; the message names the range."""
    check_int(name, value, lo, hi)
    if value & (value - 1):
        raise ValueError(f"{name} must be a power of two from {lo} to {hi}, not {value!r}")
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
