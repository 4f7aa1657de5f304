"""The softmax unit's arithmetic (TReX Eq. 2, Fig. 9): exponent LUT geometry and
contents, guard bits of the reciprocal, divider and vector cycles, and the bound on
``|Σ y − 1|``. :class:`tilewright.gen.softmax.Softmax` builds them;
:func:`tilewright.golden.softmax.softmax_lut` computes with them."""

import math

__all__ = ["guard_bits", "divider_cycles", "vector_cycles", "sum_bound", "lut_geometry",
           "lut"]


def guard_bits(t):
    """Extra quotient bits of the reciprocal, ``G = bit_length(t)`` (``t < 2**G``)."""
    return t.bit_length()


def divider_cycles(t, out_fl):
    """Cycles of the restoring divider: ``Q = out_fl + G + 1`` quotient bits."""
    return out_fl + guard_bits(t) + 1


def vector_cycles(t, out_fl):
    """Cycles per vector at full rate: ``t`` load + ``t`` exponent + ``Q`` reciprocal
    + ``t`` divide."""
    return 3 * t + divider_cycles(t, out_fl)


def sum_bound(t, out_fl):
    """Largest ``|Σ y_i − 1|`` of one vector (real units): ``(t/2 + t·2**−G)·2**−out_fl``
    (derivation in :mod:`tilewright.gen.softmax`)."""
    return (t / 2 + t / 2 ** guard_bits(t)) / 2 ** out_fl


def lut_geometry(fl, lut_depth, exp_bits):
    """``shift``: the LUT step is ``2**shift`` input LSBs, the smallest power of two for
    which ``lut_depth`` entries reach ``(exp_bits + 1)·ln 2``."""
    reach = math.ceil((exp_bits + 1) * math.log(2) * (1 << fl))
    shift = 0
    while lut_depth << shift < reach:
        shift += 1
    return shift


def lut(fl, lut_depth, exp_bits):
    """The exponent LUT: ``round(2**E · exp(−k·2**shift/2**fl))`` for each entry ``k``."""
    shift = lut_geometry(fl, lut_depth, exp_bits)
    return [round((1 << exp_bits) * math.exp(-(k << shift) / (1 << fl)))
            for k in range(lut_depth)]
