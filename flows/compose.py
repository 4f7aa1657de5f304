"""Compositional characterization: the cost record of a composite too big to measure flat
(PIVOT's 64×36 array is about a million cells), from its characterized parts plus its own
glue logic (issue 16; AccelTran §III-B builds its PEs from such blocks).

For a composite with N instances of a part:

- area and leakage: N × the part's record (:func:`tilewright.flows.characterize.characterize`)
  plus the glue's synthesis, with the part's module black-boxed
  (:func:`tilewright.cosim.gate.synth.synthesize` ``blackboxes``);
- energy: the composite's stimulus test runs on the glue's gate-level netlist with the
  parts as RTL (its scoreboard checks that composition against the golden model). The
  glue's energy comes from its netlist's toggles (:mod:`tilewright.cosim.gate.energy`),
  once and twice over, as for a flat record. The parts are charged their energy per
  operation × the operations the test counts, and their idle energy per cycle for every
  other part-cycle: ``E = ops·e_op + (N·cycles − ops)·e_idle + E_glue``, all marginal
  (twice minus once), over the marginal operations;
- idle energy per cycle: N × the part's plus the glue's at rest;
- cycles, latency and initiation interval: the composite's own test, as measured;
- fmax: not timed (the parts' is in the details).

Composites (:data:`COMPOSITES`): ``systolic`` (``ws``/``is``; parts: ``systolic-cell``,
one per PE; glue: the operand skew, result de-skew, valid chain and load/stream control).
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from tilewright.cosim.gate.energy import dynamic_energy
from tilewright.cosim.gate.liberty import default_liberty, library_head, load_liberty
from tilewright.cosim.gate.replay import top_ports
from tilewright.cosim.gate.synth import synthesize
from tilewright.flows.characterize import (DEFAULT_SEED, characterize, energy_components,
                                           library_node, record_key, stimulus_runs)
from tilewright.flows.costs.store import (DEFAULT_CLOCK_MHZ, DEFAULT_WIRE_LOAD, METHOD_VERSION,
                                          CostRecord)
from tilewright.flows.generate import generate
from tilewright.gen.catalogue import get_block

__all__ = ["Composite", "COMPOSITES", "compose", "COMPOSE_VERSION"]

#: Bumped when how a composed record is computed changes.
COMPOSE_VERSION = 1


@dataclass(frozen=True)
class Composite:
    """How to split a block: its part's block name, the part's parameters from the
    composite's (``part_params``; raises ``ValueError`` naming the field when the
    composite's configuration has no such split), and the part instances' module-name
    pattern under the composite's top module."""

    part: str
    part_params: Callable
    pattern: str


def _systolic_cell_params(params):
    if params["dataflow"] == "os":
        raise ValueError("dataflow must be 'ws' or 'is' to compose the systolic array from "
                         "systolic-cell parts, not 'os'")
    return {k: params[k] for k in ("il", "fl", "acc_width", "overflow")}


COMPOSITES = {"systolic": Composite("systolic-cell", _systolic_cell_params, "pe_*")}


def _part_modules(verilog, top, pattern):
    """The Verilog modules of ``verilog`` named ``top.<pattern>`` (the parts' RTL)."""
    name = re.escape(f"{top}.") + re.escape(pattern).replace(r"\*", r"\S*")
    found = re.findall(rf"^module \\{name} .*?^endmodule\n", verilog, re.M | re.S)
    return "".join(found)


def _library_cells(netlist, library):
    """``netlist`` without its black-box instances (for the energy of the glue alone)."""
    return {**netlist, "cells": {k: c for k, c in netlist["cells"].items()
                                 if c["type"] in library.cells}}


def compose(block_name, given=None, *, db=None, liberty=None, clock_mhz=DEFAULT_CLOCK_MHZ,
            seed=DEFAULT_SEED, stimulus="random", wire_load=DEFAULT_WIRE_LOAD, force=False,
            on_stage=None, gate_sim="native"):
    """The composed :class:`~tilewright.flows.costs.CostRecord` of ``block_name`` (one of
    :data:`COMPOSITES`) with ``given`` parameters; keywords as for
    :func:`~tilewright.flows.characterize.characterize`, whose record of the part it uses
    (measured first when ``db`` has none; ``gate_sim`` is for the part only: the glue runs
    on Verilator, since its netlist holds the parts as RTL). The record's ``details["composed"]`` is
    ``True``; its parts, counts and the glue's figures are in ``details``."""
    if block_name not in COMPOSITES:
        raise ValueError(f"block must be one of {', '.join(map(repr, COMPOSITES))} to "
                         f"compose, not {block_name!r}")
    stage = on_stage or (lambda name: None)
    spec, block = COMPOSITES[block_name], get_block(block_name)
    params_json = json.dumps(block.resolve(given), sort_keys=True)
    part_params = spec.part_params(json.loads(params_json))
    options = dict(liberty=liberty, clock_mhz=clock_mhz, seed=seed, stimulus=stimulus,
                   wire_load=wire_load)
    stage(f"part {spec.part}")
    part = characterize(spec.part, part_params, db=db, force=force, gate_sim=gate_sim,
                        **options)
    lib_path = liberty if liberty is not None else default_liberty()
    head, _ = library_head(lib_path)
    wires = head.wire_load(wire_load)
    key, context, tools, generator_version = record_key(
        block_name, params_json, head, wires, clock_mhz=clock_mhz, seed=seed,
        stimulus=stimulus, test=block.stimulus, method=METHOD_VERSION,
        composed=COMPOSE_VERSION, part=part.key)
    if db is not None and not force:
        found = db.get(key)
        if found is not None:
            return found

    item = generate(block_name, json.loads(params_json), errors=False)
    library = load_liberty(lib_path)

    stage("glue synthesis")
    glue = synthesize(item.verilog, item.instance, liberty=lib_path,
                      blackboxes=(f"{item.instance}.{spec.pattern}",))
    count = sum(glue.blackbox_cells.values())
    sim_verilog = glue.gate_verilog + _part_modules(item.verilog, item.instance, spec.pattern)
    ports = {n: len(p["bits"]) for n, p in glue.netlist["ports"].items()}
    netlist = _library_cells(glue.netlist, library)

    def energy_of(activity):
        return dynamic_energy(netlist, library, activity.toggles, activity.clock_cycles,
                              wire_load=wires)
    stage("glue gate-level simulation, parts in RTL")
    with ThreadPoolExecutor(max_workers=2) as pool:
        once, twice, *idle = stimulus_runs(
            pool, f"{block_name}-glue", item.params, sim_verilog, item.instance, block, seed,
            stimulus, top_ports(item.verilog, item.instance), public=tuple(ports))
    stim = once.report["stimulus"]
    ops = stim["operations"]
    more_ops = twice.report["stimulus"]["operations"] - ops
    more_cycles = twice.clock_cycles - once.clock_cycles
    glue_energy = energy_of(twice) - energy_of(once)
    part_idle_cycles = count * more_cycles - more_ops
    parts_pj = (more_ops * part.energy_per_op_pj
                + part_idle_cycles * (part.idle_pj_per_cycle or 0.0))
    glue_idle = energy_of(idle[1]) - energy_of(idle[0])
    glue_idle_pj = glue_idle.total_pj / glue_idle.clock_cycles
    cells = {t: n * count for t, n in part.cells.items()}
    for t, n in glue.cells.items():
        cells[t] = cells.get(t, 0) + n
    record = CostRecord(
        key=key, block=block_name, params=item.params, generator_version=generator_version,
        area_um2=count * part.area_um2 + glue.area,
        leakage_mw=count * part.leakage_mw + glue.leakage * 1e-6,
        energy_per_op_pj=(parts_pj + glue_energy.total_pj) / more_ops,
        operation=stim["operation"], unit=stim["unit"], unit_shape=tuple(stim["unit_shape"]),
        context={**context, "technology": library.name, "library_path": str(lib_path),
                 "wire_load_model": wire_load},
        operations=ops, cycles=stim["cycles"],
        latency_cycles=stim["latency"], initiation_interval=stim["initiation_interval"],
        clock_mhz=float(clock_mhz), technology=library.name, node_nm=library_node(library.name),
        tools={**tools, "yosys": glue.yosys},
        stimulus={**stim, "kind": stimulus, "seed": seed, "test": block.stimulus},
        fmax_mhz=None, cells=dict(sorted(cells.items())),
        idle_pj_per_cycle=count * (part.idle_pj_per_cycle or 0.0) + glue_idle_pj,
        details={"composed": True,
                 "parts": [{"block": spec.part, "params": part.params, "key": part.key,
                            "count": count, "operations": more_ops,
                            "idle_cycles": part_idle_cycles, "energy_pj": parts_pj,
                            "fmax_mhz": part.fmax_mhz}],
                 "glue": {"area_um2": glue.area, "leakage_mw": glue.leakage * 1e-6,
                          "sequential_area_um2": glue.sequential_area,
                          "cell_count": glue.cell_count,
                          "energy_pj": energy_components(glue_energy),
                          "idle_pj_per_cycle": glue_idle_pj},
                 "marginal_operations": more_ops, "marginal_cycles": more_cycles,
                 "library_path": str(lib_path), "wire_load": wire_load})
    if db is not None:
        db.put(record)
    return record
