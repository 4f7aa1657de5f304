"""Cost records of a small accelerator, measured by characterizing its blocks once and kept
in a database in the test cache (reused by key in later sessions), for the model's tests."""

import os
import tempfile
from pathlib import Path

from types import SimpleNamespace

from tilewright.flows.model import Accelerator, requirements
from tilewright.flows.model.workload import Layer
from tilewright.gen.catalogue import get_block

#: A small accelerator whose blocks characterize in seconds: 2-multiplier lanes, 4-wide
#: tiles, 6-bit data.
SMALL = Accelerator(name="small", pes=2, lanes_per_pe=2, macs_per_lane=2, softmax_per_pe=1,
                    batch_tile=1, spatial_tile=4, batch_size=2, activation_buffer_mb=1,
                    weight_buffer_mb=1, mask_buffer_mb=1, il=3, fl=3)


def small_db_path():
    root = Path(os.environ.get("TILEWRIGHT_CACHE")
                or Path(tempfile.gettempdir()) / "tilewright-test-cache")
    root.mkdir(parents=True, exist_ok=True)
    return root / "model-costs.sqlite"


def characterize_small(db, hardware=SMALL):
    """Measure (or reuse) every record ``hardware`` needs into ``db``."""
    from tilewright.flows.characterize import characterize
    for block, params in requirements(hardware).values():
        characterize(block, params, db=db)


#: The tiny top and encoder layer that the lowering's tests and the top's cosim share.
HW = Accelerator(name="tiny-top", pes=2, lanes_per_pe=2, macs_per_lane=4, softmax_per_pe=1,
                 spatial_tile=4, softmax_length=4, layernorm_length=16, il=4, fl=8,
                 batch_size=1, activation_buffer_mb=1, weight_buffer_mb=1, mask_buffer_mb=1,
                 sparsity_modules=False)
LAYER = Layer(16, 2, (32,))


class FormulaCosts:
    """Latency and initiation interval of each block from its generator's formulas (the
    figures cosim checks the RTL against); the lowering needs nothing else."""

    def check(self, needed):
        out = {}
        for role, (block, params) in needed.items():
            unit = get_block(block).build(params)
            if block == "mac-lane":
                out[role] = SimpleNamespace(latency_cycles=unit.latency,
                                            initiation_interval=1 / unit.multipliers)
            elif block in ("softmax", "layer-norm"):
                out[role] = SimpleNamespace(latency_cycles=unit.latency,
                                            initiation_interval=unit.cycles_per_vector)
            else:
                out[role] = SimpleNamespace(latency_cycles=1, initiation_interval=1)
        return out
