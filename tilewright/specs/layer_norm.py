"""The layer-norm unit's constants and cycle counts (AccelTran Table I, C-OP-8/11):
ε, the reciprocal's guard bits, the normalized value's integer bits, the widths and
cycles of the square root and the divider. :class:`tilewright.gen.layer_norm.LayerNorm`
builds them; :func:`tilewright.golden.layer_norm.layer_norm_fixed` computes with them."""

__all__ = ["GUARD", "Z_IL", "eps", "var_width", "sqrt_cycles", "divider_cycles",
           "vector_cycles"]

GUARD = 8        # guard bits of the reciprocal
Z_IL = 7         # integer bits (sign included) of the normalized value z, |z| < 64


def eps(fl):
    """ε in ``2·fl`` fraction bits: ``max(1, round(1e-5 · 2**(2·fl)))``."""
    return max(1, round(1e-5 * (1 << (2 * fl))))


def var_width(width, fl):
    """Bits of ``v = Σd²/n + ε`` (``|d| ≤ 2**width``)."""
    return max(2 * width + 1, eps(fl).bit_length()) + 1


def sqrt_cycles(width, fl):
    """One cycle to load ``v``, then ``B = ⌈width(v)/2⌉`` result bits, one a cycle."""
    return -(-var_width(width, fl) // 2) + 1


def divider_cycles(fl):
    """Quotient bits of ``r = floor(2**(2·fl + G) / s)``."""
    return 2 * fl + GUARD + 1


def vector_cycles(n, il, fl):
    """``n`` load + ``n`` variance + ``B + 1`` square root + ``2·fl + G + 1`` reciprocal +
    ``n`` normalize."""
    return 3 * n + sqrt_cycles(il + fl, fl) + divider_cycles(fl)
