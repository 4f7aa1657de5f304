import pytest
import torch

from tilewright.golden.models.attention_reuse import pattern
from tilewright.golden.models import Encoder, EncoderConfig, Numerics


@pytest.mark.parametrize("args, want", [
    (("strided", 12, 4, 1, 2), (1, 3, 5, 7)),
    (("strided", 12, 3, 2, 3), (2, 5, 8)),
    (("continuous", 12, 4, 3), (3, 4, 5, 6)),
    (("pyramid", 12, 4, 1, 2, 2), (1, 3, 4, 6)),
    (("pyramid", 12, 5, 1, 3, 3), (1, 4, 5, 6, 9)),
    (("strided", 4, 0, 1), ()),
])
def test_patterns(args, want):
    assert pattern(*args) == want


def test_pattern_errors():
    with pytest.raises(ValueError) as e:
        pattern("strided", 6, 3, 2, 2)
    assert str(e.value) == "strided pattern of 3 encoders from 2 does not fit in 6 encoders"
    with pytest.raises(ValueError) as e:
        pattern("zigzag", 6, 2)
    assert str(e.value) == "pattern must be one of 'strided', 'continuous', 'pyramid', not 'zigzag'"


def test_reusing_encoders_compute_no_attention_and_use_their_transformation_block():
    cfg = EncoderConfig(kind="vit", layers=4, hidden=16, heads=2, ff=16,
                        reuse=pattern("continuous", 4, 2, 2))
    torch.manual_seed(0)
    model = Encoder(cfg)
    assert not hasattr(model.layers[2], "q") and hasattr(model.layers[3], "tb")
    seen = {}

    def tap(kind, name, x):
        seen[name] = x
        return x
    model.numerics = Numerics(taps=[tap])
    out = model(torch.rand(3, 1, 8, 8))
    for i in (2, 3):
        assert f"layers.{i}.s" not in seen and f"layers.{i}.tb.fc" in seen
        assert f"layers.{i}.o" in seen
    # both reusing encoders transform encoder 1's attention output (the last one computed)
    a1 = seen["layers.1.a"]
    for i in (2, 3):
        tb = model.layers[i].tb
        want = torch.nn.functional.gelu(tb.fc(tb.ln(a1)))
        assert torch.allclose(seen[f"layers.{i}.tb.gelu"], want, atol=1e-6)
    out.sum().backward()
    assert model.layers[3].tb.fc.weight.grad.abs().sum() > 0


def test_reuse_needs_an_earlier_attention():
    model = Encoder(EncoderConfig(layers=2, hidden=8, heads=2, ff=8, reuse=(1,)))
    with pytest.raises(ValueError) as e:
        model(torch.rand(1, 1, 8, 8), skip=[0])
    assert str(e.value) == "encoder 1 reuses attention but no earlier encoder computed one"
