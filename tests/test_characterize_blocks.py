"""Characterization works for every registered block: a small instance of each is
synthesized, simulated on the RTL and on the gate-level netlist (which must agree), and
timed; its energy rises from all-zero to random data, and exceeds its energy at rest.

Post-sparsity runs here by default (and the MAC lane in test_characterize.py); the rest
are ``full`` (each costs two Verilator builds, 1–2 minutes).
``test_every_block_has_a_case`` fails when a block is added without one (or without
being named a composite, :data:`COMPOSED`).
"""

import pytest

from tilewright.gen.catalogue import blocks
from tilewright.flows.characterize import characterize

pytestmark = pytest.mark.cosim

#: A small instance of every block (one with its boundary-sized parameters where cheap).
SMALL = {
    "multiplier": {"kind": "drum", "bits": 6, "k": 3},
    "post-sparsity": {"length": 4, "il": 4, "fl": 4},
    "pre-sparsity": {"length": 4, "il": 4, "fl": 4},
    "mac-lane": {"multipliers": 2, "il": 4, "fl": 4, "activation": "relu"},
    "gelu": {"lanes": 2, "il": 4, "fl": 4, "gelu_segments": 8},
    "dynatran": {"rows": 4, "cols": 4, "il": 4, "fl": 4, "threshold": "calculator",
                 "curve_points": 4, "rho_bits": 4},
    "sparse-mac": {"length": 4, "multipliers": 2, "il": 4, "fl": 4},
    "softmax": {"t": 4, "il": 4, "fl": 4, "lut_depth": 16, "exp_bits": 8, "out_fl": 8},
    "layer-norm": {"n": 4, "il": 4, "fl": 4},
    "systolic": {"rows": 2, "cols": 2, "dataflow": "os", "il": 4, "fl": 0},
    "systolic-cell": {"il": 4, "fl": 0, "acc_width": 8},
}
DEFAULT = ("post-sparsity",)
#: Composites too large to characterize flat: their costs are composed from their parts'.
COMPOSED = ("pe", "top")


def test_every_block_has_a_case():
    assert sorted([*SMALL, *COMPOSED]) == sorted(blocks())


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=() if name in DEFAULT else pytest.mark.full) for name in SMALL])
def test_characterize_block(name):
    rand = characterize(name, SMALL[name])
    zeros = characterize(name, SMALL[name], stimulus="zeros")
    assert rand.details["gate_checked"] and zeros.details["gate_checked"]
    assert rand.area_um2 > 0 and rand.leakage_mw > 0
    assert rand.operations > 0 and rand.cycles >= rand.operations * rand.initiation_interval
    assert rand.details["energy_pj"]["total"] == pytest.approx(
        rand.energy_per_op_pj * rand.details["marginal_operations"])
    if name != "sparse-mac":       # its operations are the effectual pairs of random masks
        assert rand.details["marginal_operations"] == rand.operations
    assert 0 < zeros.energy_per_op_pj < rand.energy_per_op_pj
    assert zeros.details["gate_toggles"] < rand.details["gate_toggles"]
    assert (zeros.area_um2, zeros.cycles) == (rand.area_um2, rand.cycles)
    assert rand.fmax_mhz == zeros.fmax_mhz and 10 < rand.fmax_mhz < 2000
    # at rest the data do not matter, and a clocked idle block costs less than a busy one
    assert 0 < rand.idle_pj_per_cycle == zeros.idle_pj_per_cycle
    assert rand.idle_mw < rand.dynamic_mw
