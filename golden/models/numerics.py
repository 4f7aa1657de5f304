"""Hardware numerics for the golden transformer models.

A :class:`Numerics` object is passed to every layer of :mod:`tilewright.golden.models.encoder`;
the layers route each weight matrix, each activation matrix of AccelTran's Table I
(§II-A: Q, K, V, S = QKᵀ, P = softmax(S), A = PV, H = A·W_O, layer-norm, feed-forward)
and each non-linearity through it. With the defaults everything is float (``exact``).

- ``fmt``: a :class:`~tilewright.fixedpoint.FixedFormat` (e.g. AccelTran's ``(4, 16)``):
  weights and activations are rounded to it (``rounding``/``overflow`` as in
  :mod:`tilewright.fixedpoint`); the gradient passes straight through (STE), so a model
  can be trained with the hardware's numerics.
- ``gelu="pwl"``: the bit-exact piecewise-linear GeLU of :mod:`tilewright.golden.gelu`.
- ``softmax`` / ``layer_norm``: any callable with the signature of
  ``torch.softmax(x, dim)`` / ``layer_norm(x, module)``; :func:`softmax_unit` and
  :func:`layer_norm_unit` make them from the bit-exact unit models
  (:mod:`tilewright.golden.softmax`, :mod:`tilewright.golden.layer_norm`).
- ``matmul``: the callable used for every activation × activation and activation × weight
  product (default ``torch.matmul``).
- approximate multipliers (TransAxx §III): :func:`tilewright.golden.models.approx_layers.approximate`
  may swap the encoder's ``nn.Linear`` and ``Matmul`` modules (per layer, by module name);
  a swapped module is then called as it is, and its output still goes through
  :meth:`Numerics.act`.
- ``fold_scale``: the attention's ``1/√d_h`` is folded into the query projection — its
  weight and bias are scaled before they are rounded — instead of scaling the queries, as
  an accelerator without a scaling step computes it (:mod:`tilewright.flows.model.program`).
- ``taps``: callables ``tap(kind, name, tensor) -> tensor`` applied, in order, after
  quantization to every ``"weight"`` and ``"activation"`` matrix; DynaTran
  (:mod:`tilewright.golden.models.pruning`) and DynaProp (:mod:`tilewright.golden.models.dynaprop`)
  are taps.
"""

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from torch import nn

from tilewright.fixedpoint import OVERFLOWS, ROUNDINGS, FixedFormat, check_choice
from tilewright.golden.fixed import quantize, to_float
from tilewright.golden.models.approx_layers import Matmul
from tilewright.golden.gelu import gelu_pwl

__all__ = ["Numerics", "quantize_ste", "GELUS", "softmax_unit", "layer_norm_unit"]

GELUS = ("exact", "pwl")


class _QuantizeSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, fmt, rounding, overflow):
        q = quantize(fmt, x.detach(), rounding, overflow)
        return to_float(fmt, q).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None, None


def quantize_ste(x, fmt, rounding="half-even", overflow="saturate"):
    """Round float tensor ``x`` to the values of ``fmt`` (a float tensor of the same dtype);
    the backward pass is the straight-through estimator (gradient passed unchanged)."""
    return _QuantizeSTE.apply(x, fmt, rounding, overflow)


class _GeluPWL(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, fmt, segments):
        ctx.save_for_backward(x)
        q = quantize(fmt, x.detach(), "half-even", "saturate")
        return to_float(fmt, gelu_pwl(q, fmt, segments)).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            xd = x.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(F.gelu(xd), xd, grad)
        return g, None, None


@dataclass
class Numerics:
    """How a golden model computes; see the module docstring. ``fmt=None`` is float."""

    fmt: FixedFormat | None = None
    rounding: str = "half-even"
    overflow: str = "saturate"
    gelu: str = "exact"
    gelu_segments: int = 64
    softmax: object = None
    layer_norm: object = None
    matmul: object = None
    fold_scale: bool = False
    taps: list = field(default_factory=list)

    def __post_init__(self):
        if self.fmt is not None and not isinstance(self.fmt, FixedFormat):
            raise TypeError(f"fmt must be a FixedFormat or None, not {self.fmt!r}")
        check_choice("rounding", self.rounding, ROUNDINGS)
        check_choice("overflow", self.overflow, OVERFLOWS)
        check_choice("gelu", self.gelu, GELUS)
        if self.gelu == "pwl" and self.fmt is None:
            raise ValueError("gelu 'pwl' needs a fixed-point fmt")

    @property
    def exact(self):
        """True when nothing departs from float arithmetic."""
        return (self.fmt is None and self.gelu == "exact" and self.softmax is None
                and self.layer_norm is None and self.matmul is None and not self.taps
                and not self.fold_scale)

    def _round(self, x):
        if self.fmt is None:
            return x
        return quantize_ste(x, self.fmt, self.rounding, self.overflow)

    def _tap(self, kind, name, x):
        for tap in self.taps:
            x = tap(kind, name, x)
        return x

    def weight(self, w, name):
        """A weight matrix as the hardware holds it."""
        return self._tap("weight", name, self._round(w))

    def act(self, x, name):
        """An activation matrix as the hardware produces it."""
        return self._tap("activation", name, self._round(x))

    def mm(self, a, b, module, name):
        """``a @ b`` (an activation product of ``Matmul`` ``module``), then :meth:`act`."""
        if type(module) is not Matmul:          # swapped for an approximate one
            return self.act(module(a, b), name)
        fn = self.matmul or torch.matmul
        return self.act(fn(a, b), name)

    def linear(self, x, layer, name, scale=1.0):
        """``x @ Wᵀ + b`` of ``torch.nn.Linear`` ``layer`` with hardware weights, the
        weight and bias first multiplied by ``scale``."""
        if type(layer) is not nn.Linear:        # swapped for an approximate one
            return self.act(layer(x) * scale, name)
        w = self.weight(layer.weight * scale, f"{name}.weight")
        fn = self.matmul or torch.matmul
        y = fn(x, w.transpose(0, 1))
        if layer.bias is not None:
            y = y + self._round(layer.bias * scale)
        return self.act(y, name)

    def gelu_fn(self, x, name):
        if self.gelu == "pwl":
            y = _GeluPWL.apply(x, self.fmt, self.gelu_segments)
        else:
            y = F.gelu(x)
        return self.act(y, name)

    def softmax_fn(self, x, name):
        y = self.softmax(x, -1) if self.softmax is not None else torch.softmax(x, -1)
        return self.act(y, name)

    def layer_norm_fn(self, x, module, name):
        y = self.layer_norm(x, module) if self.layer_norm is not None else module(x)
        return self.act(y, name)


class _Through(torch.autograd.Function):
    """Forward: ``hard`` (a hardware result); backward: the gradient of ``soft``."""

    @staticmethod
    def forward(ctx, soft, hard):
        return hard

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def softmax_unit(fmt, lut_depth=256, exp_bits=16, out_fl=16):
    """A ``softmax`` hook computing with the LUT softmax unit's bit-exact model (TReX
    §VI-A): inputs rounded to ``fmt``, outputs with ``out_fl`` fraction bits; the gradient
    is the float softmax's."""
    from tilewright.golden.softmax import softmax_lut

    def softmax(x, dim):
        if dim not in (-1, x.dim() - 1):
            raise ValueError(f"softmax_unit works on the last dimension, not {dim}")
        q = quantize(fmt, x.detach(), "half-even", "saturate")
        hard = (softmax_lut(q, fmt.fl, lut_depth, exp_bits, out_fl).double()
                / (1 << out_fl)).to(x.dtype)
        return _Through.apply(torch.softmax(x, dim), hard)
    return softmax


def layer_norm_unit(fmt):
    """A ``layer_norm`` hook computing with the layer-norm unit's bit-exact model
    (features must be a power of two); γ, β and the input are rounded to ``fmt``; the
    gradient is the float layer norm's."""
    from tilewright.golden.layer_norm import layer_norm_fixed

    def layer_norm(x, module):
        q = quantize(fmt, x.detach(), "half-even", "saturate")
        g = quantize(fmt, module.weight.detach(), "half-even", "saturate")
        b = quantize(fmt, module.bias.detach(), "half-even", "saturate")
        hard = to_float(fmt, layer_norm_fixed(q, g, b, fmt.fl, fmt.width)).to(x.dtype)
        return _Through.apply(module(x), hard)
    return layer_norm
