"""Crossbar non-idealities: bit-sliced product exact when the ADC is, noisy otherwise."""

import torch

from tilewright.flows.model.trex import DEVICES, Crossbar
from tilewright.flows.search.crossbar import CrossbarSpec, crossbar, crossbar_product


def _int_product(x, w):
    def q(t):
        s = t.abs().amax() / 127
        return torch.round(t / s), s
    (qx, sx), (qw, sw) = q(x), q(w)
    return (qx @ qw) * sx * sw


def test_exact_when_the_adc_step_is_one():
    # 21 rows x 3 (2-bit cells) = 63 = 2**6 - 1 levels: every column sum is converted exactly
    spec = CrossbarSpec(xbar_size=21, adc_bits=6, bits_per_cell=2)
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(3, 5, 100, generator=g), torch.randn(100, 7, generator=g)
    assert torch.allclose(crossbar_product(x, w, spec, g), _int_product(x, w), atol=1e-4)
    a, b = torch.randn(2, 3, 5, 8, generator=g), torch.randn(2, 3, 8, 5, generator=g)
    assert torch.allclose(crossbar_product(a, b, spec, g), _int_product(a, b), atol=1e-4)
    one = CrossbarSpec(xbar_size=63, adc_bits=6, bits_per_cell=1)       # SRAM-like cells
    assert torch.allclose(crossbar_product(x, w, one, g), _int_product(x, w), atol=1e-4)


def test_adc_and_variation_add_error():
    g = torch.Generator().manual_seed(1)
    x, w = torch.randn(40, 128, generator=g), torch.randn(128, 16, generator=g)
    exact = _int_product(x, w)
    adc = crossbar_product(x, w, CrossbarSpec.of(Crossbar(), variation=False), g)
    noisy = crossbar_product(x, w, CrossbarSpec.of(Crossbar()), g)
    e_adc, e_noisy = (adc - exact).abs().mean(), (noisy - exact).abs().mean()
    assert 0 < e_adc < e_noisy
    assert CrossbarSpec.of(Crossbar(DEVICES["sram"])).write_variation == 0


def test_crossbar_swaps_the_golden_layers():
    from tilewright.golden.models.encoder import Encoder
    from tilewright.golden.models.train import default_config
    torch.manual_seed(0)
    model = Encoder(default_config("digits", reuse=(1,)))
    x = torch.rand(4, 1, 8, 8)
    ref = model(x)
    crossbar(model, CrossbarSpec.of(Crossbar(DEVICES["sram"])))
    assert type(model.layers[0].q).__name__ == "_CrossbarLinear"
    assert type(model.layers[0].qk).__name__ == "_CrossbarMatmul"
    assert type(model.layers[1].tb.fc).__name__ == "_CrossbarLinear"
    out = model(x)
    assert out.shape == ref.shape and not torch.equal(out, ref)
    assert (out - ref).abs().max() < 0.5 * ref.abs().max()
    out.sum().backward()                                    # straight-through gradients
    assert model.layers[0].q.linear.weight.grad is not None
