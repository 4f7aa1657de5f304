import pytest
import torch

from tilewright.fixedpoint import FixedFormat
from tilewright.golden.models import SHAPES, Encoder, EncoderConfig, Numerics, quantize_ste
from tilewright.golden.models.shapes import shape
from tilewright.golden.models.train import TrainConfig, default_config, evaluate, train


@pytest.fixture(scope="module")
def digits_vit():
    return train("digits")          # cached under $TILEWRIGHT_CACHE/models after the first run


def test_digits_vit_exact_reaches_95_percent(digits_vit):
    assert evaluate(digits_vit, "digits") >= 0.95


def test_digits_vit_with_acceltran_fixed_point_and_pwl_gelu(digits_vit):
    exact = evaluate(digits_vit, "digits")
    fixed = evaluate(digits_vit, "digits", Numerics(fmt=FixedFormat(4, 16), gelu="pwl"))
    assert fixed >= 0.95 and abs(fixed - exact) <= 0.01


def test_digits_vit_with_every_hardware_unit(digits_vit):
    from tilewright.golden.models.numerics import layer_norm_unit, softmax_unit
    fmt = FixedFormat(4, 16)
    num = Numerics(fmt=fmt, gelu="pwl", softmax=softmax_unit(fmt),
                   layer_norm=layer_norm_unit(fmt))
    assert evaluate(digits_vit, "digits", num) >= 0.95


def test_unit_hooks_match_torch_closely_and_pass_gradients():
    from tilewright.golden.models.numerics import layer_norm_unit, softmax_unit
    fmt = FixedFormat(4, 12)
    x = (torch.randn(5, 16, generator=torch.Generator().manual_seed(0)) * 2).requires_grad_()
    p = softmax_unit(fmt)(x, -1)
    assert (p - torch.softmax(x, -1)).abs().max() < 1e-2     # the 256-entry LUT's error
    assert not torch.equal(p, torch.softmax(x, -1))
    p[:, 0].sum().backward()
    assert x.grad.abs().sum() > 0
    ln = torch.nn.LayerNorm(16)
    y = layer_norm_unit(fmt)(x, ln)
    assert (y - ln(x)).abs().max() < 1e-2


def test_coarse_fixed_point_changes_the_outputs(digits_vit):
    x = torch.rand(4, 1, 8, 8)
    exact = digits_vit.eval()(x)
    digits_vit.numerics = Numerics(fmt=FixedFormat(4, 4))
    try:
        coarse = digits_vit(x)
    finally:
        digits_vit.numerics = Numerics()
    assert not torch.allclose(exact, coarse)
    assert torch.equal(coarse * 16, (coarse * 16).round())   # head output on the (4, 4) grid


def test_training_is_deterministic():
    cfg = default_config("digits", hidden=16, heads=2, ff=32, patch=4)
    tcfg = TrainConfig(epochs=1)
    a = train("digits", cfg, tcfg, cache=False).state_dict()
    b = train("digits", cfg, tcfg, cache=False).state_dict()
    c = train("digits", cfg, TrainConfig(epochs=1, seed=1), cache=False).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_training_with_numerics_needs_a_tag():
    with pytest.raises(ValueError) as e:
        train("digits", numerics=Numerics(fmt=FixedFormat(4, 16)))
    assert str(e.value) == "training with numerics needs a tag naming them (or cache=False)"


def test_quantize_ste_values_and_gradient():
    fmt = FixedFormat(2, 3)
    x = torch.tensor([0.06, 0.07, -0.3, 5.0, -5.0], requires_grad=True)
    y = quantize_ste(x, fmt)
    assert y.tolist() == [0.0, 0.125, -0.25, 1.875, -2.0]
    (y * torch.arange(5.0)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]     # straight through, even saturated


def test_pwl_gelu_gradient_is_gelus():
    num = Numerics(fmt=FixedFormat(4, 12), gelu="pwl")
    x = torch.linspace(-3, 3, 13, requires_grad=True)
    num.gelu_fn(x, "g").sum().backward()
    xr = x.detach().clone().requires_grad_(True)
    torch.nn.functional.gelu(xr).sum().backward()
    assert torch.allclose(x.grad, xr.grad)


def test_numerics_hooks_see_every_table1_matrix():
    cfg = EncoderConfig(kind="bert", layers=2, hidden=8, heads=2, ff=16, vocab=20, seq_len=5,
                        classes=2)
    seen, calls = [], {"softmax": 0, "ln": 0, "mm": 0}

    def tap(kind, name, x):
        seen.append((kind, name))
        return x

    def softmax(x, dim):
        calls["softmax"] += 1
        return torch.softmax(x, dim)

    def ln(x, module):
        calls["ln"] += 1
        return module(x)

    def mm(a, b):
        calls["mm"] += 1
        return torch.matmul(a, b)

    torch.manual_seed(0)
    model = Encoder(cfg, Numerics(taps=[tap], softmax=softmax, layer_norm=ln, matmul=mm))
    out = model(torch.randint(0, 20, (3, 5)))
    assert out.shape == (3, 2)
    acts = {n for k, n in seen if k == "activation"}
    for i in range(2):
        for op in "q k v s p pv a o ln1 ff1 gelu ff2 ln2".split():
            assert f"layers.{i}.{op}" in acts
        for op in "q k v o ff1 ff2".split():
            assert ("weight", f"layers.{i}.{op}.weight") in seen
    assert calls == {"softmax": 2, "ln": 5, "mm": 2 * 8 + 1}   # 6 linears + 2 products / layer


def test_vit_tokens_and_output():
    cfg = EncoderConfig(kind="vit", image=8, patch=4, hidden=8, heads=2, ff=8)
    assert cfg.tokens == 5
    assert Encoder(cfg)(torch.rand(2, 1, 8, 8)).shape == (2, 10)


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(kind="gpt"), ValueError, "kind must be one of 'vit', 'bert', not 'gpt'"),
    (dict(hidden=10, heads=4), ValueError, "hidden must be a multiple of heads (4), not 10"),
    (dict(layers=0), ValueError, "layers must be an integer from 1 to 64, not 0"),
    (dict(layers=2.0), TypeError, "layers must be an integer, not 2.0"),
    (dict(patch=3), ValueError, "image must be a multiple of patch (3), not 8"),
    (dict(reuse=(0,)), ValueError, "reuse must list encoders from 1 to 1, not 0"),
])
def test_config_errors(kwargs, exc, message):
    with pytest.raises(exc) as e:
        EncoderConfig(**kwargs)
    assert str(e.value) == message


def test_numerics_errors():
    with pytest.raises(ValueError) as e:
        Numerics(gelu="pwl")
    assert str(e.value) == "gelu 'pwl' needs a fixed-point fmt"
    with pytest.raises(ValueError) as e:
        Numerics(gelu="tanh")
    assert str(e.value) == "gelu must be one of 'exact', 'pwl', not 'tanh'"
    with pytest.raises(TypeError) as e:
        Numerics(fmt=(4, 16))
    assert str(e.value) == "fmt must be a FixedFormat or None, not (4, 16)"


def test_skip_errors():
    model = Encoder(EncoderConfig(layers=2, hidden=8, heads=2, ff=8))
    with pytest.raises(ValueError) as e:
        model(torch.rand(1, 1, 8, 8), skip=[2])
    assert str(e.value) == "skip must list encoders from 0 to 1, not 2"


def test_paper_shapes():
    assert [(s.layers, s.hidden, s.heads, s.ff, s.tokens) for s in SHAPES.values()] == [
        (2, 128, 2, 512, 128), (12, 768, 12, 3072, 128),
        (12, 384, 6, 1536, 197), (16, 384, 6, 1152, 197)]
    assert shape("deit-s").head_dim == 64
    with pytest.raises(ValueError) as e:
        shape("gpt-2")
    assert str(e.value) == ("model must be one of 'bert-tiny', 'bert-base', 'deit-s', "
                            "'lv-vit-s', not 'gpt-2'")


def test_approximate_multipliers_swap_in_per_layer():
    from tilewright.golden.models.approx_layers import approximate, calibrate
    from tilewright.golden.multiplier import golden_table
    torch.manual_seed(0)
    model = Encoder(EncoderConfig(kind="vit", layers=2, hidden=16, heads=2, ff=16)).eval()
    x = torch.rand(8, 1, 8, 8)
    exact = model(x)
    seen = []
    model.numerics = Numerics(taps=[lambda kind, name, t: seen.append(name) or t])
    replaced = approximate(model, {"layers.1.ff1": golden_table("exact", 8),
                                   "layers.0.qk": golden_table("truncated", 8, 6)})
    assert replaced == ["layers.0.qk", "layers.1.ff1"]
    with calibrate(model):
        model(x)
    seen.clear()
    approx = model(x)
    assert "layers.0.s" in seen and "layers.1.ff1" in seen      # still tapped
    assert not torch.equal(approx, exact)
    assert (approx - exact).abs().max() < 0.5 * exact.abs().max()
