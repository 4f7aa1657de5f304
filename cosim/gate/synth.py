"""Synthesize generated Verilog with Yosys (pyosys) to a standard-cell library.

The script (see :func:`script`) is the one ``../shared/tech/README.md`` verified::

    read_verilog; synth -top T -flatten; dfflibmap -liberty L; abc -liberty L; opt_clean

with the library's low-power isolation cells (``*__lpflow_*``) excluded from both mapping
steps (:data:`DONT_USE`), as open sky130 flows do. Then the netlist's nets are split into
bits and renamed ``n<k>`` (cells ``u<k>``) so that toggle counts from simulation can be
matched to the cell pins that drive and load them (:mod:`tilewright.cosim.gate.sim`).
The simulatable netlist inlines the cells' behavioural models into one flat module and
hides the models' pin aliases (``u12.A``), so that Verilator compiles a 45,000-cell design
in minutes rather than an hour and covers the toggles of the ``n<k>`` nets only.

Yosys runs in a child Python process: its global state and log stay out of the caller,
runs can proceed in parallel, and a crash is reported rather than fatal. Results: area
(µm², from ``stat -liberty``), cell counts by type, leakage (sum of the mapped cells'
``cell_leakage_power``, in the library's leakage unit), the JSON netlist and a
simulatable Verilog netlist with the cells' behavioural models (``read_liberty
-ignore_miss_func``). Yosys' generic gates (no library, no area or leakage) only when
``generic=True``.
"""

import hashlib
import json
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tilewright.cosim.gate.liberty import LibertyError, default_liberty, load_liberty
from tilewright.files import write_atomically

__all__ = ["SynthResult", "SynthesisError", "synthesize", "script", "DONT_USE",
           "module_sources", "without_blackboxes"]

#: Cell name patterns never mapped to (sky130 low-power isolation / retention cells).
DONT_USE = ("*__lpflow_*",)


#: A module of Amaranth's Verilog with the attribute lines before it; group 1 its name.
_MODULE = re.compile(r"^(?:\(\*[^\n]*\*\)\n)*module (\\\S+ |\w+)\s*\(.*?^endmodule\n",
                     re.MULTILINE | re.DOTALL)


def module_sources(verilog, names):
    """The text of the modules ``names`` of ``verilog`` (names as Yosys reports them,
    without an escaped name's backslash) and of every module below them, in file order:
    the RTL to simulate beside a netlist in which they are black boxes."""
    modules = {m.group(1).strip().lstrip("\\"): m.group(0) for m in _MODULE.finditer(verilog)}
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        todo += [n for n in modules if n not in found and
                 re.search(rf"^\s+\\?{re.escape(n)} ", modules[name], re.MULTILINE)]
    return "".join(text for name, text in modules.items() if name in found)


def without_blackboxes(netlist, library):
    """``netlist`` (Yosys JSON) without its cells that are not ``library``'s: the black
    boxes, whose energy and timing are not the netlist's."""
    return {**netlist, "cells": {k: c for k, c in netlist["cells"].items()
                                 if c["type"] in library.cells}}


class SynthesisError(RuntimeError):
    """Yosys failed; the message carries the tail of its log."""


@dataclass(frozen=True)
class SynthResult:
    """What synthesis measured.

    ``area`` in µm² and ``leakage`` in the library's leakage unit (nW for sky130) are
    ``None`` for generic gates. ``cells`` maps cell type to count. ``netlist`` is the
    Yosys JSON netlist of the top module (split, renamed nets); ``gate_verilog`` is that
    netlist plus behavioural models of the cells it uses (``None`` for generic gates, or
    when not asked for).
    """

    top: str
    area: float
    sequential_area: float
    leakage: float
    cells: dict
    netlist: dict
    gate_verilog: str
    library: str
    library_path: str
    library_sha256: str
    yosys: str
    blackbox_cells: dict = None


    @property
    def cell_count(self):
        return sum(self.cells.values())


def script(top, liberty=None, dont_use=DONT_USE, blackboxes=(), gate_verilog=True):
    """The Yosys commands, one per line; ``liberty=None`` means generic gates;
    ``blackboxes``: module-name patterns emptied before synthesis (their instances stay
    as cells of the netlist, their contents are not synthesized); ``gate_verilog``: also
    write the simulatable netlist (the whole library's cell models read, the design
    flattened into them: 19 to 27 s of a 45,000-cell MAC lane's 88 s synthesis)."""
    cmds = ["read_verilog -sv design.v", *(f"blackbox {p}" for p in blackboxes),
            f"synth -top {top} -flatten", "delete t:$scopeinfo"]
    if liberty is not None:
        avoid = " ".join(f"-dont_use {p}" for p in dont_use)
        cmds += [f"dfflibmap {avoid} -liberty {liberty}",
                 f"abc {avoid} -liberty {liberty}"]
    cmds += ["opt_clean", "splitnets",
             "rename -hide w:* i:* o:* %u %d",
             "rename -enumerate -pattern n% w:*",
             "rename -enumerate -pattern u% c:*",
             "opt_clean",
             f"tee -q -o stat.json stat -json{f' -liberty {liberty}' if liberty else ''}",
             "write_json netlist.json"]
    if liberty is not None and gate_verilog:
        cmds += [f"read_liberty -ignore_miss_func {liberty}", f"hierarchy -top {top}",
                 "flatten", f"hierarchy -top {top}", "rename -hide w:*.*", "opt_clean",
                 "write_verilog -noattr gate.v"]
    return cmds


_WORKER = """
import sys
from pyosys import libyosys as ys
design = ys.Design()
for line in open(sys.argv[1]).read().splitlines():
    ys.run_pass(line, design)
print("TILEWRIGHT-YOSYS-VERSION", ys.yosys_maybe_version() if hasattr(ys, "yosys_maybe_version") else "")
"""


def _cache_file(verilog, top, lib, generic, dont_use, blackboxes, gate_verilog):
    from importlib.metadata import version

    from tilewright.cosim.runner import cache_root
    blob = json.dumps([verilog, top, lib.sha256 if lib else None, generic, list(dont_use),
                       script(top, "L" if lib else None, dont_use, blackboxes, gate_verilog),
                       version("pyosys")])
    key = hashlib.sha256(blob.encode()).hexdigest()[:24]
    return cache_root().parent / "synth" / f"{key}.pickle"


def synthesize(verilog, top, *, liberty=None, generic=False, dont_use=DONT_USE, blackboxes=(),
               gate_verilog=True, cache=True):
    """Synthesize Verilog ``verilog`` (text) with top module ``top``.

    ``liberty``: path of a ``.lib``/``.lib.gz`` (default: the shipped sky130 library);
    ``generic=True`` maps to Yosys' internal gates instead (no area, no leakage).
    ``blackboxes``: module-name patterns left unsynthesized (:func:`script`).
    ``gate_verilog=False`` skips the simulatable netlist (:attr:`SynthResult.gate_verilog`
    is then ``None``): what only the native gate-level evaluator reads needs none.
    Results are cached by content (Verilog, library hash, script, pyosys version) unless
    ``cache=False``.
    """
    lib = None
    if not generic:
        lib = load_liberty(liberty if liberty is not None else default_liberty())
    cached = _cache_file(verilog, top, lib, generic, dont_use, blackboxes, gate_verilog)
    if cache and cached.exists():
        try:
            with open(cached, "rb") as f:
                return pickle.load(f)
        except Exception:
            pass
    result = _synthesize(verilog, top, lib, dont_use, blackboxes, gate_verilog)
    if cache:
        write_atomically(cached, lambda tmp: tmp.write_bytes(
            pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))
    return result


def _synthesize(verilog, top, lib, dont_use, blackboxes, gate_verilog):
    with tempfile.TemporaryDirectory(prefix="tilewright-synth-") as work:
        work = Path(work)
        (work / "design.v").write_text(verilog)
        lib_arg = None
        if lib is not None:
            lib_file = work / "cells.lib"          # plain text: every Yosys pass reads it
            from tilewright.cosim.gate.liberty import read_text
            lib_file.write_bytes(read_text(lib.path))
            lib_arg = str(lib_file)
        commands = script(top, lib_arg, dont_use, blackboxes, gate_verilog)
        (work / "script.ys").write_text("\n".join(commands) + "\n")
        proc = subprocess.run([sys.executable, "-c", _WORKER, "script.ys"], cwd=work,
                              capture_output=True, text=True)
        log = proc.stdout + proc.stderr
        if proc.returncode != 0 or "TILEWRIGHT-YOSYS-VERSION" not in proc.stdout:
            tail = "\n".join(log.splitlines()[-25:])
            raise SynthesisError(f"yosys failed on {top} (exit {proc.returncode}):\n{tail}")
        version = log.split("TILEWRIGHT-YOSYS-VERSION", 1)[1].strip().splitlines()[0]
        stat = json.loads((work / "stat.json").read_text())
        modules = json.loads((work / "netlist.json").read_text())["modules"]
        netlist = modules[top]
        gate = (work / "gate.v").read_text() if lib is not None and gate_verilog else None
    module = stat["modules"].get(f"\\{top}") or stat["modules"][top]
    boxed = {name for name, mod in modules.items()
             if int(mod.get("attributes", {}).get("blackbox", 0) or 0)}
    cells, boxes = {}, {}
    for name, n in sorted(module["num_cells_by_type"].items()):
        if name.lstrip("\\") in boxed:
            boxes[name.lstrip("\\")] = n
        else:
            cells[name] = n
    area = seq_area = leakage = None
    if lib is not None:
        area, seq_area = float(module["area"]), float(module.get("sequential_area", 0.0))
        missing = sorted(c for c in cells if c not in lib.cells)
        if missing:
            raise LibertyError(f"mapped cells missing from {lib.name}: {', '.join(missing)}")
        leakage = sum(lib.cells[c].leakage * n for c, n in cells.items())
    return SynthResult(top, area, seq_area, leakage, cells, netlist, gate,
                       lib.name if lib else "yosys-generic", lib.path if lib else None,
                       lib.sha256 if lib else None, version, boxes)
