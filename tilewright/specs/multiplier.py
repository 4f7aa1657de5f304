"""The multiplier kinds, their knob ``k`` and its range (TransAxx §III; the kinds are
described in :mod:`tilewright.gen.multiplier`). :mod:`tilewright.gen.multiplier` builds
them; :mod:`tilewright.golden.multiplier` models them."""

from tilewright.fixedpoint import check_choice, check_int

__all__ = ["KINDS", "MIN_BITS", "MAX_BITS", "k_range", "default_k", "check_multiplier"]

KINDS = ("exact", "truncated", "mitchell", "drum", "ssm")
MIN_BITS, MAX_BITS = 4, 16


def k_range(kind, bits):
    """Allowed ``(lowest, highest)`` knob ``k`` of ``kind`` at ``bits``; ``None`` for exact."""
    return {"exact": None, "truncated": (1, bits - 1), "mitchell": (1, bits - 1),
            "drum": (3, bits - 1), "ssm": ((bits + 1) // 2, bits - 1)}[kind]


def default_k(kind, bits):
    """The knob used when ``k`` is not given."""
    return {"exact": None, "truncated": bits // 2, "mitchell": bits - 1,
            "drum": max(3, bits // 2), "ssm": (bits + 1) // 2}[kind]


def check_multiplier(kind, bits, k, kind_name="kind", k_name="k"):
    """Check a multiplier's parameters; returns ``k`` resolved (default filled in).

    Raises ``TypeError``/``ValueError`` naming the field and the allowed values.
    """
    check_choice(kind_name, kind, KINDS)
    check_int("bits", bits, MIN_BITS, MAX_BITS)
    if kind == "exact":
        if k is not None:
            raise ValueError(f"{k_name} is not used by kind 'exact'; leave it unset")
        return None
    if k is None:
        return default_k(kind, bits)
    lo, hi = k_range(kind, bits)
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"{k_name} must be an integer, not {k!r}")
    if not lo <= k <= hi:
        raise ValueError(f"{k_name} must be an integer from {lo} to {hi} for kind {kind!r} "
                         f"with bits={bits}, not {k!r}")
    return k
