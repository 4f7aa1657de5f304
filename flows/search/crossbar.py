"""Crossbar non-idealities in the golden model's crossbar layers (TReX §VI-A, §VII-A).

:func:`crossbar` swaps an :class:`~tilewright.golden.models.encoder.Encoder`'s crossbar
layers — Q, K, V, projection, MLP, transformation-block linear (weights programmed once)
and the QKᵀ and S·V matmuls (Kᵀ and V written for every input) — for layers computing as a
bit-sliced crossbar does (TReX Table III):

- operands quantized to ``input_bits`` / ``weight_bits`` signed integers (symmetric,
  per tensor: the maximum ``|x|``), negative and positive parts on separate crossbars;
- inputs applied one bit at a time (1-bit input splitting), weights split over
  ``⌈weight_bits / bits_per_cell⌉`` cells;
- each cell's conductance varies: ``g·(1 + σ_w·N)`` fixed when written (weights once per
  :func:`crossbar` call, Kᵀ and V at every product) and ``·(1 + σ_r·N)`` again at every
  read (FeFET σ_w = 20 %, σ_r = 10 %; SRAM none);
- each ``xbar_size``-row column sum of one input bit and one cell slice goes through an
  ``adc_bits`` flash ADC spanning ``[0, xbar_size · (2**bits_per_cell − 1)]`` (rounded,
  clipped), then shift-and-add recombines bits, slices, signs and row blocks.

The backward pass is the float product's (straight-through), so the layers also train.
"""

import torch
from torch import nn

from tilewright.golden.models.approx_layers import Matmul

__all__ = ["CrossbarSpec", "crossbar_product", "crossbar"]


class CrossbarSpec:
    """Crossbar numerics: ``xbar_size``, ``adc_bits``, ``weight_bits``, ``input_bits``,
    ``bits_per_cell``, ``read_variation``, ``write_variation`` (from a TReX-Sim
    :class:`~tilewright.flows.model.trex.Crossbar`: :meth:`of`)."""

    def __init__(self, xbar_size=64, adc_bits=6, weight_bits=8, input_bits=8,
                 bits_per_cell=2, read_variation=0.0, write_variation=0.0):
        self.xbar_size, self.adc_bits = xbar_size, adc_bits
        self.weight_bits, self.input_bits = weight_bits, input_bits
        self.bits_per_cell = bits_per_cell
        self.read_variation, self.write_variation = read_variation, write_variation

    @classmethod
    def of(cls, xbar, variation=True):
        dev = xbar.device
        return cls(xbar.xbar_size, xbar.adc_bits, xbar.weight_bits, xbar.input_bits,
                   dev.bits_per_cell, dev.read_variation if variation else 0.0,
                   dev.write_variation if variation else 0.0)

    @property
    def slices(self):
        return -(-(self.weight_bits - 1) // self.bits_per_cell)


def _quantize(x, bits):
    qmax = (1 << (bits - 1)) - 1
    scale = (x.detach().abs().amax() / qmax).clamp(min=torch.finfo(torch.float32).tiny)
    return torch.round(x.detach() / scale).clamp(-qmax, qmax), scale


def _cells(qw, spec):
    """``(2 signs, slices, ..., K, N)`` cell values of integer weights ``qw``."""
    mag = torch.stack([qw.clamp(min=0), (-qw).clamp(min=0)]).to(torch.int64)
    mask = (1 << spec.bits_per_cell) - 1
    return torch.stack([(mag >> (spec.bits_per_cell * s)) & mask
                        for s in range(spec.slices)], 1).to(torch.float32)


def _vary(g, sigma, gen):
    if not sigma:
        return g
    return g * (1.0 + sigma * torch.randn(g.shape, generator=gen))


def _partial_sums(bits, cells):
    """Column sums ``(B, S, ..., M, N)`` of input bit planes ``bits`` ``(B, ..., M, R)``
    through cell slices ``cells`` ``(S, ..., R, N)`` (no batch dims: one GEMM)."""
    b, s = bits.shape[0], cells.shape[0]
    if cells.dim() == 3:
        r, n = bits.shape[-1], cells.shape[-1]
        flat = bits.reshape(-1, r) @ cells.permute(1, 0, 2).reshape(r, s * n)
        return flat.reshape(b, *bits.shape[1:-1], s, n).movedim(-2, 1)
    return bits.unsqueeze(1) @ cells.unsqueeze(0)


def crossbar_product(x, w, spec, gen, written=None):
    """``x @ w`` as the crossbar computes it (forward only). ``written``: the cells of
    ``w`` with their write variation already applied (static weights); ``None`` writes
    ``w`` now (Kᵀ, V)."""
    qx, sx = _quantize(x, spec.input_bits)
    qw, sw = _quantize(w, spec.weight_bits)
    cells = written if written is not None else _vary(_cells(qw, spec),
                                                      spec.write_variation, gen)
    cells = _vary(cells, spec.read_variation, gen)             # (2, S, ..., K, N)
    xs = torch.stack([qx.clamp(min=0), (-qx).clamp(min=0)]).to(torch.int64)
    bits = torch.stack([(xs >> b) & 1 for b in range(spec.input_bits - 1)], 1)
    bits = bits.to(torch.float32)                          # (2, B, ..., M, K)
    # weight of each (input bit b, cell slice s) partial sum: 2**(b + bits_per_cell·s)
    shift = ((2.0 ** torch.arange(spec.input_bits - 1))[:, None]
             * (2.0 ** (spec.bits_per_cell * torch.arange(spec.slices)))[None, :])
    full = spec.xbar_size * ((1 << spec.bits_per_cell) - 1)
    step = full / ((1 << spec.adc_bits) - 1)
    out = 0.0
    for r0 in range(0, x.shape[-1], spec.xbar_size):      # one crossbar row block
        rows = slice(r0, r0 + spec.xbar_size)
        for xsgn in range(2):
            for wsgn in range(2):
                part = _partial_sums(bits[xsgn, ..., rows], cells[wsgn, ..., rows, :])
                part = torch.round(part / step).clamp(0, (1 << spec.adc_bits) - 1) * step
                total = torch.tensordot(shift, part, ([0, 1], [0, 1]))
                out = out + (total if xsgn == wsgn else -total)
    return (out * (sx * sw)).to(x.dtype)


def _straight_through(soft, hard):
    """``hard`` forward, the gradient of ``soft`` backward."""
    return soft + (hard - soft).detach()


class _CrossbarLinear(nn.Module):
    def __init__(self, linear, spec, gen):
        super().__init__()
        self.linear, self.spec, self.gen = linear, spec, gen
        qw, _ = _quantize(linear.weight.detach().t(), spec.weight_bits)
        self.written = _vary(_cells(qw, spec), spec.write_variation, gen)

    def forward(self, x):
        w = self.linear.weight.t()
        with torch.no_grad():
            hard = crossbar_product(x, w, self.spec, self.gen, self.written)
        y = _straight_through(x @ w, hard)
        return y + self.linear.bias if self.linear.bias is not None else y


class _CrossbarMatmul(nn.Module):
    def __init__(self, spec, gen):
        super().__init__()
        self.spec, self.gen = spec, gen

    def forward(self, a, b):
        with torch.no_grad():
            hard = crossbar_product(a, b, self.spec, self.gen)
        return _straight_through(a @ b, hard)


_LINEARS = ("q", "k", "v", "o", "ff1", "ff2")


def crossbar(model, spec, seed=0):
    """Swap ``model``'s crossbar layers in place (see the module docstring); the weights'
    write variation is drawn now from ``seed``, read variation at every read."""
    gen = torch.Generator().manual_seed(seed)
    for layer in model.layers:
        for name in _LINEARS:
            if isinstance(getattr(layer, name, None), nn.Linear):
                setattr(layer, name, _CrossbarLinear(getattr(layer, name), spec, gen))
        if hasattr(layer, "tb") and isinstance(layer.tb.fc, nn.Linear):
            layer.tb.fc = _CrossbarLinear(layer.tb.fc, spec, gen)
        for name in ("qk", "pv"):
            if type(getattr(layer, name, None)) is Matmul:
                setattr(layer, name, _CrossbarMatmul(spec, gen))
    return model
