"""PIVOT search: CKA, Path-Score (Alg. 1), Phase 2's order and selection."""

import pytest
import torch

from tilewright.flows.search.pivot import (best_path, cka, cka_matrix, effort_pairs,
                                           path_score, select)

C = [[0, 0.5, 0.3, 0.2],
     [0, 0, 0.7, 0.1],
     [0, 0, 0, 0.9],
     [0, 0, 0, 0]]


def test_cka_known_matrices():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 8, generator=g)
    assert cka(x, x) == pytest.approx(1.0)
    assert cka(x, 3.0 * x + 1.0) == pytest.approx(1.0)          # scale and shift
    q, _ = torch.linalg.qr(torch.randn(8, 8, generator=g))
    assert cka(x, x @ q) == pytest.approx(1.0)                  # rotation
    assert cka(x, torch.randn(500, 8, generator=g)) < 0.05      # independent
    assert cka(x, torch.zeros(500, 8)) == 0.0


def test_path_score_by_hand():
    assert path_score((0, 2), C) == pytest.approx(0.5 + 0.9)
    assert path_score((0, 1), C) == pytest.approx(0.7 + 0.1)
    assert path_score((0, 3), C) == pytest.approx(0.5 + 0.3)
    assert path_score((0, 1, 2, 3), C) == 0
    assert path_score((0,), C) == pytest.approx(0.5 + 0.3 + 0.2)
    # PIVOT's example: inactive 3, 4, 9, 10 (1-based) of 12 -> C[2,3]+C[2,4]+C[8,9]+C[8,10]
    m = [[100 * i + j for j in range(12)] for i in range(12)]
    active = [i for i in range(12) if i + 1 not in (3, 4, 9, 10)]
    assert path_score(active, m) == 102 + 103 + 708 + 709


def test_best_path():
    assert best_path(2, C) == (0, 2)
    assert best_path(4, C) == (0, 1, 2, 3)
    with pytest.raises(ValueError, match="effort must be from 1 to 4, not 5"):
        best_path(5, C)


def test_effort_pairs_and_select():
    assert effort_pairs([3, 12, 6, 9]) == [(9, 12), (6, 12), (3, 12), (6, 9), (3, 9), (3, 6)]
    rows = [{"delay_ms": 10}, {"delay_ms": 8.3}, {"delay_ms": 7}]
    assert select(rows, 8) is rows[1]                           # within 5 %
    assert select(rows, 6) is None


def test_cka_matrix_on_the_golden_vit():
    from tilewright.golden.models.encoder import Encoder
    from tilewright.golden.models.train import default_config
    torch.manual_seed(0)
    model = Encoder(default_config("digits", layers=3))
    m = cka_matrix(model, torch.rand(64, 1, 8, 8))
    assert len(m) == 3 and m[1][0] == 0 and m[2][2] == 0
    assert all(0 < m[i][j] <= 1 for i in range(3) for j in range(i + 1, 3))
    assert model.numerics.taps == []
