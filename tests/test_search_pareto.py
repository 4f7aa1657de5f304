"""Pareto extraction and hypervolume on hand-worked cases, both senses."""

import pytest

from tilewright.flows.search.pareto import (hypervolume, hypervolume_curve, pareto_front,
                                            pareto_mask)


def test_pareto_mask_minimize_both():
    pts = [(1, 5), (2, 2), (3, 1), (3, 3), (1, 5), (4, 4)]
    # (3, 3) is dominated by (2, 2); (4, 4) by all; equal rows are both kept
    assert pareto_mask(pts, ("min", "min")).tolist() == [True, True, True, False, True, False]


def test_pareto_front_mixed_senses_is_ordered_by_the_first_objective():
    # accuracy up, power down
    pts = [(0.90, 1.0), (0.95, 3.0), (0.80, 0.5), (0.85, 2.0), (0.95, 4.0)]
    assert pareto_front(pts, ("max", "min")) == [1, 0, 2]


def test_hypervolume_of_a_staircase():
    # minimize both, reference (4, 4): the union of [1,4]x[3,4], [2,4]x[2,4] and
    # [3,4]x[1,4] is three slabs of height 1 and widths 3, 2, 1
    pts = [(1, 3), (2, 2), (3, 1)]
    assert hypervolume(pts, (4, 4), ("min", "min")) == pytest.approx(6.0)


def test_hypervolume_maximize_and_points_outside_the_reference():
    pts = [(0.9, 2.0), (0.8, 1.0), (0.5, 0.5), (0.95, 5.0)]
    # (acc max, power min), reference (0.7, 4.0): (0.5, 0.5) and (0.95, 5.0) are outside
    want = (0.9 - 0.7) * (4.0 - 2.0) + (0.8 - 0.7) * (2.0 - 1.0)
    assert hypervolume(pts, (0.7, 4.0), ("max", "min")) == pytest.approx(want)
    assert hypervolume([(0.5, 0.5)], (0.7, 4.0), ("max", "min")) == 0.0
    assert hypervolume([], (0.7, 4.0), ("max", "min")) == 0.0


def test_hypervolume_curve_grows_only_with_front_points():
    pts = [(3, 3), (4, 4), (1, 3), (2, 2)]
    # (4, 4) is dominated; (2, 2) adds [2,5]x[2,3] to [1,5]x[3,5]
    curve = hypervolume_curve(pts, (5, 5), ("min", "min"))
    assert curve == pytest.approx([4.0, 4.0, 8.0, 11.0])


def test_senses_are_checked():
    with pytest.raises(ValueError) as info:
        pareto_mask([(1, 2)], ("min", "up"))
    assert str(info.value) == "senses must hold 'min' or 'max', not 'up'"
    with pytest.raises(ValueError) as info:
        hypervolume([(1, 2)], (3, 3), ("min",))
    assert str(info.value) == ("senses must give one of ('min', 'max') per objective (2), "
                               "not ('min',)")
