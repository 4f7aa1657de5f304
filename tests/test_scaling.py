"""Stillmaker & Baas 2017 scaling: published factors, inverses, voltage dependence."""

import pytest

from tilewright.flows.costs.scaling import (area_factor, energy_factor, power_factor, scale)


def test_area_factors_from_the_paper_table():
    assert area_factor(130, 14) == 0.027
    assert area_factor(14, 130) == 37
    assert area_factor(45, 45) == 1
    # forward and back agree within the table's two-digit rounding
    assert area_factor(130, 14) * area_factor(14, 130) == pytest.approx(1, rel=0.01)


def test_energy_and_power_factors():
    # 130 nm at 1.3 V: 7.171·1.69 − 6.709·1.3 + 2.904; HP14 at 0.8 V likewise
    e130 = 7.171 * 1.3**2 - 6.709 * 1.3 + 2.904
    e14 = 0.2363 * 0.8**2 - 0.09675 * 0.8 + 0.02239
    assert energy_factor(130, 14) == pytest.approx(e14 / e130)
    assert energy_factor(14, 130) == pytest.approx(e130 / e14)
    assert energy_factor(130, 130, 1.0, 1.2) > 1      # energy grows with the supply
    assert 0 < power_factor(130, 14) < 1


def test_scale_and_extrapolation_flag():
    s = scale(1000.0, 10.0, 2.0, 0.5, 130, 14)
    assert s.area_um2 == pytest.approx(27.0)
    assert s.energy_pj == pytest.approx(10 * s.factors["energy"])
    assert s.dynamic_mw == pytest.approx(2 * s.factors["energy"])
    assert s.leakage_mw == pytest.approx(0.5 * s.factors["power"])
    assert not s.extrapolated
    assert scale(1, 1, 1, 1, 130, 14, src_vdd=1.8).extrapolated


def test_unknown_node_message():
    with pytest.raises(ValueError) as e:
        area_factor(28, 14)
    assert str(e.value) == ("node must be one of 180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7 "
                            "(nm), not 28")
