"""Piecewise-linear GeLU, combinational (AccelTran §III-B4: GeLU at the MAC lane output).

The curve ``gelu(x) = x·Φ(x)`` is split over ``[-R, R)`` (``R = min(4, 2**(il-1))``) into
``segments`` equal pieces; each piece is the chord between its end points, stored as a
start value ``c0`` (in the data format) and a slope (``COEF_FL`` fraction bits). Inputs at
or above ``R`` pass through (``gelu(x) ≈ x``), inputs below ``-R`` give 0. The hardware is
one table look-up, one small multiply and one add::

    off = x + R·2**fl;  idx = off >> shift;  d = off mod 2**shift
    y   = c0[idx] + floor(slope[idx] · d / 2**COEF_FL)      (saturated to the format)

All the numbers come from :mod:`tilewright.specs.gelu`, which the golden model
(:mod:`tilewright.golden.gelu`) also uses.
"""

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tilewright.fixedpoint import FixedFormat, check_power_of_two
from tilewright.gen.fixed_ops import fit
from tilewright.specs import gelu as gelu_spec
from tilewright.specs.gelu import COEF_FL

__all__ = ["GeluPWL", "MAX_SEGMENTS"]

MAX_SEGMENTS = 256

class GeluPWL(wiring.Component):
    """Combinational piecewise-linear GeLU on one fixed-point value.

    Parameters
    ----------
    fmt : FixedFormat
        Format of input and output.
    segments : int
        Number of chords over ``[-R, R)``, a power of two from 2 to 256 (fewer when the
        format has fewer representable values in that range).

    Latency 0 (combinational); throughput one value per cycle.

    Members
    -------
    x : In(signed(width))
    y : Out(signed(width))
    """

    def __init__(self, fmt, segments=64):
        if not isinstance(fmt, FixedFormat):
            raise TypeError(f"fmt must be a FixedFormat, not {fmt!r}")
        self.check_segments(segments)
        self._fmt = fmt
        self._segments = segments
        super().__init__({"x": In(signed(fmt.width)), "y": Out(signed(fmt.width))})

    @staticmethod
    def check_segments(segments):
        check_power_of_two("gelu_segments", segments, 2, MAX_SEGMENTS)

    geometry = staticmethod(gelu_spec.geometry)
    table = staticmethod(gelu_spec.table)

    @property
    def fmt(self):
        return self._fmt

    @property
    def segments(self):
        return self._segments

    def elaborate(self, platform):
        m = Module()
        fmt = self._fmt
        r, shift, count = self.geometry(fmt, self._segments)
        rows = self.table(fmt, self._segments)

        off = Signal(unsigned(r + 2))
        m.d.comb += off.eq(self.x + (1 << r))
        c0 = Signal(signed(fmt.width + 1))
        slope = Signal(signed(max(abs(s) for _, s in rows).bit_length() + 2))
        with m.Switch(off[shift:r + 1]):
            for i, (c, s) in enumerate(rows):
                with m.Case(i):
                    m.d.comb += [c0.eq(c), slope.eq(s)]
        d = off[:shift] if shift else 0
        y = c0 + ((slope * d) >> COEF_FL)

        with m.If(self.x >= (1 << r)):
            m.d.comb += self.y.eq(self.x)
        with m.Elif(self.x < -(1 << r)):
            m.d.comb += self.y.eq(0)
        with m.Else():
            m.d.comb += self.y.eq(fit(y, fmt.width, "saturate"))
        return m
