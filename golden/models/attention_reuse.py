"""TReX attention reuse patterns (TReX §IV, Fig. 5).

A pattern is the set of encoders (0-based) that reuse attention instead of computing it;
build the model with ``EncoderConfig(reuse=pattern)``. Encoder 0 always computes.

- **strided**: ``n_reuse`` encoders ``stride`` apart from ``start``;
- **continuous**: ``n_reuse`` consecutive encoders from ``start``;
- **pyramid**: strided–continuous–strided: ``n_cont`` consecutive encoders in the middle,
  the other ``n_reuse − n_cont`` encoders ``stride`` apart before (the first half,
  rounded down) and after it.
"""

from tilewright.fixedpoint import check_choice, check_int

__all__ = ["PATTERNS", "pattern"]

PATTERNS = ("strided", "continuous", "pyramid")


def pattern(kind, layers, n_reuse, start=1, stride=2, n_cont=2):
    """The encoders that reuse attention, as a sorted tuple; ``ValueError`` if the pattern
    does not fit in ``layers`` encoders."""
    check_choice("pattern", kind, PATTERNS)
    check_int("layers", layers, 2, 1024)
    check_int("n_reuse", n_reuse, 0, layers - 1)
    check_int("start", start, 1, layers - 1)
    check_int("stride", stride, 2, layers)
    if kind == "strided":
        enc = [start + i * stride for i in range(n_reuse)]
    elif kind == "continuous":
        enc = [start + i for i in range(n_reuse)]
    else:
        check_int("n_cont", n_cont, 1, n_reuse)
        before = (n_reuse - n_cont) // 2
        after = n_reuse - n_cont - before
        enc = [start + i * stride for i in range(before)]
        first = enc[-1] + stride if enc else start
        enc += [first + i for i in range(n_cont)]
        enc += [enc[-1] + (i + 1) * stride for i in range(after)]
    if enc and enc[-1] >= layers:
        raise ValueError(f"{kind} pattern of {n_reuse} encoders from {start} does not fit "
                         f"in {layers} encoders")
    return tuple(enc)
