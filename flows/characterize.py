"""Characterize a block: area, leakage, dynamic energy and cycles per operation,
measured on its generated RTL, into a cost record (DESIGN.md §4; the open-tool
counterpart of AccelTran §IV-A's Design Compiler figures).

1. Generate the Verilog (:func:`tilewright.flows.generate.generate`).
2. Synthesize it with pyosys to the standard-cell library (:mod:`tilewright.cosim.gate.synth`):
   area, cell counts, leakage.
3. Beside synthesis (both cores), run on the RTL, with toggle coverage: the block's
   stimulus test (``BLOCK.stimulus``) — cycles, latency and initiation interval as the
   testbench measured them, toggles per port —, the same test with its workload twice
   over (``TILEWRIGHT_STIMULUS_REPEATS=2``), and the block at rest
   (:mod:`tilewright.cosim.tb_idle`: inputs at 0, clock running) for two lengths. The
   testbenches' scoreboards check the RTL against the golden model.
4. Simulate the gate-level netlist on the same four runs (``gate_sim``):
   ``"native"`` (default) replays the ports the RTL runs traced on the netlist
   (:mod:`tilewright.cosim.gate.replay`), checking its outputs against the RTL's at every
   timestep; ``"verilator"`` runs the same testbenches, same seed, on the netlist built
   with Verilator (their scoreboards check it against the golden model). Both count the
   same toggles per net (``tests/test_gate_replay.py``), and the netlist's port toggles
   and reports must equal the RTL's.
5. Dynamic energy per operation is the difference of the energies of the workload twice
   over and once (:mod:`tilewright.cosim.gate.energy`, from the netlist's toggles) over
   the difference of their operations: the steady-state energy of an operation, with
   reset, pipeline fill and drain cancelled out.
6. The difference of the two idle runs' energies over the difference of their cycles is
   the idle energy per cycle of a block that is clocked but not gated.
7. The critical path of the mapped netlist (:mod:`tilewright.cosim.gate.timing`): the highest
   clock the block allows, beside the clock assumed for power.

A block with black-box modules (``(* blackbox *)``: the accelerator top's buffer, an SRAM
macro, AccelTran §III-B) is measured without them: synthesis leaves them out of area and
leakage, the netlist runs on Verilator with them as RTL
(:func:`~tilewright.cosim.gate.synth.module_sources`; the native replay cannot evaluate
them), and energy and timing count the library's cells only (a path through a black box
is not timed). Their costs come from a memory model.

Net loads, in energy and timing, are the input pins a net drives plus the wire
capacitance the library's wire-load model estimates from the net's fanout (``wire_load``),
as synthesis tools estimate wiring before layout.

The record's key hashes everything that decides the numbers, so a stored record is
returned instead of measuring again (``force=True`` re-measures).
"""

import dataclasses
import hashlib
import json
import shlex
import sys
from importlib.metadata import version
from pathlib import Path

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from tilewright.gen.catalogue import get_block
from tilewright.cosim.gate.energy import NOMINAL_SLEW_NS, dynamic_energy
from tilewright.cosim.gate.ports import GateMismatch, top_ports
from tilewright.cosim.gate.sim import Activity, simulate
from tilewright.cosim.gate.liberty import default_liberty, library_head, load_liberty
from tilewright.cosim.gate.synth import module_sources, synthesize, without_blackboxes
from tilewright.cosim.gate.timing import critical_path
from tilewright.cosim.runner import cache_root
from tilewright.cosim.toolchain import tool_versions
from tilewright.flows.costs.store import (DEFAULT_CLOCK_MHZ, DEFAULT_WIRE_LOAD, METHOD_VERSION,
                                          CostRecord, cost_key, open_db)
from tilewright.flows.generate import generate
from tilewright.files import write_atomically

__all__ = ["characterize", "characterize_into", "replay_command", "GateMismatch",
           "GATE_SIMULATORS", "DEFAULT_SEED", "IDLE_CYCLES", "LIBRARY_NODES", "record_key",
           "stimulus_runs", "energy_components", "library_node"]

DEFAULT_SEED = 1               # fixed: the same inputs give the same numbers
#: The two lengths (cycles after reset) of the idle runs; their difference is charged.
IDLE_CYCLES = (32, 160)
#: Technology node (nm) of known libraries, by library-name prefix.
LIBRARY_NODES = {"sky130": 130}


def library_node(library_name):
    """The technology node (nm) of a library by its name, or ``None``."""
    for prefix, node in LIBRARY_NODES.items():
        if library_name.startswith(prefix):
            return node
    return None


# In-process memos, so that a lookup served from the database costs milliseconds: the
# Verilog of a block's parameters (generated once per process) and the package version
# (the library is kept by load_liberty; its head, read by library_head, in a small file;
# the Verilog's digest by _verilog_digest).
@lru_cache(maxsize=256)
def _generated(block_name, params_json):
    return generate(block_name, json.loads(params_json), errors=False)


@lru_cache(maxsize=1)
def _version():
    return version("tilewright")


@lru_cache(maxsize=1)
def _generator_sources():
    """sha256 of the generators' sources: the ``gen`` package and the core package, the
    only ones a generator may import (``tests/test_layers.py``); with the tools' versions
    they decide the Verilog."""
    import tilewright
    import tilewright.gen
    digest = hashlib.sha256()
    for root in (Path(tilewright.__file__).parent, Path(tilewright.gen.__file__).parent):
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{path.relative_to(root)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _verilog_digest(block_name, params_json, tools):
    """The first 12 hex digits of the sha256 of the block's Verilog, which the record's
    key holds: computed by elaborating once, then read back from a file keyed by the
    generators' sources, the tools' versions and Python's, so that a lookup served from
    the database elaborates nothing (a changed generator changes the file's key)."""
    memo = json.dumps([block_name, params_json, _generator_sources(), tools, sys.version])
    path = (cache_root().parent / "verilog-digests" /
            hashlib.sha256(memo.encode()).hexdigest()[:32])
    try:
        return path.read_text()
    except OSError:
        pass
    digest = hashlib.sha256(_generated(block_name, params_json).verilog.encode()).hexdigest()
    write_atomically(path, lambda tmp: tmp.write_text(digest[:12]))
    return digest[:12]


def energy_components(energy):
    """An :class:`EnergyReport`'s components (pJ) as a dict."""
    return {"internal": energy.internal_pj, "switching": energy.switching_pj,
            "input_pins": energy.input_pin_pj, "clock": energy.clock_pj,
            "total": energy.total_pj}


def record_key(block_name, params_json, head, wires, *, clock_mhz, seed, stimulus, test,
               **method):
    """``(key, context, tools, generator_version)`` of the record of ``block_name`` with
    resolved parameters ``params_json`` (sorted JSON) measured with the library whose
    :func:`~tilewright.cosim.gate.liberty.library_head` is ``head`` and wire-load model
    ``wires`` (or ``None``) at ``clock_mhz`` on ``test``'s ``stimulus`` with ``seed``;
    ``method`` names how it is measured. Elaborates nothing when the Verilog's digest is
    known (:func:`_verilog_digest`)."""
    tools = {**tool_versions(), "tilewright": _version()}
    generator_version = f"{_version()}+{_verilog_digest(block_name, params_json, tools)}"
    context = {**method, "library": head.sha256, "clock_mhz": float(clock_mhz),
               "seed": seed, "stimulus": stimulus, "test": test, "slew_ns": NOMINAL_SLEW_NS,
               "idle": IDLE_CYCLES,
               "wire_load": None if wires is None else dataclasses.asdict(wires)}
    key = cost_key(block_name, json.loads(params_json), generator_version, tools, context)
    return key, context, tools, generator_version


def _ports(netlist):
    return {name: len(p["bits"]) for name, p in netlist["ports"].items()}


def characterize(block_name, given=None, *, liberty=None, db=None,
                 clock_mhz=DEFAULT_CLOCK_MHZ, seed=DEFAULT_SEED, stimulus="random",
                 wire_load=DEFAULT_WIRE_LOAD, force=False, on_stage=None, gate_sim="native"):
    """The :class:`~tilewright.flows.costs.CostRecord` of ``block_name`` with ``given``
    parameters; stored into and reused from ``db`` (a :class:`CostDB`) when given.
    ``wire_load`` names the library's wire-load model for net capacitance in energy and
    timing: ``"default"`` (the library's ``default_wire_load``), a model's name, or
    ``"none"`` (pin loads only). ``on_stage(name)``, when given, is called as each
    measurement stage starts. ``gate_sim``: how the netlist is simulated, one of
    :data:`GATE_SIMULATORS` (the figures are the same either way)."""
    if gate_sim not in GATE_SIMULATORS:
        raise ValueError(f"gate_sim must be one of {', '.join(map(repr, GATE_SIMULATORS))}, "
                         f"not {gate_sim!r}")
    stage = on_stage or (lambda name: None)
    block = get_block(block_name)
    if block.testbench is None or block.stimulus is None:
        raise ValueError(f"block {block_name!r} has no stimulus test to characterize with")
    params_json = json.dumps(block.resolve(given), sort_keys=True)
    lib_path = liberty if liberty is not None else default_liberty()
    head, _ = library_head(lib_path)        # the whole library only when measuring
    wires = head.wire_load(wire_load)
    key, context, tools, generator_version = record_key(
        block_name, params_json, head, wires, clock_mhz=clock_mhz, seed=seed,
        stimulus=stimulus, test=block.stimulus, method=METHOD_VERSION)
    if db is not None and not force:
        found = db.get(key)
        if found is not None:
            return found

    item = _generated(block_name, params_json)
    library = load_liberty(lib_path)
    declared = top_ports(item.verilog, item.instance)
    native = gate_sim == "native" and "(* blackbox *)" not in item.verilog
    stage("synthesis beside RTL simulation")
    with ThreadPoolExecutor(max_workers=3) as pool:      # independent: use both cores
        synthesized = pool.submit(synthesize, item.verilog, item.instance, liberty=lib_path,
                                  gate_verilog=not native)
        if native:
            rtl_runs = stimulus_runs(pool, block_name, item.params, item.verilog,
                                     item.instance, block, seed, stimulus, declared,
                                     trace=True)
        else:
            rtl_runs = [simulate(block_name, item.params, item.verilog, item.instance,
                                 block.testbench, block.stimulus, seed=seed,
                                 stimulus=stimulus, build_args=block.verilator_args)]
        synth = synthesized.result()
        rtl, ports = rtl_runs[0], _ports(synth.netlist)
        if "stimulus" not in rtl.report:
            raise ValueError(f"{block_name}: test {block.stimulus!r} recorded no 'stimulus' "
                             f"report")
        stage(f"gate-level simulation ({'native' if native else 'verilator'})")
        if native:
            gate, twice, *idle = _native_runs(synth.netlist, library, rtl_runs)
        else:
            gate, twice, *idle = stimulus_runs(
                pool, f"{block_name}-gate", item.params,
                synth.gate_verilog + module_sources(item.verilog, synth.blackbox_cells or ()),
                item.instance, block, seed, stimulus, declared, public=tuple(ports))
    netlist = without_blackboxes(synth.netlist, library)
    stage("static timing")
    timing = critical_path(netlist, library, item.verilog, wire_load=wires)
    rtl_ports, gate_ports = rtl.port_toggles(ports), gate.port_toggles(ports)
    if gate.report != rtl.report or gate_ports != rtl_ports:
        diff = sorted(p for p in ports if gate_ports[p] != rtl_ports[p])
        raise GateMismatch(f"{block_name}: gate-level netlist differs from the RTL on "
                           f"{block.stimulus} (seed {seed}); ports {diff}, reports "
                           f"{gate.report} vs {rtl.report}")
    stim = rtl.report["stimulus"]
    if "unit" not in stim:
        raise ValueError(f"{block_name}: test {block.stimulus!r} recorded no operation unit "
                         f"(write its report with tilewright.cosim.bench.Stimulus)")
    ops = stim["operations"]
    more_ops = twice.report["stimulus"]["operations"] - ops
    if more_ops <= 0:
        raise ValueError(f"{block_name}: test {block.stimulus!r} does not scale its "
                         f"operations with TILEWRIGHT_STIMULUS_REPEATS")

    def energy_of(activity):
        return dynamic_energy(netlist, library, activity.toggles, activity.clock_cycles,
                              wire_load=wires)
    once = energy_of(gate)
    energy = energy_of(twice) - once
    idle_energy = energy_of(idle[1]) - energy_of(idle[0])
    record = CostRecord(
        key=key, block=block_name, params=item.params, generator_version=generator_version,
        area_um2=synth.area, leakage_mw=synth.leakage * 1e-6,   # nW -> mW
        energy_per_op_pj=energy.total_pj / more_ops,
        operation=stim["operation"], unit=stim["unit"], unit_shape=tuple(stim["unit_shape"]),
        context={**context, "technology": library.name, "library_path": str(lib_path),
                 "wire_load_model": wire_load},
        operations=ops, cycles=stim["cycles"], latency_cycles=stim["latency"],
        initiation_interval=stim["initiation_interval"], clock_mhz=float(clock_mhz),
        technology=library.name, node_nm=library_node(library.name),
        tools={**tools, "yosys": synth.yosys}, stimulus={**stim, "kind": stimulus,
                                                         "seed": seed, "test": block.stimulus},
        fmax_mhz=timing.fmax_mhz, cells=synth.cells,
        idle_pj_per_cycle=idle_energy.total_pj / idle_energy.clock_cycles,
        details={"sequential_area_um2": synth.sequential_area, "cell_count": synth.cell_count,
                 "library_path": str(lib_path), "slew_ns": NOMINAL_SLEW_NS,
                 "wire_load": context["wire_load"],
                 "energy_pj": energy_components(energy),
                 "energy_by_cell_type_pj": energy.by_cell_type,
                 "marginal_operations": more_ops, "marginal_cycles": energy.clock_cycles,
                 "idle": {"cycles": idle_energy.clock_cycles, "toggles": idle_energy.toggles,
                          "energy_pj": energy_components(idle_energy)},
                 "run_energy_pj": {"operations": [ops, ops + more_ops],
                                   "clock_cycles": [gate.clock_cycles, twice.clock_cycles],
                                   "total": [once.total_pj, once.total_pj + energy.total_pj]},
                 "timing": {"period_ns": timing.period_ns, "setup_ns": timing.setup_ns,
                            "start": timing.start, "end": timing.end,
                            "logic_depth": timing.logic_depth,
                            "path": [list(step) for step in timing.path]},
                 "gate_toggles": once.toggles, "clock_cycles": gate.clock_cycles,
                 "rtl_port_toggles": rtl_ports, "gate_checked": True,
                 "gate_sim": "native" if native else "verilator",
                 "blackboxes": synth.blackbox_cells or {}})
    if db is not None:
        db.put(record)
    return record


#: How the netlist is simulated: the native evaluator replaying the RTL runs' ports
#: (:mod:`tilewright.cosim.gate.replay`), or Verilator running the testbenches on it.
GATE_SIMULATORS = ("native", "verilator")


def stimulus_runs(pool, label, params, verilog, toplevel, block, seed, stimulus, ports, *,
                  public=None, trace=False):
    """The four runs characterization measures on ``verilog``, on ``pool`` (an
    executor; the first run builds, the others wait for the build): the stimulus test
    once and twice over, then at rest for each of :data:`IDLE_CYCLES`; with ``trace``,
    each records its ports' values per timestep."""
    widths = {name: width for name, (_, width) in ports.items()} if trace else None
    inputs = ",".join(n for n, (direction, _) in ports.items() if direction == "input")

    def one(repeats, testbench=block.testbench, testcase=block.stimulus, env=None):
        return pool.submit(simulate, label, params, verilog, toplevel, testbench, testcase,
                           seed=seed, stimulus=stimulus, repeats=repeats, public=public,
                           env=env, trace=widths, build_args=block.verilator_args)
    runs = [one(1), one(2), *(one(1, "tilewright.cosim.tb_idle", "idle",
                                  {"TILEWRIGHT_IDLE_INPUTS": inputs,
                                   "TILEWRIGHT_IDLE_CYCLES": str(n)})
                              for n in IDLE_CYCLES)]
    return [run.result() for run in runs]


def _native_runs(netlist, library, rtl_runs):
    """The netlist's activity in each RTL run, replayed natively (its outputs checked
    against the RTL's at every timestep); reports and cycles are the RTL runs'."""
    from tilewright.cosim.gate.replay import replay      # numpy: only to measure
    toggles = replay(netlist, library, [r.ports for r in rtl_runs])
    return [Activity(t, r.report, r.clock_cycles) for t, r in zip(toggles, rtl_runs)]


def characterize_into(db_url, block_name, given, options):
    """:func:`characterize` as an executor task: the worker opens the cost database at
    ``db_url`` itself (each record is one transaction, so workers share it safely);
    ``options`` are :func:`characterize`'s keywords."""
    with open_db(db_url) as db:
        return characterize(block_name, given, db=db, **options)


def replay_command(block_name, params, db_url, options):
    """The ``tilewright characterize`` command line that measures this one block again
    (``options``: :func:`characterize`'s keywords as the command spells them)."""
    args = ["tilewright", "characterize", block_name,
            *get_block(block_name).param_args(params), "--db", str(db_url)]
    for name, value in options.items():
        if value is True:
            args.append(f"--{name.replace('_', '-')}")
        elif value is not None and value is not False:
            args += [f"--{name.replace('_', '-')}", str(value)]
    return shlex.join(args)
