"""Golden DynaTran model against a plain restatement of AccelTran §III-A and the look-up
rule of the threshold calculator."""

import random

import pytest
import torch

from tilewright.gen.dynatran import DynaTran
from tilewright.golden.dynatran import (DynaTranModel, ThresholdCalculatorModel, mask_bits,
                                        prune, sparsity, transpose_tile)


def test_prune_keeps_equal_magnitude_and_marks_ineffectual_with_one():
    tile = torch.tensor([-128, -3, -2, 0, 2, 3, 127])
    pruned, mask = prune(tile, 3)
    assert pruned.tolist() == [-128, -3, 0, 0, 0, 3, 127]
    assert mask.tolist() == [False, False, True, True, True, False, False]
    assert mask_bits(mask) == 0b0011100


def test_threshold_zero_keeps_zeros_and_large_threshold_prunes_all():
    tile = torch.tensor([0, -1, 5, -128])
    assert prune(tile, 0)[1].tolist() == [False] * 4
    assert prune(tile, 128)[1].tolist() == [True, True, True, False]     # |-128| = 128 kept
    assert prune(tile, 129)[1].tolist() == [True] * 4
    assert sparsity(prune(tile, 129)[0]) == 1.0


def test_transpose_and_flat_order_match_the_generator():
    unit = DynaTran(batch=2, rows=3, cols=4, il=8, fl=0, transpose=True)
    tile = torch.arange(24).view(2, 3, 4)
    flat = tile.flatten()
    assert transpose_tile(tile).flatten().tolist() == [int(flat[k])
                                                       for k in unit.transposed_order()]


def reference_lookup(curve, rho):
    """Nearest point at or above rho, else the largest; ties to the lowest index."""
    best = None
    for k, point in enumerate(curve):
        if point is None:
            continue
        r, t = point
        if best is None:
            best = (r, t)
            continue
        if r >= rho and (best[0] < rho or r < best[0]):
            best = (r, t)
        elif r < rho and best[0] < rho and r > best[0]:
            best = (r, t)
    return 0 if best is None else best[1]


def test_lookup_rule_against_reference():
    rand = random.Random(4)
    for _ in range(2000):
        calc = ThresholdCalculatorModel(rand.randint(1, 6))
        for _ in range(rand.randint(0, 8)):
            calc.load(rand.randrange(len(calc.curve)), rand.randint(0, 15), rand.randint(0, 99))
        rho = rand.randint(0, 15)
        assert calc.lookup(rho) == reference_lookup(calc.curve, rho)


@pytest.mark.parametrize("rho, tau", [(0, 10), (3, 10), (4, 20), (9, 30), (15, 30)])
def test_lookup_examples(rho, tau):
    calc = ThresholdCalculatorModel(4)
    for index, (r, t) in enumerate([(9, 30), (3, 10), (6, 20), (3, 11)]):
        calc.load(index, r, t)
    assert calc.lookup(rho) == tau
    assert ThresholdCalculatorModel(2).lookup(rho) == 0


def test_model_word_layout():
    unit = DynaTran(batch=1, rows=2, cols=2, il=4, fl=0, threshold="calculator",
                    curve_points=2, rho_bits=4)
    model = DynaTranModel(unit)
    model.load(1, 8, 3)
    assert model.word([[1, -3], [4, -8]], rho=5) == {"tile": [0, -3, 4, -8], "mask": 0b0001,
                                                     "tau": 3}
