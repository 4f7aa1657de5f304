"""Per-block cost records for the model, read only through the cost database's query API.

:class:`CostSource` answers ``record(block, params)`` with the newest
:class:`~tilewright.flows.costs.CostRecord` of that block whose parameters (defaults filled
in) equal ``params`` at the requested clock and library, and caches it, so a search that
evaluates thousands of designs asks the database once per block. :func:`requirements`
lists the (block, parameters) an accelerator needs; :meth:`CostSource.check` raises one
:class:`~tilewright.flows.model.errors.MissingCosts` naming the exact
``tilewright characterize`` commands for all that are missing, or — given a
``characterize`` callable (``characterize(block, params)`` storing a record) — measures
them first. The model never imports the characterization pipeline itself.
"""

import dataclasses
import shlex

from tilewright.flows.costs.scaling import area_factor, energy_factor, power_factor
from tilewright.flows.costs.store import characterize_command
from tilewright.flows.model.errors import MissingCosts
from tilewright.gen.catalogue import get_block

__all__ = ["CostSource", "requirements"]


def requirements(hardware):
    """``{role: (block, params)}`` of the blocks ``hardware`` is built from: the MAC lane
    with and without its activation, softmax, layer norm, DynaTran and the two sparsity
    modules, all at the hardware's tile size and fixed-point format."""
    fmt = {"il": hardware.il, "fl": hardware.fl}
    t = hardware.spatial_tile
    return {
        "mac": ("mac-lane", {"multipliers": hardware.macs_per_lane, "activation": "none",
                             **fmt}),
        "mac_act": ("mac-lane", {"multipliers": hardware.macs_per_lane,
                                 "activation": hardware.activation, **fmt}),
        "softmax": ("softmax", {"t": hardware.vector_length("softmax"), **fmt}),
        "layernorm": ("layer-norm", {"n": hardware.vector_length("layernorm"), **fmt}),
        "dynatran": ("dynatran", {"batch": hardware.batch_tile, "rows": t, "cols": t,
                                  "threshold": "calculator", **fmt}),
        "pre_sparsity": ("pre-sparsity", {"length": t, **fmt}),
        "post_sparsity": ("post-sparsity", {"length": t, **fmt}),
    }


class CostSource:
    """Cost records from ``db`` (a :class:`~tilewright.flows.costs.CostDB`) at
    ``clock_mhz`` and ``library``, as :meth:`~tilewright.flows.costs.CostDB.lookup` takes them
    (``None``: the default clock and the shipped library). ``characterize(block, params)``, when given, is called for each
    missing record and must store it in ``db``. ``node_nm``, when given, scales every
    record's area, energies and leakage from its own node to that one (Stillmaker & Baas,
    :mod:`tilewright.flows.costs.scaling`, as AccelTran §IV-C normalizes to 14 nm); cycles
    and the clock are left as measured."""

    def __init__(self, db, *, clock_mhz=None, library=None, characterize=None, node_nm=None):
        self.db = db
        self.clock_mhz = clock_mhz
        self.library = library
        self.characterize = characterize
        self.node_nm = node_nm
        self._cache = {}

    def _scaled(self, record):
        if record is None or self.node_nm is None or record.node_nm == self.node_nm:
            return record
        src, dst = record.node_nm, self.node_nm
        fe = energy_factor(src, dst)
        idle = record.idle_pj_per_cycle
        return dataclasses.replace(
            record, area_um2=record.area_um2 * area_factor(src, dst),
            energy_per_op_pj=record.energy_per_op_pj * fe,
            leakage_mw=record.leakage_mw * power_factor(src, dst),
            idle_pj_per_cycle=None if idle is None else idle * fe, node_nm=dst,
            technology=f"{record.technology} scaled to {dst} nm")

    def record(self, block, params):
        """The record of ``block`` with ``params`` (defaults filled in), or ``None``."""
        full = get_block(block).resolve(params)
        key = (block, tuple(sorted(full.items())))
        if key not in self._cache:
            self._cache[key] = self._scaled(self.db.lookup(block, full, library=self.library,
                                                             clock_mhz=self.clock_mhz))
        return self._cache[key]

    def check(self, needed):
        """``{role: record}`` for ``needed`` (``{role: (block, params)}``); measures the
        missing ones through ``characterize`` or raises :class:`MissingCosts`."""
        missing = {role: bp for role, bp in needed.items() if self.record(*bp) is None}
        if missing and self.characterize is not None:
            done = set()
            for block, params in missing.values():
                key = (block, tuple(sorted(params.items())))
                if key not in done:
                    done.add(key)
                    self.characterize(block, params)
            self._cache.clear()
            missing = {role: bp for role, bp in needed.items() if self.record(*bp) is None}
        if missing:
            commands = []
            for block, params in missing.values():
                line = characterize_command(get_block(block), params, library=self.library,
                                            clock_mhz=self.clock_mhz)
                url = getattr(self.db, "url", None)
                line += f" --db {shlex.quote(str(url))}" if url else ""
                if line not in commands:
                    commands.append(line)
            raise MissingCosts(commands)
        return {role: self.record(*bp) for role, bp in needed.items()}
