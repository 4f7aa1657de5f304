"""Benchmark: the approximation errors of the GeLU, softmax and layer-norm units' bit-exact
models against ``torch.nn.functional``, and the conditions each holds under, written to
``docs/numerics.md``::

    python benchmarks/bench_numerics.py [-o docs/numerics.md]

The figures are those ``tilewright gen`` writes next to a block's Verilog (the defaults of
each block, IL4/FL16), plus the layer-norm unit's error on narrow inputs: with γ = 1,
β = 0 and inputs of standard deviation σ, it grows roughly as 1/σ, because the square root
keeps ``fl`` fraction bits (``s = isqrt(v)``), so its relative error is about
``2**-fl / σ``.
"""

import argparse
import math
import time
from pathlib import Path

import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.fixed import quantize
from tilewright.golden.gelu import gelu_error
from tilewright.golden.layer_norm import error_against_torch, layer_norm_error
from tilewright.golden.softmax import softmax_error

FMT = FixedFormat(4, 16)
SIGMAS = (2.0, 1.0, 0.25, 2 ** -4, 2 ** -6, 2 ** -8)
VECTORS, N = 64, 16


def narrow_layer_norm(sigma, seed=0):
    """Layer-norm error on ``VECTORS`` vectors of ``N`` features ~ N(0, σ²), γ = 1, β = 0."""
    gen = torch.Generator().manual_seed(seed)
    x = quantize(FMT, sigma * torch.randn((VECTORS, N), generator=gen, dtype=torch.float64))
    one, zero = quantize(FMT, torch.ones(N)), quantize(FMT, torch.zeros(N))
    return error_against_torch(x, one, zero, FMT)


def _power(sigma):
    exponent = math.log2(sigma)
    return f"2^{int(exponent)}" if sigma < 1 and exponent.is_integer() else f"{sigma:g}"


def report():
    torch.set_num_threads(1)
    start = time.monotonic()
    gelu = gelu_error(FMT, 64)
    softmax = softmax_error(64, FMT, 256, 16, 16)
    layer_norm = layer_norm_error(N, FMT)
    narrow = [(sigma, narrow_layer_norm(sigma)) for sigma in SIGMAS]
    seconds = time.monotonic() - start
    lines = [
        "# Numerics: the units' approximation errors and where they hold",
        "",
        "Written by `python benchmarks/bench_numerics.py` (torch "
        f"{torch.__version__}, CPU, {seconds:.1f} s); the same figures for any parameters "
        "are in the JSON that `tilewright gen` writes next to a block's Verilog "
        "(`gelu_error_vs_torch`, `error_vs_torch`). Errors are absolute, in real units, "
        "against `torch.nn.functional` in float64, format IL4/FL16.",
        "",
        "| unit | parameters | inputs | max abs error | mean abs error |",
        "|---|---|---|---|---|",
        f"| GeLU (PWL) | 64 chords over [-4, 4) | every representable input | "
        f"{gelu['max_abs_error']:.3g} | {gelu['mean_abs_error']:.3g} |",
        f"| softmax | t = 64, LUT 256 × 16 bits, 16 output fraction bits | 64 vectors "
        f"~ N(0, 2²) | {softmax['max_abs_error']:.3g} | {softmax['mean_abs_error']:.3g} |",
        f"| layer norm | n = 16 | 64 vectors ~ N(0.5, 1.5²), γ ~ N(1, 0.2²), "
        f"β ~ N(0, 0.2²) | {layer_norm['max_abs_error']:.3g} | "
        f"{layer_norm['mean_abs_error']:.3g} |",
        "",
        "## The layer-norm error holds for well-spread inputs only",
        "",
        "The square root keeps `fl` fraction bits, so its relative error is about "
        "`2^-fl / σ`: for narrow inputs the normalized values, and the error, grow roughly "
        "as 1/σ. With γ = 1, β = 0 and 64 vectors of 16 features ~ N(0, σ²):",
        "",
        "| σ | max abs error | mean abs error |",
        "|---|---|---|",
        *(f"| {_power(sigma)} | {e['max_abs_error']:.2g} | {e['mean_abs_error']:.2g} |"
          for sigma, e in narrow),
        "",
        "FL16 is already the most fraction bits the unit allows (`fl` ≤ 16, so that `d·r` "
        "fits 63 bits): a model whose layer-norm inputs are narrow (σ well below 1) should "
        "scale them up before the unit; widening the square root's intermediate would "
        "be a new parameter. `tilewright accuracy` measures the error on a trained "
        "model's own activations.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="docs/numerics.md")
    args = parser.parse_args(argv)
    text = report()
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
