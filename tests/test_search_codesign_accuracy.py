"""The weight-sharing supernet and the accuracy evaluator (issue 18)."""

import random

import pytest
import torch

from tilewright.flows.search.codesign.accuracy import (
    AccuracyEvaluator, AccuracySettings, sample_transformer)
from tilewright.flows.search.codesign.space import Layer, Transformer, load_space
from tilewright.flows.search.codesign.supernet import Supernet, _mixing

SPACE = load_space()


@pytest.mark.parametrize("attention", ["sdp", "wma", "dft", "dct"])
def test_every_attention_type_runs_on_both_tasks(attention):
    t = Transformer((Layer(32, 2, attention, 64), Layer(16, 4, attention, 32)), "relu")
    torch.manual_seed(0)
    assert Supernet(SPACE, "sentiment")(torch.randint(0, 32, (3, 16)), t).shape == (3, 2)
    assert Supernet(SPACE, "digits")(torch.rand(2, 1, 8, 8), t).shape == (2, 10)


def test_sub_network_uses_only_leading_slices():
    torch.manual_seed(0)
    net = Supernet(SPACE, "sentiment")
    t = Transformer((Layer(16, 2, "sdp", 32),), "gelu")
    net(torch.randint(0, 32, (4, 16)), t).sum().backward()
    layer = net.layers[0]
    assert layer.q.weight.grad[:16, :16].abs().sum() > 0
    assert layer.q.weight.grad[16:].abs().sum() == 0
    assert layer.q.weight.grad[:, 16:].abs().sum() == 0
    assert layer.ff1.weight.grad[32:].abs().sum() == 0
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in net.layers[1].parameters())


def test_mixing_matrices_are_the_transforms():
    x = torch.randn(8, 3)
    assert torch.allclose(_mixing("dft", 8) @ x,
                          torch.fft.fft(x, dim=0).real / 8 ** 0.5, atol=1e-5)
    dct = _mixing("dct", 8)
    assert torch.allclose(dct @ dct.T, torch.eye(8), atol=1e-5)      # orthonormal DCT-II


@pytest.mark.full
def test_accuracy_is_deterministic_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("TILEWRIGHT_CACHE", str(tmp_path))
    torch.set_num_threads(1)
    settings = AccuracySettings(supernet_epochs=1, finetune_steps=5)
    t = sample_transformer(SPACE, random.Random(0))
    first = AccuracyEvaluator(SPACE, settings)(t)
    assert 0.4 < first <= 1
    assert len(list((tmp_path / "models" / "codesign").rglob("*.json"))) == 1
    fresh = AccuracyEvaluator(SPACE, settings)
    fresh.root = tmp_path / "elsewhere"            # no cached accuracy: recomputed
    assert fresh(t) == first
