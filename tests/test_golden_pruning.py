import torch

from tilewright.golden.models import Encoder, EncoderConfig, Numerics
from tilewright.golden.models.pruning import (DynaTranTap, TopKTap, dynatran_prune, overhead,
                                       tau_for_rho, topk_prune, transfer_curve)


def test_pruned_values_are_exactly_those_below_tau():
    g = torch.Generator().manual_seed(1)
    m = torch.randn(64, 48, generator=g)
    m[0, :4] = torch.tensor([0.25, -0.25, 0.2499, -0.2501])
    pruned, mask = dynatran_prune(m, 0.25)
    below = m.abs() < 0.25
    assert torch.equal(mask, below)
    assert torch.equal(pruned[below], torch.zeros(int(below.sum())))
    assert torch.equal(pruned[~below], m[~below])
    assert pruned[0, :4].tolist() == [0.25, -0.25, 0.0, m[0, 3].item()]


def _model():
    torch.manual_seed(3)
    return Encoder(EncoderConfig(kind="bert", layers=2, hidden=16, heads=2, ff=32,
                                 classes=2, vocab=20, seq_len=6))


def test_tap_sparsity_matches_a_recount_of_every_matrix():
    model = _model()
    kept = {}

    def recorder(kind, name, x):
        kept[name] = x.detach().clone()
        return x

    tap = DynaTranTap(0.1)
    model.numerics = Numerics(taps=[tap, recorder])
    model(torch.randint(0, 20, (4, 6)))
    rho = tap.sparsity()
    assert set(rho) == set(kept) and len(rho) > 30
    for name, x in kept.items():
        nz = x[x != 0]
        assert bool((nz.abs() >= 0.1).all())                  # nothing below τ survives
        assert rho[name] == int((x == 0).sum()) / x.numel()
    assert tap.overall("weight") > 0 and tap.overall("activation") > 0


def test_tap_kinds_restrict_pruning():
    model = _model()
    tap = DynaTranTap(0.1, kinds=("weight",))
    model.numerics = Numerics(taps=[tap])
    model(torch.randint(0, 20, (2, 6)))
    assert all(k.endswith(".weight") for k in tap.sparsity())


def test_transfer_curve_and_threshold_lookup():
    model = _model()
    x = torch.randint(0, 20, (16, 6))
    y = torch.randint(0, 2, (16,))
    taus = [0.0, 0.02, 0.05, 0.1, 0.2]
    matrices = []
    curve = transfer_curve(model, x, y, taus, per_matrix=matrices)
    assert [r["tau"] for r in curve] == taus
    at = {(r["tau"], r["matrix"]): r["rho"] for r in matrices}
    assert len(at) == len(matrices)
    assert at[(0.2, "layers.1.ff1.weight")] > at[(0.02, "layers.1.ff1.weight")]
    rhos = [r["rho"] for r in curve]
    assert rhos == sorted(rhos) and rhos[0] < 0.01 and rhos[-1] > 0.3
    assert model.numerics.taps == []                            # the model is left unchanged
    assert tau_for_rho(curve, 0.0) == 0.0
    target = (rhos[2] + rhos[3]) / 2
    assert tau_for_rho(curve, target) == 0.1
    assert tau_for_rho(curve, 0.999) == 0.2


def test_topk_keeps_k_largest_per_row():
    s = torch.tensor([[3.0, 1.0, 2.0, 0.5], [0.0, -1.0, 4.0, 4.5]])
    pruned, mask = topk_prune(s, 2)
    assert mask.tolist() == [[False, True, False, True], [True, True, False, False]]
    p = torch.softmax(pruned, -1)
    assert (p[mask] == 0).all() and torch.allclose(p.sum(-1), torch.ones(2))


def test_topk_tap_only_touches_scores():
    model = _model()
    probs = {}

    def rec(kind, name, x):
        if name.endswith(".p"):
            probs[name] = x
        return x

    model.numerics = Numerics(taps=[TopKTap(2), rec])
    model(torch.randint(0, 20, (2, 6)))
    for p in probs.values():
        assert ((p > 0).sum(-1) <= 2).all()


def test_overhead_measures_both():
    t = overhead(shape=(2, 32, 32), k=8, repeats=3)
    assert set(t) == {"dynatran", "topk"} and all(v > 0 for v in t.values())
