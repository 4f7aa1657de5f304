"""Bit-exact models of :mod:`tilewright.gen.multiplier`, product tables and their error metrics.

A **table** of an n-bit signed multiplier is a ``torch.int64`` tensor of shape
``(2**n, 2**n)``: ``table[a + 2**(n-1), b + 2**(n-1)]`` is the product of ``a`` and ``b``
(rows and columns in ascending signed order, ``-2**(n-1)`` first). Tables come from these
models (:func:`golden_table`), from the RTL (:mod:`tilewright.flows.multiplier_table`), or
from the user (:func:`load_table`: a Python callable, a ``.npy`` or a ``.csv`` file), and
drive the PyTorch emulation (:mod:`tilewright.golden.models.approx_layers`, TransAxx §III-A).

:func:`error_metrics` uses the standard definitions over all ``2**(2n)`` input pairs,
uniformly weighted, with ``e = approx - exact`` (EvoApprox / TransAxx §V-B convention for
the relative error: ``|e| / max(1, |exact|)``).
"""

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from tilewright.specs.multiplier import check_multiplier

__all__ = ["approx_multiply", "golden_table", "operand_grid", "error_metrics", "load_table",
           "check_table", "TableError", "MAX_TABLE_BITS"]

#: Tables are held whole in memory: 2**16 entries at 8 bits, 2**20 at 10.
MAX_TABLE_BITS = 10


def _leading_one(x, bits):
    pos = torch.zeros_like(x)
    for i in range(bits):
        pos = torch.where(((x >> i) & 1) == 1, torch.full_like(x, i), pos)
    return pos


def _truncated(a, b, bits, k):
    keep = ~((1 << k) - 1)
    return sum((((a >> i) & 1) * ((b << i) & keep) for i in range(bits)),
               torch.zeros_like(a))


def _mitchell(a, b, bits, k):
    top = ((1 << (bits - 1)) - 1) & ~((1 << (bits - 1 - k)) - 1)
    lead_a, lead_b = _leading_one(a, bits), _leading_one(b, bits)
    frac = [((x << (bits - 1 - lead)) & top) for x, lead in ((a, lead_a), (b, lead_b))]
    total = frac[0] + frac[1]
    carry = total >> (bits - 1)
    mantissa = torch.where(carry == 1, total, (1 << (bits - 1)) + total)
    wide = (mantissa << (lead_a + lead_b + carry)) >> (bits - 1)
    return torch.where((a == 0) | (b == 0), torch.zeros_like(a), wide)


def _drum_segment(x, bits, k):
    big = (x >> k) != 0
    shift = torch.where(big, _leading_one(x, bits) - (k - 1), torch.zeros_like(x))
    return torch.where(big, ((x >> shift) & ((1 << k) - 1)) | 1, x), shift


def _ssm_segment(x, bits, k):
    high = (x >> k) != 0
    return (torch.where(high, x >> (bits - k), x),
            torch.where(high, torch.full_like(x, bits - k), torch.zeros_like(x)))


def _segmented(segment):
    def multiply(a, b, bits, k):
        (va, sa), (vb, sb) = segment(a, bits, k), segment(b, bits, k)
        return (va * vb) << (sa + sb)
    return multiply


_UNSIGNED = {"truncated": _truncated, "mitchell": _mitchell,
             "drum": _segmented(_drum_segment), "ssm": _segmented(_ssm_segment)}


def approx_multiply(a, b, kind="exact", bits=8, k=None):
    """Products of signed ``bits``-bit integer tensors ``a``, ``b`` (broadcast) as
    :class:`~tilewright.gen.multiplier.MultiplierCore` computes them (``torch.int64``)."""
    k = check_multiplier(kind, bits, k)
    a = torch.as_tensor(a, dtype=torch.int64)
    b = torch.as_tensor(b, dtype=torch.int64)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    for name, x in (("a", a), ("b", b)):
        if x.numel() and (int(x.min()) < lo or int(x.max()) > hi):
            raise ValueError(f"{name} must hold {bits}-bit signed integers from {lo} to {hi}")
    if kind == "exact":
        return a * b
    a, b = torch.broadcast_tensors(a, b)
    mag = _UNSIGNED[kind](a.abs(), b.abs(), bits, k)
    return torch.where((a < 0) ^ (b < 0), -mag, mag)


def operand_grid(bits):
    """All operand pairs in table order: two ``(2**bits, 2**bits)`` tensors ``a``, ``b``."""
    values = torch.arange(-(1 << (bits - 1)), 1 << (bits - 1), dtype=torch.int64)
    return torch.meshgrid(values, values, indexing="ij")


@lru_cache(maxsize=32)
def _cached_table(kind, bits, k):
    return approx_multiply(*operand_grid(bits), kind, bits, k)


def golden_table(kind="exact", bits=8, k=None):
    """The full product table of a multiplier (a fresh copy; see the module docstring)."""
    k = check_multiplier(kind, bits, k)
    if bits > MAX_TABLE_BITS:
        raise ValueError(f"bits must be at most {MAX_TABLE_BITS} for a whole table, "
                         f"not {bits!r}")
    return _cached_table(kind, bits, k).clone()


def error_metrics(table):
    """Error of ``table`` against exact multiplication, over all input pairs.

    Returns a dict of floats: ``mre`` (mean of ``|e| / max(1, |exact|)``), ``mae`` (mean
    ``|e|``), ``nmae`` (``mae`` over the largest exact magnitude, ``2**(2n-2)``), ``wce``
    (largest ``|e|``), ``nwce`` (``wce`` normalised the same way), ``ep`` (fraction of
    pairs with ``e != 0``), ``mse`` (mean ``e**2``), ``bias`` (mean ``e``).
    """
    bits = check_table(table, None)
    exact = torch.mul(*operand_grid(bits))
    err = (torch.as_tensor(table, dtype=torch.int64) - exact).to(torch.float64)
    scale = float(1 << (2 * bits - 2))
    mae = float(err.abs().mean())
    wce = float(err.abs().max())
    return {
        "mre": float((err.abs() / exact.abs().clamp(min=1).to(torch.float64)).mean()),
        "mae": mae, "nmae": mae / scale, "wce": wce, "nwce": wce / scale,
        "ep": float((err != 0).to(torch.float64).mean()),
        "mse": float((err * err).mean()), "bias": float(err.mean()),
    }


class TableError(ValueError):
    """A user-supplied multiplier table has the wrong shape, type or range."""


def check_table(table, bits, source="table"):
    """Check a candidate table; returns its ``bits``. ``bits=None`` infers it from the shape.

    Raises :class:`TableError` naming ``source`` and what is wrong.
    """
    if not isinstance(table, torch.Tensor):
        raise TableError(f"{source}: a table must be a torch tensor, not "
                         f"{type(table).__name__}")
    if bits is None:
        side = table.shape[0] if table.dim() == 2 else 0
        bits = side.bit_length() - 1
        if table.dim() != 2 or side != 1 << bits or not 4 <= bits <= MAX_TABLE_BITS:
            raise TableError(f"{source}: shape must be (2**n, 2**n) with n from 4 to "
                             f"{MAX_TABLE_BITS}, not {tuple(table.shape)}")
    side = 1 << bits
    if tuple(table.shape) != (side, side):
        raise TableError(f"{source}: shape must be ({side}, {side}) for bits={bits} "
                         f"(or {side * side} entries), not {tuple(table.shape)}")
    if table.dtype.is_floating_point or table.dtype.is_complex or table.dtype == torch.bool:
        raise TableError(f"{source}: entries must be integers, not {table.dtype}")
    lo, hi = -(1 << (2 * bits - 1)), (1 << (2 * bits - 1)) - 1
    if table.numel() and (int(table.min()) < lo or int(table.max()) > hi):
        raise TableError(f"{source}: products must fit {2 * bits}-bit signed integers "
                         f"({lo} to {hi}); found {int(table.min())} to {int(table.max())}")
    return bits


def load_table(source, bits):
    """A user-supplied multiplier as a checked table (``torch.int64``, table order).

    ``source`` is
    - a Python callable ``f(a, b)``: called once with the two ``int64`` tensors of
      :func:`operand_grid` (vectorised); if that raises, called on each pair of ints;
    - a path to a ``.npy`` file holding a ``(2**n, 2**n)`` or ``(2**(2n),)`` integer array
      in table order;
    - a path to a ``.csv`` file: either ``2**n`` rows of ``2**n`` products (table order),
      or ``2**(2n)`` rows ``a,b,product`` (any order, each pair once; a header row of
      non-numbers is skipped).
    """
    from tilewright.fixedpoint import check_int
    check_int("bits", bits, 4, MAX_TABLE_BITS)
    side = 1 << bits
    if callable(source):
        name = getattr(source, "__name__", "callable")
        table = _from_callable(source, bits, name)
    else:
        path = Path(source)
        name = str(path)
        if not path.is_file():
            raise TableError(f"{name}: no such file")
        if path.suffix == ".npy":
            try:
                array = np.load(path, allow_pickle=False)
            except (ValueError, OSError, EOFError):
                raise TableError(f"{name}: not a NumPy .npy file of integers") from None
            if not isinstance(array, np.ndarray):          # an .npz archive
                raise TableError(f"{name}: not a NumPy .npy file of integers")
            if array.dtype.kind not in "iu":
                raise TableError(f"{name}: entries must be integers, not {array.dtype}")
            table = torch.from_numpy(array.astype(np.int64))
        elif path.suffix == ".csv":
            table = _from_csv(path, bits)
        else:
            raise TableError(f"{name}: a table file must end in .npy or .csv")
    if table.dim() == 1 and table.numel() == side * side:
        table = table.view(side, side)
    check_table(table, bits, name)
    return table.to(torch.int64)


def _from_callable(fn, bits, name):
    a, b = operand_grid(bits)
    try:
        out = torch.as_tensor(fn(a, b))
    except Exception:
        out = torch.tensor([[fn(int(x), int(y)) for x, y in zip(ra, rb)]
                            for ra, rb in zip(a.tolist(), b.tolist())])
    if out.shape != a.shape:
        raise TableError(f"{name}: returned shape {tuple(out.shape)}, want {tuple(a.shape)}")
    return out


def _from_csv(path, bits):
    side, off = 1 << bits, 1 << (bits - 1)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error):
        raise TableError(f"{path}: not a CSV text file") from None
    if rows and not any(_is_int(c) for c in rows[0]):
        rows = rows[1:]                        # a header row of names
    bad = next((c for r in rows for c in r if not _is_int(c)), None)
    if bad is not None:
        raise TableError(f"{path}: entries must be integers, not {bad[:20]!r}")
    values = [[int(c) for c in r] for r in rows]
    if not values:
        raise TableError(f"{path}: no entries")
    if any(abs(v) >= 1 << 62 for r in values for v in r):
        raise TableError(f"{path}: entries must be integers below 2**62 in magnitude")
    if rows and all(len(r) == 3 for r in values) and len(values) == side * side:
        table = torch.full((side, side), 0, dtype=torch.int64)
        seen = torch.zeros((side, side), dtype=torch.bool)
        for a, b, p in values:
            if not (-off <= a < off and -off <= b < off):
                raise TableError(f"{path}: operand pair ({a}, {b}) is outside {bits}-bit "
                                 f"signed range")
            if seen[a + off, b + off]:
                raise TableError(f"{path}: operand pair ({a}, {b}) appears twice")
            seen[a + off, b + off] = True
            table[a + off, b + off] = p
        return table
    if len({len(r) for r in values}) > 1:
        raise TableError(f"{path}: rows must all have the same number of entries")
    return torch.tensor(values, dtype=torch.int64).reshape(len(values), -1)


def _is_int(text):
    try:
        int(text)
    except ValueError:
        return False
    return True
