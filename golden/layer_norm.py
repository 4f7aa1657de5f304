"""Bit-exact model of :class:`tilewright.gen.layer_norm.LayerNorm` and its error against
``torch.nn.functional.layer_norm``."""

import math

import torch

from tilewright.golden.fixed import fit, quantize, shift_right, to_float
from tilewright.specs.layer_norm import GUARD, Z_IL, eps

__all__ = ["layer_norm_fixed", "layer_norm_error"]


def layer_norm_fixed(x, gamma, beta, fl, width):
    """Layer norm of integer tensor ``x`` (``(..., n)``, ``n`` a power of two) with
    per-feature ``gamma``, ``beta`` (broadcast against ``x``), all with ``fl`` fraction
    bits in ``width`` bits, as the RTL computes it."""
    x = torch.as_tensor(x, dtype=torch.int64)
    gamma = torch.as_tensor(gamma, dtype=torch.int64).expand_as(x)
    beta = torch.as_tensor(beta, dtype=torch.int64).expand_as(x)
    log_n = int(math.log2(x.shape[-1]))
    mean = shift_right(x.sum(dim=-1, keepdim=True), log_n, "half-even")
    d = x - mean
    var = ((d * d).sum(dim=-1, keepdim=True) >> log_n) + eps(fl)
    s = torch.tensor([math.isqrt(v) for v in var.flatten().tolist()],
                     dtype=torch.int64).view(var.shape)
    recip = (1 << (2 * fl + GUARD)) // s
    z = fit(shift_right(d * recip, fl + GUARD, "half-even"), fl + Z_IL, "saturate")
    return fit(shift_right(z * gamma, fl, "half-even") + beta, width, "saturate")


def layer_norm_error(n, fmt, vectors=64, seed=0):
    """Maximum and mean absolute error of a layer-norm unit of ``n`` features in ``fmt``
    against ``torch.nn.functional.layer_norm`` over ``vectors`` vectors drawn
    N(0.5, 1.5²) with γ ~ N(1, 0.2²), β ~ N(0, 0.2²) (a fixed seed), quantized to the
    format. These inputs are well spread; for narrow ones the error grows roughly as 1/σ
    (docs/numerics.md). :mod:`tilewright.golden.models.accuracy` measures it on
    transformer activations."""
    gen = torch.Generator().manual_seed(seed)
    x = quantize(fmt, 0.5 + 1.5 * torch.randn((vectors, n), generator=gen,
                                   dtype=torch.float64))
    g = quantize(fmt, 1 + 0.2 * torch.randn(n, generator=gen, dtype=torch.float64))
    b = quantize(fmt, 0.2 * torch.randn(n, generator=gen, dtype=torch.float64))
    return error_against_torch(x, g, b, fmt)


def error_against_torch(x, g, b, fmt):
    """Max and mean absolute error of :func:`layer_norm_fixed` on quantized inputs."""
    y = to_float(fmt, layer_norm_fixed(x, g, b, fmt.fl, fmt.width))
    want = torch.nn.functional.layer_norm(to_float(fmt, x), (x.shape[-1],),
                                          to_float(fmt, g), to_float(fmt, b), eps=1e-5)
    err = (y - want).abs()
    return {"max_abs_error": err.max().item(), "mean_abs_error": err.mean().item()}
