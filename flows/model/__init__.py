"""Performance models of whole accelerators, fed by measured cost records.

The AccelTran/ELECTOR tiled accelerator model (AccelTran §III-B, TransCODE §III-B), and beside
it TReX-Sim (TReX §V) and PIVOT-Sim (PIVOT §3.4). They read per-block figures only through the
cost database's query API (:mod:`tilewright.flows.costs`).

The AccelTran/ELECTOR model's API::

    hw = load_accelerator("acceltran-edge")
    wl = build_workload("bert-tiny", batch=4, seq=128)
    result = simulate(hw, wl, costs=CostSource(open_db(path)))
"""

from tilewright.flows.model.costs import CostSource, requirements
from tilewright.flows.model.errors import InvalidDesign, MissingCosts
from tilewright.flows.model.hardware import Accelerator, load_accelerator
from tilewright.flows.model.mapping import ORDERS, Mapping
from tilewright.flows.model.result import Result
from tilewright.flows.model.simulate import simulate
from tilewright.flows.model.sparsity import Sparsity
from tilewright.flows.model.workload import Encoder, Layer, Workload, build_workload, encoder

__all__ = ["simulate", "Result", "Accelerator", "load_accelerator", "Workload",
           "build_workload", "Encoder", "Layer", "encoder", "Mapping", "ORDERS", "Sparsity",
           "CostSource", "requirements", "InvalidDesign", "MissingCosts"]
