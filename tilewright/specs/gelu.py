"""The piecewise-linear GeLU's table (AccelTran §III-B4): chords of ``gelu(x) = x·Φ(x)``
over ``[-R, R)``, ``R = min(4, 2**(il-1))``, as start values in the data format and slopes
with :data:`COEF_FL` fraction bits. :class:`tilewright.gen.gelu.GeluPWL` builds it into a
look-up; :func:`tilewright.golden.gelu.gelu_pwl` computes with it."""

import math

__all__ = ["COEF_FL", "geometry", "table"]

COEF_FL = 16


def _gelu(x):
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


def geometry(fmt, segments):
    """``(r, shift, count)``: domain ``[-2**r, 2**r)`` in integer units of ``fmt``, segment
    width ``2**shift``, number of segments actually used."""
    r = min(2, fmt.il - 1) + fmt.fl
    shift = max(0, r + 1 - int(math.log2(segments)))
    return r, shift, 1 << (r + 1 - shift)


def table(fmt, segments):
    """List of ``(c0, slope)`` integer pairs, one per segment."""
    r, shift, count = geometry(fmt, segments)
    step = (1 << shift) / fmt.scale
    rows = []
    for i in range(count):
        x0 = (-(1 << r) + (i << shift)) / fmt.scale
        slope = (_gelu(x0 + step) - _gelu(x0)) / step
        c0 = round(_gelu(x0) * fmt.scale)
        rows.append((c0, round(slope * (1 << COEF_FL))))
    return rows
