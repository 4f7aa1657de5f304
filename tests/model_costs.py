"""Cost records of a small accelerator for the model's tests.

The records were measured by characterizing the accelerator's blocks
(:func:`characterize_small`) and exported to ``tests/data/model-costs-small.json``; the
model's tests load them into a database in the test cache (:func:`small_db_path`), so the
default suite does not spend minutes re-measuring them. The ``full`` test
``test_model_simulate.py::test_small_records_are_current`` measures them again and
compares; ``python tests/model_costs.py`` measures and exports them anew (after a change to
a generator or to the characterization method).
"""

import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

from tilewright.flows.costs import CostDB
from tilewright.flows.costs.store import CostRecord
from tilewright.flows.model import Accelerator, requirements
from tilewright.flows.model.workload import Layer
from tilewright.gen.catalogue import get_block

#: A small accelerator whose blocks characterize in seconds: 2-multiplier lanes, 4-wide
#: tiles, 6-bit data.
SMALL = Accelerator(name="small", pes=2, lanes_per_pe=2, macs_per_lane=2, softmax_per_pe=1,
                    batch_tile=1, spatial_tile=4, batch_size=2, activation_buffer_mb=1,
                    weight_buffer_mb=1, mask_buffer_mb=1, il=3, fl=3)
DATA = Path(__file__).parent / "data" / "model-costs-small.json"


def exported_records():
    """The exported records of :data:`SMALL`'s blocks."""
    return [CostRecord.from_dict(r) for r in json.loads(DATA.read_text())]


def small_db_path():
    """A database in the test cache holding the exported records."""
    root = Path(os.environ.get("TILEWRIGHT_CACHE")
                or Path(tempfile.gettempdir()) / "tilewright-test-cache")
    root.mkdir(parents=True, exist_ok=True)
    path = root / "model-costs-exported.sqlite"
    with CostDB(path) as db:
        for record in exported_records():
            if db.get(record.key) is None:
                db.put(record)
    return path


def characterize_small(db, hardware=SMALL):
    """Measure (or reuse) every record ``hardware`` needs into ``db``; the records."""
    from tilewright.flows.characterize import characterize
    return [characterize(block, params, db=db)
            for block, params in requirements(hardware).values()]


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


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp, CostDB(Path(tmp) / "costs.sqlite") as db:
        records = {r.key: r.to_dict() for r in characterize_small(db)}
    # the shipped library by its path in the repository, not this machine's
    text = json.dumps(list(records.values()), indent=1, sort_keys=True)
    DATA.write_text(text.replace(f"{Path(__file__).resolve().parent.parent}/", ""))
    print(f"{len(records)} records written to {DATA}")
