"""Compositional characterization: the cost record of a composite too big to measure flat
(PIVOT's 64×36 array is about a million cells), from its characterized parts plus its own
glue logic (issue 16; AccelTran §III-B builds its PEs from such blocks).

The composite's part instances fall into a few distinct configurations (the array's
cells differ by row: :mod:`tilewright.gen.systolic_cell`); each configuration ``i`` is
characterized once (:func:`tilewright.flows.characterize.characterize`) and counted
``N_i`` times:

- area and leakage: ``Σ N_i`` × the part's record plus the glue's synthesis, with the
  parts' modules black-boxed (:func:`tilewright.cosim.gate.synth.synthesize`
  ``blackboxes``);
- energy: the composite's stimulus test runs on the glue's gate-level netlist with the
  parts as RTL (its scoreboard checks that composition against the golden model). The
  glue's energy comes from its netlist's toggles (:mod:`tilewright.cosim.gate.energy`),
  once and twice over, as for a flat record. Each configuration is charged its energy
  per operation for every cycle its instances worked (:attr:`Composite.busy`, from the
  test's report: their operations, and cycles that switch the part like one, such as a
  PE passing a partial sum down) and its idle energy per cycle for every other
  instance-cycle: ``E = Σ_i (busy_i·e_op,i + (N_i·cycles − busy_i)·e_idle,i) + E_glue``,
  all marginal (twice minus once), over the marginal operations;
- idle energy per cycle: ``Σ N_i`` × the part's plus the glue's at rest;
- cycles, latency and initiation interval: the composite's own test, as measured;
- fmax: not timed (the parts' is in the details).

The energy per busy cycle is the part's energy per operation over its initiation
interval (its operations per cycle at full rate: M multiply-accumulates for a MAC lane,
one vector per ``V`` cycles for a softmax or layer-norm unit); the operations of the
parts whose unit is the composite's must account for all of the composite's.

Composites (:data:`COMPOSITES`):

- ``systolic`` (``ws``/``is``; parts: ``systolic-cell``, one per PE, one configuration
  per distinct partial-sum width; glue: the operand skew, result de-skew, valid chain
  and load/stream control);
- ``pe`` and ``top`` (AccelTran §III-B, Fig. 5; :meth:`tilewright.gen.pe.Pe.parts`):
  parts ``mac-lane`` and ``gelu`` per lane, ``softmax`` per softmax unit, ``layer-norm``
  and ``dynatran`` per PE; glue: the sequencers, instruction decode, FENCE logic, and
  the top's control and DMA. The top's buffer is a black box in the flat record and the
  composed one alike (an SRAM macro, costed by a memory model). The PE has no testbench
  of its own: its area and leakage compose (:func:`composed_area`), its energy within
  the top's.
"""

import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from tilewright.cosim.gate.energy import dynamic_energy
from tilewright.cosim.gate.liberty import default_liberty, library_head, load_liberty
from tilewright.cosim.gate.ports import top_ports
from tilewright.cosim.gate.synth import module_sources, synthesize, without_blackboxes
from tilewright.flows.characterize import (DEFAULT_SEED, characterize, energy_components,
                                           library_node, record_key, stimulus_runs)
from tilewright.flows.costs.store import (DEFAULT_CLOCK_MHZ, DEFAULT_WIRE_LOAD, METHOD_VERSION,
                                          CostRecord)
from tilewright.flows.generate import generate
from tilewright.gen.catalogue import get_block
from tilewright.gen.pe import PE_PARAMS, Pe
from tilewright.gen.systolic import SystolicArray
from tilewright.gen.systolic_cell import row_cell_params

__all__ = ["Composite", "Part", "COMPOSITES", "compose", "composed_area", "check_stimulus",
           "COMPOSE_VERSION"]

#: Bumped when how a composed record is computed changes.
COMPOSE_VERSION = 2


@dataclass(frozen=True)
class Part:
    """One part instance: its block, parameters and module name in the composite's
    Verilog (black-boxed for the glue)."""

    block: str
    params: dict
    module: str


@dataclass(frozen=True)
class Composite:
    """How to split a block into parts.

    Attributes
    ----------
    part : the parts' block name; ``None`` when ``instances`` gives each instance's
        block and module (:class:`Part`, the module named without the composite's
        ``<top>__`` prefix, :mod:`tilewright.gen.hierarchy`).
    instances : ``params -> {instance name: part parameters}``, every part instance of
        the composite with resolved parameters ``params`` (or ``{instance name: Part}``);
        raises ``ValueError`` naming the field when that configuration has no such
        split.
    busy : ``(params, report) -> {instance name: cycles}``, the cycles each instance
        worked in a run of the composite's stimulus test whose report is ``report``:
        its operations and the cycles that switch it like one (they sum to at least the
        run's operations); ``None`` for a block without a stimulus test (area and
        leakage only).
    pattern : the instances' module-name pattern under the composite's top module
        (``None``: their modules' names).
    """

    part: str
    instances: Callable
    busy: Callable
    pattern: str

    def split(self, params, top):
        """``{instance name: Part}`` of the composite with resolved parameters ``params``
        and top module ``top``."""
        found = self.instances(params)
        if self.part is None:
            return {name: Part(p.block, p.params, f"{top}__{p.module}")
                    for name, p in found.items()}
        return {name: Part(self.part, p, f"{top}.{name}") for name, p in found.items()}

    def blackboxes(self, top, split):
        """Yosys ``blackbox`` patterns of the parts of ``split``."""
        if self.pattern is not None:
            return (f"{top}.{self.pattern}",)
        return tuple(sorted({p.module for p in split.values()}))


def _systolic_cells(params):
    if params["dataflow"] == "os":
        raise ValueError("dataflow must be 'ws' or 'is' to compose the systolic array from "
                         "systolic-cell parts, not 'os'")
    numerics = {k: params[k] for k in ("il", "fl", "acc_width", "overflow")}
    return {f"pe_{r}_{c}": row_cell_params(r, **numerics)
            for r in range(params["rows"]) for c in range(params["cols"])}


def _systolic_busy(params, report):
    """The cycles every PE works in the run's GEMM (``gemm_throughput``): a fold of T
    beats using ``ru × cu`` PEs gives each of them T multiply-accumulates, and each PE of
    those ``cu`` columns below row ``ru`` T cycles passing the column's partial sums down
    (its operand is zero, but its adder and partial-sum register switch every beat as
    they do in a multiply-accumulate)."""
    rows, cols, flow = params["rows"], params["cols"], params["dataflow"]
    gemm = report["gemm_throughput"]
    m, k, n = gemm["m"], gemm["k"], gemm["n"]
    _, _, t = SystolicArray.mapping(m, k, n, flow)
    macs = dict.fromkeys((f"pe_{r}_{c}" for r in range(rows) for c in range(cols)), 0)
    for _, cu in SystolicArray.fold_usage(rows, cols, m, k, n, flow):
        for r in range(rows):
            for c in range(cu):
                macs[f"pe_{r}_{c}"] += t
    return macs


def _pe_parts(params):
    pe = {p.name: params[p.name] for p in PE_PARAMS}
    return {name: Part(*part) for name, part in Pe.parts(**pe).items()}


def _top_parts(params):
    return {f"pe{k}.{name}": part for k in range(params["pes"])
            for name, part in _pe_parts(params).items()}


def _unit_busy(params, report):
    """The cycles every part of the top works in its ``stimulus`` run, from the cycles
    each unit streamed (``units``, :func:`tilewright.cosim.top_programs.unit_work`): a
    lane's MAC lane its beats, its GeLU unit one cycle per result, the vector units and
    the DynaTran module their streaming cycles."""
    units = report["units"]
    busy = {}
    for name in _top_parts(params):
        unit, part = name.rsplit(".", 1)
        busy[name] = units.get(unit, {}).get("results" if part == "gelu" else "cycles", 0)
    return busy


COMPOSITES = {"systolic": Composite("systolic-cell", _systolic_cells, _systolic_busy,
                                    "pe_*"),
              "pe": Composite(None, _pe_parts, None, None),
              "top": Composite(None, _top_parts, _unit_busy, None)}


def _part_modules(verilog, top, pattern):
    """The Verilog modules of ``verilog`` named ``top.<pattern>`` (the parts' RTL)."""
    name = re.escape(f"{top}.") + re.escape(pattern).replace(r"\*", r"\S*")
    found = re.findall(rf"^module \\{name} .*?^endmodule\n", verilog, re.M | re.S)
    return "".join(found)


def _parts(block_name, given, *, db, force, gate_sim, options, stage):
    """``(params_json, instances, parts)``: the composite's resolved parameters (sorted
    JSON), its part instances (``{name: Part}``), and ``[(record, instance names)]`` per
    distinct part configuration (characterized, or read from ``db``)."""
    if block_name not in COMPOSITES:
        raise ValueError(f"block must be one of {', '.join(map(repr, COMPOSITES))} to "
                         f"compose, not {block_name!r}")
    spec, block = COMPOSITES[block_name], get_block(block_name)
    params_json = json.dumps(block.resolve(given), sort_keys=True)
    instances = spec.split(json.loads(params_json), block.toplevel)
    configs = {}                    # distinct part blocks and parameters -> their instances
    for name, part in instances.items():
        configs.setdefault(json.dumps([part.block, part.params], sort_keys=True),
                           []).append(name)
    parts = []
    for i, (config, names) in enumerate(configs.items()):
        part_block, part_params = json.loads(config)
        stage(f"part {part_block} {i + 1}/{len(configs)}")
        parts.append((characterize(part_block, part_params, db=db, force=force,
                                   gate_sim=gate_sim, **options), names))
    return params_json, instances, parts


def _glue(block_name, params_json, instances, lib_path):
    """``(item, glue)``: the composite's Verilog and its synthesis with the part
    instances black-boxed (checked to be exactly ``instances``, beside the composite's
    own black boxes, such as the top's buffer)."""
    spec = COMPOSITES[block_name]
    item = generate(block_name, json.loads(params_json), errors=False)
    glue = synthesize(item.verilog, item.instance, liberty=lib_path,
                      blackboxes=spec.blackboxes(item.instance, instances))
    boxed = {m: n for m, n in glue.blackbox_cells.items()
             if f"(* blackbox *)\nmodule {m}(" not in item.verilog}
    if boxed != Counter(part.module for part in instances.values()):
        raise ValueError(f"{block_name}: the glue's black boxes {boxed} are not the "
                         f"part instances {sorted(instances)}")
    return item, glue


def _area_leakage(parts, glue):
    """Composite area (µm²) and leakage (mW): the parts' records times their counts plus
    the glue's synthesis."""
    return (sum(len(names) * part.area_um2 for part, names in parts) + glue.area,
            sum(len(names) * part.leakage_mw for part, names in parts) + glue.leakage * 1e-6)


def _part_details(parts):
    return [{"block": part.block, "params": part.params, "key": part.key, "count": len(names),
             "area_um2": part.area_um2, "leakage_mw": part.leakage_mw,
             "energy_per_op_pj": part.energy_per_op_pj,
             "idle_pj_per_cycle": part.idle_pj_per_cycle, "fmax_mhz": part.fmax_mhz}
            for part, names in parts]


def _glue_details(glue):
    return {"area_um2": glue.area, "leakage_mw": glue.leakage * 1e-6,
            "sequential_area_um2": glue.sequential_area, "cell_count": glue.cell_count}


def composed_area(block_name, given=None, *, db=None, liberty=None, force=False,
                  on_stage=None, gate_sim="native", **options):
    """Area and leakage of ``block_name`` composed, without its energy (whose glue run
    may be too slow on a large composite): ``{"area_um2", "leakage_mw", "parts",
    "glue"}``; keywords as for :func:`compose`."""
    stage = on_stage or (lambda name: None)
    params_json, instances, parts = _parts(
        block_name, given, db=db, force=force, gate_sim=gate_sim,
        options={"liberty": liberty, **options}, stage=stage)
    stage("glue synthesis")
    lib_path = liberty if liberty is not None else default_liberty()
    _, glue = _glue(block_name, params_json, instances, lib_path)
    area, leakage = _area_leakage(parts, glue)
    return {"area_um2": area, "leakage_mw": leakage,
            "parts": _part_details(parts),
            "glue": _glue_details(glue)}


def check_stimulus(block_name):
    """Raise ``ValueError`` unless composite ``block_name`` has a stimulus test to
    compose its energy with."""
    if get_block(block_name).stimulus is None:
        raise ValueError(f"block {block_name!r} has no stimulus test to compose its energy "
                         f"with (its area and leakage compose alone)")


def compose(block_name, given=None, *, db=None, liberty=None, clock_mhz=DEFAULT_CLOCK_MHZ,
            seed=DEFAULT_SEED, stimulus="random", wire_load=DEFAULT_WIRE_LOAD, force=False,
            on_stage=None, gate_sim="native"):
    """The composed :class:`~tilewright.flows.costs.CostRecord` of ``block_name`` (one of
    :data:`COMPOSITES`) with ``given`` parameters; keywords as for
    :func:`~tilewright.flows.characterize.characterize`, whose records of the distinct
    part configurations it uses (each measured first when ``db`` has none; ``gate_sim``
    is for the parts only: the glue runs on Verilator, since its netlist holds the parts
    as RTL). The record's ``details["composed"]`` is ``True``; its parts (one entry per
    configuration: parameters, key, count, operations, energy) and the glue's figures are
    in ``details``."""
    stage = on_stage or (lambda name: None)
    options = dict(liberty=liberty, clock_mhz=clock_mhz, seed=seed, stimulus=stimulus,
                   wire_load=wire_load)
    if block_name in COMPOSITES:
        check_stimulus(block_name)
    params_json, instances, parts = _parts(block_name, given, db=db, force=force,
                                           gate_sim=gate_sim, options=options, stage=stage)
    spec, block = COMPOSITES[block_name], get_block(block_name)
    lib_path = liberty if liberty is not None else default_liberty()
    head, _ = library_head(lib_path)
    wires = head.wire_load(wire_load)
    key, context, tools, generator_version = record_key(
        block_name, params_json, head, wires, clock_mhz=clock_mhz, seed=seed,
        stimulus=stimulus, test=block.stimulus, method=METHOD_VERSION,
        composed=COMPOSE_VERSION, parts=sorted(part.key for part, _ in parts))
    if db is not None and not force:
        found = db.get(key)
        if found is not None:
            return found

    stage("glue synthesis")
    item, glue = _glue(block_name, params_json, instances, lib_path)
    library = load_liberty(lib_path)
    sim_verilog = glue.gate_verilog + (
        _part_modules(item.verilog, item.instance, spec.pattern) if spec.pattern is not None
        else module_sources(item.verilog, glue.blackbox_cells))
    ports = {n: len(p["bits"]) for n, p in glue.netlist["ports"].items()}
    netlist = without_blackboxes(glue.netlist, library)

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
    busy_once = spec.busy(item.params, once.report)
    busy_twice = spec.busy(item.params, twice.report)

    def part_ops(busy):         # operations of the parts whose unit is the composite's
        return round(sum(busy[n] / part.initiation_interval for part, names in parts
                         if part.unit == stim["unit"] for n in names))
    if part_ops(busy_once) < ops or part_ops(busy_twice) < ops + more_ops:
        raise ValueError(f"{block_name}: the part instances worked fewer cycles than the "
                         f"test's {ops} and {ops + more_ops} operations")
    details, parts_pj = _part_details(parts), 0.0
    for (part, names), entry in zip(parts, details):
        busy = sum(busy_twice[n] - busy_once[n] for n in names)
        idle_cycles = len(names) * more_cycles - busy
        energy = (busy * part.energy_per_op_pj / part.initiation_interval
                  + idle_cycles * (part.idle_pj_per_cycle or 0.0))
        parts_pj += energy
        entry.update(busy_cycles=busy, idle_cycles=idle_cycles, energy_pj=energy)
    glue_idle = energy_of(idle[1]) - energy_of(idle[0])
    glue_idle_pj = glue_idle.total_pj / glue_idle.clock_cycles
    cells = dict(glue.cells)
    for part, names in parts:
        for t, n in part.cells.items():
            cells[t] = cells.get(t, 0) + n * len(names)
    area, leakage = _area_leakage(parts, glue)
    record = CostRecord(
        key=key, block=block_name, params=item.params, generator_version=generator_version,
        area_um2=area, leakage_mw=leakage,
        energy_per_op_pj=(parts_pj + glue_energy.total_pj) / more_ops,
        operation=stim["operation"], unit=stim["unit"], unit_shape=tuple(stim["unit_shape"]),
        context={**context, "technology": library.name, "library_path": str(lib_path),
                 "wire_load_model": wire_load},
        operations=ops, cycles=stim["cycles"],
        latency_cycles=stim["latency"], initiation_interval=stim["initiation_interval"],
        clock_mhz=float(clock_mhz), technology=library.name,
        node_nm=library_node(library.name),
        tools={**tools, "yosys": glue.yosys},
        stimulus={**stim, "kind": stimulus, "seed": seed, "test": block.stimulus},
        fmax_mhz=None, cells=dict(sorted(cells.items())),
        idle_pj_per_cycle=(sum(len(names) * (part.idle_pj_per_cycle or 0.0)
                               for part, names in parts) + glue_idle_pj),
        details={"composed": True, "parts": details,
                 "glue": {**_glue_details(glue),
                          "energy_pj": energy_components(glue_energy),
                          "idle_pj_per_cycle": glue_idle_pj},
                 "marginal_operations": more_ops, "marginal_cycles": more_cycles,
                 "library_path": str(lib_path), "wire_load": wire_load})
    if db is not None:
        db.put(record)
    return record
