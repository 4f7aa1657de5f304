"""BOSHCODE's surrogate uncertainties, GOBI and the proposer (TransCODE §III-C, §IV-C)."""

import random

import numpy as np
import pytest
import torch

from tilewright.flows.search.codesign.boshcode import Boshcode
from tilewright.flows.search.codesign.gobi import gobi
from tilewright.flows.search.codesign.problem import Problem
from tilewright.flows.search.codesign.space import load_space
from tilewright.flows.search.codesign.surrogate import NPN, Surrogate


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def test_epistemic_grows_away_from_data():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(60, 4, generator=g) * 0.3
    s = Surrogate(4).fit(x, torch.sin(6 * x[:, 0]))
    near = s.predict(x)[1].mean()
    far = s.predict(0.7 + 0.3 * torch.rand(60, 4, generator=g))[1].mean()
    assert far > 2 * near


def test_aleatoric_tracks_injected_noise():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(200, 4, generator=g)
    noise = torch.where(x[:, 0] > 0.5, 0.3, 0.01)
    s = Surrogate(4).fit(x, x[:, 1] + noise * torch.randn(200, generator=g))
    quiet, loud = torch.rand(100, 4, generator=g), torch.rand(100, 4, generator=g)
    quiet[:, 0] *= 0.5
    loud[:, 0] = 0.5 + 0.5 * loud[:, 0]
    assert s.predict(loud)[2].mean() > 2 * s.predict(quiet)[2].mean()
    assert s.predict(quiet)[0].sub(quiet[:, 1]).abs().mean() < 0.1


def test_npn_variance_is_positive_and_grows_with_weight_variance():
    torch.manual_seed(0)
    net = NPN(3, 8)
    x = torch.rand(5, 3)
    _, v0 = net(x)
    with torch.no_grad():
        net.l1.w_p += 4
    _, v1 = net(x)
    assert (v0 > 0).all() and (v1 > v0).all()


def test_gobi_improves_the_acquisition():
    torch.manual_seed(0)
    x = torch.rand(40, 5)
    s = Surrogate(5).fit(x, -((x - 0.7) ** 2).sum(1))
    x0 = torch.rand(6, 5)
    with torch.no_grad():
        before = s.ucb(x0)
    x1 = gobi(s.ucb, x0)
    with torch.no_grad():
        after = s.ucb(x1)
    assert (x1 >= 0).all() and (x1 <= 1).all()
    assert (after >= before - 1e-6).all() and (after > before + 1e-3).sum() >= 4


def test_boshcode_proposes_distinct_valid_unseen_designs():
    problem = Problem(load_space(), pool_size=200)
    rng = random.Random(0)
    seen = problem.random_pairs(rng, 12)
    x = np.stack([problem.embedding.unit(p) for p in seen])
    y = x[:, 0] - x[:, 5]
    method = Boshcode()
    out = method.propose(problem, x, y, 4, rng, {p.key for p in seen})
    assert len({p.key for p in out}) == 4
    assert all(problem.error(p) is None for p in out)
    assert not {p.key for p in out} & {p.key for p in seen}
