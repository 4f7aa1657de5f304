"""Per-op sparsity measured on the golden models (golden/models/sparsity.py)."""

import math

import pytest
import torch

from tilewright.golden.models import Encoder, EncoderConfig
from tilewright.golden.models.sparsity import (MatrixSparsity, _Product, across_layers,
                                               measure_sparsity, tau_for_sparsity,
                                               threshold_curve)

LAYER_OPS = ["q", "k", "v", "s", "p", "pv", "a", "o", "ln1", "ff1", "gelu", "ff2", "ln2"]
PRODUCTS = {"q", "k", "v", "s", "pv", "o", "ff1", "ff2"}
WEIGHTED = {"q", "k", "v", "o", "ff1", "ff2"}


def _model():
    torch.manual_seed(3)
    return Encoder(EncoderConfig(kind="bert", layers=2, hidden=16, heads=2, ff=32,
                                 classes=2, vocab=20, seq_len=6))


def _x():
    return torch.randint(0, 20, (12, 6), generator=torch.Generator().manual_seed(0))


def test_keys_sizes_and_fields():
    r = measure_sparsity(_model(), x=_x(), tau_activation=0.05, tau_weight=0.05)
    ops = [f"layers.{i}.{op}" for i in range(2) for op in LAYER_OPS]
    assert list(r) == ["embed.ln"] + ops + ["head"]
    t, d, h, ff = 6, 16, 2, 32
    assert r["layers.0.s"].size == r["layers.1.p"].size == h * t * t
    assert r["layers.0.q"].products == t * d * d and r["layers.1.ff1"].products == t * d * ff
    assert r["layers.0.s"].products == h * t * (d // h) * t == r["layers.0.pv"].products
    assert r["layers.1.ff2"].weight_size == ff * d and r["head"].weight_size == 2 * d
    for name, m in r.items():
        op = name.split(".", 2)[-1]
        assert isinstance(m, MatrixSparsity) and 0 <= m.rho <= 1
        assert (m.rho_weight is not None) == (op in WEIGHTED or name == "head"), name
        assert (m.effectual is not None) == (op in PRODUCTS or name == "head"), name
    q = r["layers.1.q"]
    assert q.rho_operands == (r["layers.0.ln2"].rho, q.rho_weight)   # BERT: post-norm
    assert r["layers.0.pv"].rho_operands == (r["layers.0.p"].rho, r["layers.0.v"].rho)
    assert r["layers.0.s"].rho_operands == (r["layers.0.q"].rho, r["layers.0.k"].rho)
    assert r["layers.0.ff2"].rho_operands[0] == r["layers.0.gelu"].rho
    for m in r.values():                 # effectual ≤ the denser operand's density
        if m.effectual is not None:
            assert m.effectual <= 1 - max(m.rho_operands) + 1e-12


def test_across_layers_averages_each_op():
    r = measure_sparsity(_model(), x=_x(), tau_activation=0.1, tau_weight=0.05)
    avg = across_layers(r)
    assert list(avg) == ["embed.ln"] + LAYER_OPS + ["head"]
    assert avg["head"] == r["head"] and avg["embed.ln"] == r["embed.ln"]
    for op in LAYER_OPS:
        a, b = r[f"layers.0.{op}"], r[f"layers.1.{op}"]
        assert avg[op].rho == pytest.approx((a.rho + b.rho) / 2)   # equal sizes
        assert avg[op].size == a.size
        if op in PRODUCTS:
            assert avg[op].effectual == pytest.approx((a.effectual + b.effectual) / 2)
            assert avg[op].rho_operands[1] == pytest.approx(
                (a.rho_operands[1] + b.rho_operands[1]) / 2)
        if op in WEIGHTED:
            assert avg[op].rho_weight == pytest.approx((a.rho_weight + b.rho_weight) / 2)
            assert avg[op].weight_size == a.weight_size


def test_effectual_products_match_a_count_of_nonzero_pairs():
    g = torch.Generator().manual_seed(5)

    def sparse(*shape):
        return torch.randn(*shape, generator=g) * (torch.rand(*shape, generator=g) > 0.4)

    for a, b in [(sparse(3, 5, 7), sparse(7, 4)),                 # activation × weightᵀ
                 (sparse(3, 2, 5, 7), sparse(3, 2, 7, 5))]:       # per-head products
        p = _Product()
        p.add(a, b)
        p.add(a, b)
        pairs = ((a != 0).double() @ (b != 0).double()).sum()
        assert p.effectual == 2 * int(pairs)
        assert p.products == 2 * (a != 0).double().matmul((b != 0).double()).numel() * 7
        b_rho = float((b == 0).double().mean())
        assert p.zeros[1] / p.elements[1] == pytest.approx(b_rho, abs=1e-12)


def test_separate_knobs():
    x = _x()
    w = measure_sparsity(_model(), x=x, tau_weight=0.1)
    a = measure_sparsity(_model(), x=x, tau_activation=0.1)
    assert all(m.rho == 0 for m in w.values())                   # activations dense
    assert all(m.rho_weight > 0.2 for m in w.values() if m.rho_weight is not None)
    assert all(m.rho_weight == 0 for m in a.values() if m.rho_weight is not None)
    assert sum(m.rho * m.size for m in a.values()) / sum(m.size for m in a.values()) > 0.1
    dense = measure_sparsity(_model(), x=x)
    assert all(m.rho == 0 and m.effectual in (None, 1.0) for m in dense.values())


def test_rho_grows_with_tau():
    model, x = _model(), _x()
    taus = [0.0, 0.02, 0.05, 0.1, 0.2, 0.5]
    runs = [measure_sparsity(model, x=x, tau_activation=t) for t in taus]
    for name in runs[0]:
        rhos = [r[name].rho for r in runs]
        assert rhos == sorted(rhos), name
        effectual = [r[name].effectual for r in runs]
        if effectual[0] is not None:
            assert effectual == sorted(effectual, reverse=True), name
    curve = threshold_curve(model, x=x, taus=taus)
    assert [c["tau"] for c in curve] == taus
    rhos = [c["rho"] for c in curve]
    assert rhos == sorted(rhos) and rhos[0] == 0 and rhos[-1] > 0.5
    weights = threshold_curve(model, x=x, kind="weight", taus=taus)
    assert [c["rho"] for c in weights] == sorted(c["rho"] for c in weights)
    assert weights[-1]["rho"] > 0.9


def test_tau_for_sparsity_hits_the_target():
    model, x = _model(), _x()
    tau = tau_for_sparsity(model, 0.3, x=x, tol=0.01)
    got = threshold_curve(model, x=x, taus=[tau])[0]["rho"]
    assert abs(got - 0.3) <= 0.01
    with pytest.raises(ValueError) as e:
        tau_for_sparsity(model, 1.5, x=x)
    assert str(e.value).startswith("rho must be from 0.0000 to ")


def test_task_measurement_is_cached_and_deterministic():
    kw = dict(tau_activation=0.05, samples=32, epochs=1)
    first = measure_sparsity("digits", **kw)
    again = measure_sparsity("digits", **kw)
    assert first == again and first is not again
    assert list(first)[:3] == ["embed", "embed.pos", "layers.0.ln1"]   # ViT: pre-norm
    assert first["layers.0.q"].rho_operands[0] == first["layers.0.ln1"].rho
    assert first["embed"].rho_operands[0] > 0.3                 # the digits' blank pixels


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(tau_activation=-0.1), ValueError,
     "tau_activation must be a finite number >= 0, not -0.1"),
    (dict(tau_weight=math.nan), ValueError,
     "tau_weight must be a finite number >= 0, not nan"),
    (dict(tau_weight="0.1"), TypeError, "tau_weight must be a number or None, not '0.1'"),
    (dict(source="mnist"), ValueError, "source must be one of 'digits', 'sentiment', "
                                       "not 'mnist'"),
    (dict(samples=0), ValueError, "samples must be an integer from 1 to 1073741824, not 0"),
    (dict(source="model"), ValueError, "measure_sparsity on a model needs its inputs x"),
    (dict(x=torch.zeros(1, 6)), ValueError, "x goes with a model, not with a task"),
])
def test_errors(kwargs, error, message):
    source = kwargs.pop("source", "digits")
    source = _model() if source == "model" else source
    with pytest.raises(error) as e:
        measure_sparsity(source, **kwargs)
    assert str(e.value) == message


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(kind="bias"), ValueError, "kind must be one of 'activation', 'weight', not 'bias'"),
    (dict(rho=math.nan), TypeError, "rho must be a number, not nan"),
    (dict(tol=0), ValueError, "tol must be a number > 0, not 0"),
])
def test_curve_errors(kwargs, error, message):
    rho = kwargs.pop("rho", 0.3)
    with pytest.raises(error) as e:
        tau_for_sparsity(_model(), rho, x=_x(), **kwargs)
    assert str(e.value) == message
