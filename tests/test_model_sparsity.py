"""Sparsity as the model takes it: per matrix, from the golden models' measurements, and the
sparse MAC path's expected beats."""

import itertools
from types import SimpleNamespace

import pytest

from tilewright.flows.model import InvalidDesign, Sparsity
from tilewright.flows.model.sparsity import expected_beats
from tilewright.gen.sparse_mac import SparseMac


def test_expected_beats_is_the_mean_over_masks():
    """Exhaustive over the 2^8 masks of an 8-slot vector: the binomial expectation equals
    the mean of SparseMac.beats over masks weighted by their probability."""
    length, m, p = 8, 2, 0.3
    mean = sum(SparseMac.beats(sum(mask), m) * p ** sum(mask) * (1 - p) ** (length - sum(mask))
               for mask in itertools.product((0, 1), repeat=length))
    assert expected_beats(length, p, m) == pytest.approx(mean)
    assert expected_beats(16, 1.0, 16) == 1 and expected_beats(16, 1.0, 4) == 4
    assert expected_beats(16, 0.0, 4) == 1            # an empty vector still takes a beat


def test_from_measured_orients_the_operands():
    """measure_sparsity gives (left, right) operands: X·Wᵀ for projections (activation on
    the left), Q·Kᵀ and P·V (the first operand is the model's W)."""
    m = lambda ops, eff: SimpleNamespace(rho=0.1, rho_operands=ops, effectual=eff)
    measured = {"layers.0.q": m((0.3, 0.6), 0.25), "layers.0.s": m((0.2, 0.4), 0.5),
                "layers.0.pv": m((0.7, 0.1), 0.2), "layers.0.ln1": SimpleNamespace(
                    rho=0.05, rho_operands=None, effectual=None),
                "layers.1.q": m((0.5, 0.2), 0.45)}
    sp = Sparsity.from_measured(measured)
    assert sp.of("layers.0.q") == (0.3, 0.6) and sp.effectual("layers.0.q") == 0.25
    assert sp.of("layers.0.s") == (0.4, 0.2)
    assert sp.of("layers.0.pv") == (0.1, 0.7)
    assert sp.of("layers.0.ln1") == (0.05, 0.0)
    # a deeper model's layer takes the mean of the measured layers
    assert sp.of("layers.5.q") == pytest.approx((0.4, 0.4))
    assert sp.effectual("layers.5.q") == pytest.approx(0.35)
    assert sp.of("embed.tokens") == (0.0, 0.0) and sp.effectual("other") == 1.0


def test_independent_operands_without_a_measured_effectual_fraction():
    sp = Sparsity({"layers.0.q": (0.5, 0.2)})
    assert sp.effectual("layers.0.q") == pytest.approx(0.5 * 0.8)


@pytest.mark.parametrize("entry", [(0.5,), (1.5, 0.0), ("a", 0.1), 0.3])
def test_bad_entries(entry):
    with pytest.raises(InvalidDesign, match=r"^sparsity\['x'\] must be \(activation_rho, "
                                            r"weight_rho\[, effectual\]\) in \[0, 1\], not "):
        Sparsity({"x": entry})
