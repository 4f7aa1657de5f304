"""Fixed-point rounding and overflow as Amaranth expressions, and a restoring divider's
step, shared by the generators.

The hardware twins of :func:`tilewright.golden.fixed.shift_right` and
:func:`tilewright.golden.fixed.fit`; the golden models use those, so both sides agree bit
for bit.
"""

from amaranth.hdl import Mux

from tilewright.fixedpoint import OVERFLOWS, ROUNDINGS, check_choice

__all__ = ["shift_right", "fit", "divider_step"]


def shift_right(value, n, rounding):
    """``value / 2**n`` rounded as ``rounding`` says; ``value`` must be signed."""
    check_choice("rounding", rounding, ROUNDINGS)
    if n == 0:
        return value
    floor = value >> n
    if rounding == "truncate":
        return floor
    # the dropped bits are above one half, or exactly one half and floor is odd
    above_half = value[:n - 1].any() if n > 1 else 0
    up = value[n - 1] & (above_half | floor[0])
    return floor + up


def fit(value, width, overflow):
    """Bring signed ``value`` into ``signed(width)`` by wrapping or saturating."""
    check_choice("overflow", overflow, OVERFLOWS)
    if overflow == "wrap":
        return value[:width].as_signed()
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return Mux(value > hi, hi, Mux(value < lo, lo, value[:width].as_signed())).as_signed()


def divider_step(m, rem, quotient, divisor, bit_in):
    """One cycle of a restoring divider: ``rem ← 2·rem + bit_in``, minus ``divisor`` when
    that fits, and the outcome shifted into ``quotient`` (``rem`` must stay below
    ``divisor`` between steps, so ``rem`` needs one bit more than ``divisor``)."""
    twice = (rem << 1) | bit_in
    fits = twice >= divisor
    m.d.sync += [rem.eq(Mux(fits, twice - divisor, twice)),
                 quotient.eq(((quotient << 1) | fits)[:len(quotient)])]
