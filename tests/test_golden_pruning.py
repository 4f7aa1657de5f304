import math

import pytest
import torch

from tilewright.golden.models import Encoder, EncoderConfig, Numerics
from tilewright.golden.models.pruning import (DynaTranTap, SparsityCount, TopKTap,
                                              check_tau, dynatran_prune, equal_sparsity,
                                              matching_keep, row_ks, tau_for_rho,
                                              topk_prune, transfer_curve)


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


@pytest.mark.parametrize("tau, error, message", [
    (-0.1, ValueError, "tau_activation must be a finite number >= 0, not -0.1"),
    (math.nan, ValueError, "tau_activation must be a finite number >= 0, not nan"),
    (math.inf, ValueError, "tau_activation must be a finite number >= 0, not inf"),
    ("0.1", TypeError, "tau_activation must be a number or None, not '0.1'"),
    (True, TypeError, "tau_activation must be a number or None, not True"),
])
def test_bad_tau(tau, error, message):
    with pytest.raises(error) as e:
        check_tau("tau_activation", tau)
    assert str(e.value) == message
    with pytest.raises(error) as e:
        DynaTranTap(tau_weight=tau)
    assert str(e.value) == message.replace("tau_activation", "tau_weight")


def test_good_tau():
    assert check_tau("t", None) is None and check_tau("t", 0) == 0.0
    assert isinstance(check_tau("t", 1), float)


def _model():
    torch.manual_seed(3)
    return Encoder(EncoderConfig(kind="bert", layers=2, hidden=16, heads=2, ff=32,
                                 classes=2, vocab=20, seq_len=6))


def _run(tap, n=4):
    model = _model()
    kept = {}

    def recorder(kind, name, x):
        kept[name] = x.detach().clone()
        return x

    model.numerics = Numerics(taps=[tap, recorder])
    model(torch.randint(0, 20, (n, 6), generator=torch.Generator().manual_seed(0)))
    return kept


def test_tap_sparsity_matches_a_recount_of_every_matrix():
    tap = DynaTranTap(0.1, 0.1)
    kept = _run(tap)
    rho = tap.sparsity()
    assert set(rho) == set(kept) and len(rho) > 30
    for name, x in kept.items():
        nz = x[x != 0]
        assert bool((nz.abs() >= 0.1).all())                  # nothing below τ survives
        assert rho[name] == int((x == 0).sum()) / x.numel()
    assert tap.overall("weight") > 0 and tap.overall("activation") > 0
    assert tap.seconds > 0 and tap.cpu_seconds > 0


def test_weight_only_pruning_leaves_activations_dense():
    tap = DynaTranTap(tau_weight=0.1)
    kept = _run(tap)
    for name, x in kept.items():
        if name.endswith(".weight"):
            assert bool((x[x != 0].abs() >= 0.1).all())
        else:
            assert int((x == 0).sum()) == 0, name
    assert tap.overall("activation") == 0 and tap.overall("weight") > 0.2
    x = torch.full((3, 3), 0.01)
    assert tap("activation", "any", x) is x                  # not even copied


def test_activation_only_pruning_leaves_weights_dense():
    tap = DynaTranTap(tau_activation=0.1)
    kept = _run(tap)
    model = _model()
    for name, x in kept.items():
        if name.endswith(".weight"):
            assert torch.equal(x, model.get_parameter(name))
        else:
            assert bool((x[x != 0].abs() >= 0.1).all())
    assert tap.overall("weight") == 0 and tap.overall("activation") > 0.1


def test_transfer_curve_sweeps_one_knob_or_both():
    model = _model()
    x = torch.randint(0, 20, (16, 6), generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(2))
    taus = [0.0, 0.02, 0.05, 0.1, 0.2]
    matrices = []
    both = transfer_curve(model, x, y, taus, sweep="both", per_matrix=matrices)
    assert [r["tau"] for r in both] == taus
    at = {(r["tau"], r["matrix"]): r["rho"] for r in matrices}
    assert len(at) == len(matrices)
    assert at[(0.2, "layers.1.ff1.weight")] > at[(0.02, "layers.1.ff1.weight")]
    rhos = [r["rho"] for r in both]
    assert rhos == sorted(rhos) and rhos[0] < 0.01 and rhos[-1] > 0.3
    assert model.numerics.taps == []                            # the model is left unchanged
    act = transfer_curve(model, x, y, taus)                     # activations by default
    assert all(r["rho_weight"] == 0 and r["tau_weight"] is None for r in act)
    assert [r["tau_activation"] for r in act] == taus
    assert act[-1]["rho_activation"] > 0.3
    w = transfer_curve(model, x, y, taus, sweep="weight", tau_activation=0.05)
    assert all(r["tau_activation"] == 0.05 for r in w)
    assert w[-1]["rho_weight"] == both[-1]["rho_weight"]
    assert w[0]["rho_activation"] == act[2]["rho_activation"]   # τ_A 0.05, weights dense
    assert tau_for_rho(both, 0.0) == 0.0
    target = (rhos[2] + rhos[3]) / 2
    assert tau_for_rho(both, target) == 0.1
    assert tau_for_rho(both, 0.999) == 0.2


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(sweep="all"), ValueError, "sweep must be one of 'activation', 'weight', 'both', "
                                    "not 'all'"),
    (dict(tau_activation=0.1), ValueError,
     "tau_activation must be None when the sweep sets it (sweep 'activation'), not 0.1"),
    (dict(sweep="both", tau_weight=0.1), ValueError,
     "tau_weight must be None when the sweep sets it (sweep 'both'), not 0.1"),
    (dict(taus=[0.1, -1]), ValueError, "tau must be a finite number >= 0, not -1"),
    (dict(sweep="weight", tau_activation=math.nan), ValueError,
     "tau_activation must be a finite number >= 0, not nan"),
])
def test_transfer_curve_errors(kwargs, error, message):
    taus = kwargs.pop("taus", [0.1])
    with pytest.raises(error) as e:
        transfer_curve(_model(), None, None, taus, **kwargs)  # checked before running
    assert str(e.value) == message


def test_tau_for_rho_interpolates():
    curve = [{"tau": 0.0, "rho": 0.0}, {"tau": 0.1, "rho": 0.2}, {"tau": 0.2, "rho": 0.6}]
    assert tau_for_rho(curve, 0.4) == 0.2                        # the hardware's rule
    assert tau_for_rho(curve, 0.4, interpolate=True) == pytest.approx(0.15)
    assert tau_for_rho(curve, 0.1, interpolate=True) == pytest.approx(0.05)
    with pytest.raises(ValueError) as e:
        tau_for_rho(curve, 0.7, interpolate=True)
    assert str(e.value) == "rho must be from 0.0000 to 0.6000 (the measured curve), not 0.7"


def test_topk_keeps_k_largest_magnitudes_per_row():
    s = torch.tensor([[3.0, 1.0, -2.0, 0.5], [0.0, -1.0, 4.0, 4.5]])
    pruned, mask = topk_prune(s, 2)
    assert mask.tolist() == [[False, True, False, True], [True, True, False, False]]
    assert pruned.tolist() == [[3.0, 0.0, -2.0, 0.0], [0.0, 0.0, 4.0, 4.5]]
    assert torch.equal(topk_prune(s, 0)[0], torch.zeros_like(s))
    assert torch.equal(topk_prune(s, 4)[0], s)
    tied = torch.ones(2, 5)                                     # ties: exactly k kept
    assert (topk_prune(tied, 3)[0] != 0).sum(-1).tolist() == [3, 3]
    per_row, _ = topk_prune(s, torch.tensor([1, 3]))
    assert per_row.tolist() == [[3.0, 0.0, 0.0, 0.0], [0.0, -1.0, 4.0, 4.5]]
    assert (topk_prune(tied, torch.tensor([0, 4]))[0] != 0).sum(-1).tolist() == [0, 4]


def test_topk_per_row_against_a_sort():
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        m = torch.randn(3, 5, 9, generator=g)
        for k in (torch.randint(0, 10, (3, 5), generator=g),               # any k
                  row_ks(float(torch.rand(1, generator=g)) * 9, (3, 5))):  # k, k + 1
            expected = torch.zeros_like(m)
            for a in range(3):
                for b in range(5):
                    kept = m[a, b].abs().argsort(descending=True)[:k[a, b]]
                    expected[a, b, kept] = m[a, b, kept]
            assert torch.equal(topk_prune(m, k)[0], expected)


@pytest.mark.parametrize("k, message", [
    (5, "k must be an integer from 0 to 4, not 5"),
    (torch.tensor([1, 5]), "k must be an integer from 0 to 4, not 5"),
    (torch.tensor([-1, 2]), "k must be an integer from 0 to 4, not -1"),
    (torch.tensor([1, 2, 3]), "k must be integers of shape (2,), not torch.int64 of shape (3,)"),
    (torch.tensor([1.0, 2.0]), "k must be integers of shape (2,), not torch.float32 of "
                               "shape (2,)"),
])
def test_topk_bad_k(k, message):
    with pytest.raises(ValueError) as e:
        topk_prune(torch.ones(2, 4), k)
    assert str(e.value) == message


def test_row_ks_spread_the_mean_evenly():
    assert row_ks(2.5, (2, 2)).tolist() == [[2, 3], [2, 3]]
    assert row_ks(0.25, (8,)).tolist() == [0, 0, 0, 1, 0, 0, 0, 1]
    assert row_ks(3.0, (5,)).tolist() == [3] * 5
    ks = row_ks(16 * (1 - 0.973), (7, 33))
    assert int(ks.sum()) == int(7 * 33 * 16 * (1 - 0.973)) and set(ks.flatten().tolist()) == {0, 1}


def test_matching_keep_gives_each_matrix_its_rho():
    count = SparsityCount()
    count.add("a", torch.tensor([[0.0, 1, 2, 3], [0, 0, 1, 2]]))   # ρ 3/8 on rows of 4
    count.add("w.weight", torch.zeros(2, 2))
    count.add("b", torch.tensor([[0.0, 0, 0, 0, 0, 0, 1]]))        # ρ 6/7
    assert matching_keep(count) == pytest.approx({"a": 2.5, "b": 1.0})


def test_equal_sparsity_matches_dynatran_and_times_each_row():
    model = _model()
    x = torch.randint(0, 20, (16, 6), generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(2))
    matrices = []
    rows = equal_sparsity(model, x, y, [0.0, 0.05, 0.2], repeats=2, per_matrix=matrices)
    assert [r["tau"] for r in rows] == [0.0, 0.05, 0.2]
    assert rows[0]["rho_dynatran"] == rows[0]["rho_topk"] == 0
    assert rows[2]["rho_dynatran"] > 0.3
    for r in rows:          # tolerance: see the matrices below, weighed by elements
        assert abs(r["rho_topk"] - r["rho_dynatran"]) <= 0.005
        assert r["seconds_dynatran"] > 0 and r["seconds_topk"] > 0
        assert r["cpu_seconds_dynatran"] > 0 and r["cpu_seconds_topk"] > 0
        assert 0 <= r["accuracy_topk"] <= 1 and 0 <= r["accuracy_dynatran"] <= 1
    assert len({r["seconds_topk"] for r in rows}) == 3          # measured per row
    for m in matrices:      # κ = (1 − ρ)·n spread over the rows: the kept count is exact
        n = m["row"]        # to one entry per call, but for zeros among the kept entries:
        # `a` is P·V regrouped, whose top-k zeros fall unevenly in a's rows
        bound = 0.02 if m["matrix"].endswith(".a") else 0.002
        assert abs(m["rho_topk"] - m["rho_dynatran"]) <= bound, m
        assert m["k_mean"] == pytest.approx((1 - m["rho_dynatran"]) * n)
    assert {m["matrix"] for m in matrices} >= {"layers.0.s", "layers.1.p", "layers.1.ff2"}
    assert not any(m["matrix"].endswith(".weight") for m in matrices)


def test_topk_tap_prunes_named_activations_and_shares_weight_pruning():
    tap = TopKTap({"layers.0.p": 2, "layers.1.ff1": 5}, tau_weight=0.1)   # κ integers
    kept = _run(tap)
    assert ((kept["layers.0.p"] != 0).sum(-1) <= 2).all()
    assert ((kept["layers.1.ff1"] != 0).sum(-1) <= 5).all()
    assert int((kept["layers.1.p"] == 0).sum()) == 0            # not named: dense
    same = DynaTranTap(tau_weight=0.1)
    _run(same)
    assert tap.overall("weight") == same.overall("weight") > 0.2
