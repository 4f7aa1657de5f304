"""PyTorch emulation of approximate multipliers in linear layers and matmuls (TransAxx §III).

As TransAxx (§III-A, §III-C) does, each approximate layer quantizes its two operands to
``bits``-bit signed integers (symmetric, zero point 0, range ``±(2**(bits-1) - 1)``),
multiplies every pair by **table look-up** in the multiplier's product table (see
:mod:`tilewright.golden.multiplier`; a table taken from the RTL makes the emulation
bit-identical to the hardware), accumulates the integer products exactly (``int64``), and
scales the sum back to float. Activations are calibrated with the 99.9th percentile of
``|x|`` over calibration batches (TransAxx §III-C: histogram calibrator, 99.9 %); weights
use their current maximum ``|w|`` (recomputed every call, so fine-tuning can change them).

Backward is a straight-through estimator (STE, TransAxx §III-C): gradients are those of
the float product of the dequantized operands, zeroed where an operand was clipped, so
approximation-aware fine-tuning trains through the approximate forward pass.

Use :func:`approximate` to swap a model's ``nn.Linear`` and :class:`Matmul` modules for
approximate ones (one table for all, or a per-layer assignment by module name), then
:func:`calibrate` with a few batches.
"""

from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from tilewright.golden.multiplier import check_table, operand_grid

__all__ = ["Quantizer", "table_matmul", "ApproxLinear", "Matmul", "ApproxMatmul",
           "approximate", "calibrate"]

#: Gather at most this many products at once (4 bytes each: stays in cache).
CHUNK = 1 << 18


class Quantizer(nn.Module):
    """Symmetric per-tensor ``bits``-bit quantizer with percentile calibration.

    While :attr:`calibrating`, :meth:`observe` keeps a random sample (at most
    ``samples`` values per call) of ``|x|``; :meth:`finish` sets ``amax`` to its
    ``percentile``. ``percentile=None`` means the running maximum of ``|x|`` per call
    (used for weights).
    """

    def __init__(self, bits, percentile=99.9, samples=1 << 16):
        super().__init__()
        self.bits, self.percentile, self.samples = bits, percentile, samples
        self.register_buffer("amax", torch.tensor(float("nan")))
        self.calibrating = False
        self._seen = []

    @property
    def qmax(self):
        return (1 << (self.bits - 1)) - 1

    def observe(self, x):
        flat = x.detach().abs().reshape(-1).to(torch.float64)
        if flat.numel() > self.samples:
            flat = flat[torch.randint(flat.numel(), (self.samples,))]
        self._seen.append(flat)

    def finish(self):
        if not self._seen:
            raise RuntimeError("no calibration data was observed")
        seen = torch.cat(self._seen)
        self._seen = []
        self.amax.fill_(float(torch.quantile(seen, self.percentile / 100.0)))

    def scale(self, x=None):
        amax = x.detach().abs().max() if self.percentile is None else self.amax
        if torch.isnan(amax):
            raise RuntimeError("quantizer is not calibrated: run the model inside "
                               "tilewright.golden.models.approx_layers.calibrate(model) first")
        return (amax.to(torch.float64) / self.qmax).clamp(min=torch.finfo(torch.float32).tiny)

    def quantize(self, x, scale):
        """``(integers int64, dequantized float, in-range mask)``."""
        q = torch.round(x.detach().to(torch.float64) / scale)
        inside = q.abs() <= self.qmax
        q = q.clamp(-self.qmax, self.qmax)
        return q.to(torch.int64), (q * scale).to(x.dtype), inside


def table_matmul(a, b, table, bits):
    """``sum_k table[a[..., m, k], b[k, n]]``: integer matmul of ``a (..., M, K)`` and
    ``b (K, N)`` (or ``a (B, M, K)`` and ``b (B, K, N)``) with every product looked up in
    ``table``, accumulated exactly (int64).

    The look-ups run in numpy (``int32`` indices, a table of ``int32``: 5x faster than
    torch indexing on one core, measured on a 6120×64 by 64×64 product)."""
    side, off = 1 << bits, 1 << (bits - 1)
    if tuple(table.shape) != (side, side):          # contents checked by the layers
        raise ValueError(f"table must have shape ({side}, {side}) for bits={bits}, "
                         f"not {tuple(table.shape)}")
    flat = table.reshape(-1).numpy().astype(np.int32)
    if b.dim() == 3:                                                  # batched: (B, M, K)
        rows = ((a + off) * side).numpy().astype(np.int32)
        cols = (b + off).transpose(1, 2).numpy().astype(np.int32)    # (B, N, K)
        out = np.empty((rows.shape[0], rows.shape[1], cols.shape[1]), dtype=np.int64)
        step = max(1, CHUNK // max(1, rows.shape[1] * cols[0].size))
        for start in range(0, rows.shape[0], step):
            idx = rows[start:start + step, :, None, :] + cols[start:start + step, None, :, :]
            out[start:start + step] = np.take(flat, idx).sum(-1, dtype=np.int64)
        return torch.from_numpy(out)
    rows = ((a + off) * side).reshape(-1, a.shape[-1]).numpy().astype(np.int32)   # (M', K)
    cols = (b + off).t().numpy().astype(np.int32)                                # (N, K)
    out = np.empty((rows.shape[0], cols.shape[0]), dtype=np.int64)
    step = max(1, CHUNK // max(1, cols.size))
    for start in range(0, rows.shape[0], step):
        idx = rows[start:start + step, None, :] + cols[None, :, :]
        out[start:start + step] = np.take(flat, idx).sum(-1, dtype=np.int64)
    return torch.from_numpy(out).reshape(*a.shape[:-1], b.shape[-1])


class _TableProduct(torch.autograd.Function):
    """Forward: table matmul of the quantized operands; backward: clipped STE."""

    @staticmethod
    def forward(ctx, a, b, table, bits, qa, qb):
        sa, sb = qa.scale(a), qb.scale(b)
        ia, fa, ina = qa.quantize(a, sa)
        ib, fb, inb = qb.quantize(b, sb)
        ctx.save_for_backward(fa, fb, ina, inb)
        if table is None:           # the exact multiplier: float64 products are exact
            products = ia.to(torch.float64) @ ib.to(torch.float64)
        else:
            products = table_matmul(ia, ib, table, bits).to(torch.float64)
        return (products * (sa * sb)).to(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        fa, fb, ina, inb = ctx.saved_tensors
        ga = (grad @ fb.transpose(-1, -2)) * ina
        if fb.dim() == 2:                                 # a weight: sum over all rows
            gb = fa.reshape(-1, fa.shape[-1]).t() @ grad.reshape(-1, grad.shape[-1])
        else:
            gb = fa.transpose(-1, -2) @ grad
        gb = gb * inb
        return ga, gb, None, None, None, None


class _Approx(nn.Module):
    def __init__(self, table, bits, percentile):
        super().__init__()
        self.bits = check_table(table, bits)
        self.percentile = percentile
        self.use_table(table)

    def use_table(self, table):
        """Multiply through ``table`` from now on (same ``bits``; calibration is kept)."""
        check_table(table, self.bits)
        self.register_buffer("table", table.to(torch.int64).contiguous(), persistent=False)
        #: The table is exact multiplication: products by float64 matmul (exact below
        #: 2**53), the same integers as the look-ups, faster.
        self.exact = torch.equal(self.table, torch.mul(*operand_grid(self.bits)))

    def lookup_table(self):
        """The table for :class:`_TableProduct` (``None``: multiply exactly)."""
        return None if self.exact else self.table


class ApproxLinear(_Approx):
    """An ``nn.Linear`` whose products go through ``table`` (its parameters are shared).

    Parameters
    ----------
    linear : nn.Linear
    table : product table of a ``bits``-bit multiplier.
    bits : int
    percentile : float
        Activation calibration percentile (99.9, TransAxx §III-C).
    """

    def __init__(self, linear, table, bits, percentile=99.9):
        super().__init__(table, bits, percentile)
        self.weight, self.bias = linear.weight, linear.bias
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.act = Quantizer(bits, percentile)
        self.wq = Quantizer(bits, None)

    def forward(self, x):
        if self.act.calibrating:
            self.act.observe(x)
            return nn.functional.linear(x, self.weight, self.bias)
        y = _TableProduct.apply(x, self.weight.t(), self.lookup_table(), self.bits, self.act,
                                self.wq)
        return y if self.bias is None else y + self.bias


class Matmul(nn.Module):
    """``a @ b`` as a module, so :func:`approximate` can replace it (attention scores,
    attention × values)."""

    def forward(self, a, b):
        return a @ b


class ApproxMatmul(_Approx):
    """``a @ b`` (``a (..., M, K)``, ``b (..., K, N)``, same batch dims) through ``table``;
    both operands are activations, calibrated by percentile."""

    def __init__(self, table, bits, percentile=99.9):
        super().__init__(table, bits, percentile)
        self.qa, self.qb = Quantizer(bits, percentile), Quantizer(bits, percentile)

    def forward(self, a, b):
        if self.qa.calibrating:
            self.qa.observe(a)
            self.qb.observe(b)
            return a @ b
        batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = a.expand(*batch, *a.shape[-2:]).reshape(-1, *a.shape[-2:])
        b = b.expand(*batch, *b.shape[-2:]).reshape(-1, *b.shape[-2:])
        out = _TableProduct.apply(a, b, self.lookup_table(), self.bits, self.qa, self.qb)
        return out.reshape(*batch, a.shape[-2], b.shape[-1])


def approximate(model, tables, bits=8, percentile=99.9):
    """Replace ``nn.Linear`` and :class:`Matmul` submodules of ``model`` in place.

    ``tables`` is one table (every such layer) or a dict ``{module name: table or None}``
    (per-layer assignment, TransAxx §III; ``None`` or a missing name keeps the layer
    exact and float). Returns the names of the replaced modules.
    """
    replaced = []
    for name, module in list(model.named_modules()):
        if not isinstance(module, (nn.Linear, Matmul)):
            continue
        table = tables.get(name) if isinstance(tables, dict) else tables
        if table is None:
            continue
        new = (ApproxLinear(module, table, bits, percentile) if isinstance(module, nn.Linear)
               else ApproxMatmul(table, bits, percentile))
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, child, new)
        replaced.append(name)
    if isinstance(tables, dict):
        unknown = sorted(set(tables) - set(replaced) - {n for n, t in tables.items() if t is None})
        if unknown:
            raise ValueError(f"no nn.Linear or Matmul module named {unknown[0]!r}")
    return replaced


@contextmanager
def calibrate(model):
    """Inside, forward passes run in float and record activation statistics; on exit
    every approximate layer's activation range is set (percentile calibration)."""
    quantizers = [q for q in model.modules() if isinstance(q, Quantizer)
                  and q.percentile is not None]
    for q in quantizers:
        q.calibrating = True
    try:
        with torch.no_grad():
            yield model
    finally:
        for q in quantizers:
            q.calibrating = False
    for q in quantizers:
        q.finish()
