import math

import pytest
import torch

from tilewright.golden.models.attention_skip import cascade, efforts, entropy
from tilewright.golden.models import Encoder, EncoderConfig, Numerics
from tilewright.golden.models.train import predict


def _vit(layers=3):
    torch.manual_seed(0)
    return Encoder(EncoderConfig(kind="vit", layers=layers, hidden=16, heads=2, ff=16))


def _count_matmuls(monkeypatch):
    count = {"n": 0}
    real = torch.matmul

    def counting(a, b):
        count["n"] += 1
        return real(a, b)
    monkeypatch.setattr(torch, "matmul", counting)
    return count


def test_skipped_attention_performs_no_attention_matmul(monkeypatch):
    model = _vit()
    names = []

    def tap(kind, name, x):
        names.append(name)
        return x
    model.numerics = Numerics(taps=[tap])
    count = _count_matmuls(monkeypatch)
    x = torch.rand(2, 1, 8, 8)
    model(x)
    full = count["n"]
    count["n"], names[:] = 0, []
    model(x, skip=[0, 2])
    # per encoder: attention = q, k, v, S, P·V, projection = 6 matmuls; MLP = 2
    assert full == 1 + 3 * 8 + 1
    assert count["n"] == full - 2 * 6
    for i in (0, 2):
        assert not any(n.startswith(f"layers.{i}.") and n.split(".")[2] in
                       ("q", "k", "v", "s", "p", "pv", "a", "o", "ln1") for n in names)
    assert "layers.1.s" in names and "layers.2.ff1" in names


def test_skipping_changes_the_output_and_effort():
    model = _vit()
    x = torch.rand(2, 1, 8, 8)
    assert not torch.allclose(model(x), model(x, skip=[1]))
    assert efforts(12, [3, 5, 5]) == 10


def test_entropy_uniform_one_hot_and_between():
    k = 10
    assert entropy(torch.zeros(3, k)).tolist() == pytest.approx([1.0] * 3, abs=1e-12)
    one_hot = torch.full((1, k), -float("inf"))
    one_hot[0, 4] = 0.0
    assert entropy(one_hot).item() == 0.0
    logits = torch.log(torch.tensor([[0.5, 0.25, 0.25]], dtype=torch.float64))
    want = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)) / math.log(3)
    assert entropy(logits).item() == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("th", [0.0, 0.5, 0.9, 0.97, 1.0])
def test_cascade_counts_match_a_direct_computation(th):
    torch.manual_seed(1)
    model = _vit()
    x = torch.rand(40, 1, 8, 8)
    y = torch.randint(0, 10, (40,))
    r = cascade(model, model, x, y, th, low_skip=[1, 2], high_skip=[])
    low, high = predict(model, x, skip=[1, 2]), predict(model, x)
    easy = entropy(low) <= th
    pred = torch.where(easy, low.argmax(1), high.argmax(1))
    assert r["F_L"] == pytest.approx(float(easy.float().mean()))
    assert r["F_L"] + r["F_H"] == pytest.approx(1.0)
    assert r["C_L"] == int(((pred == y) & easy).sum())
    assert r["C_H"] == int(((pred == y) & ~easy).sum())
    assert r["accuracy"] == pytest.approx((r["C_L"] + r["C_H"]) / 40)
    if th == 1.0:
        assert r["F_L"] == 1.0
