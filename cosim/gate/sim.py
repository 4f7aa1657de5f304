"""Switching activity: run a block's stimulus test on Verilator with toggle coverage.

The same cocotb testbench runs on the RTL and on the mapped gate-level netlist (the
netlist keeps the RTL's ports, and :func:`tilewright.cosim.gate.synth.synthesize` writes the
cells' behavioural models from the Liberty file next to it), so the testbench's golden
scoreboard checks the netlist too. Verilator's ``--coverage-toggle`` counts, for every
bit of every signal, its 0→1 and 1→0 transitions; :func:`parse_coverage` turns
``coverage.dat`` into toggles per signal bit. The clock is not a toggle-coverage signal,
so the clock cycles simulated come from cocotb's simulated time.

Two limits of Verilator's toggle coverage are lifted, so that it counts what the native
evaluator (:mod:`tilewright.cosim.gate.native`) counts: signals wider than 256 bits are
covered (and traced) too (:func:`coverage_args`), and the counts of signals wider than 64
bits are corrected for the runtime's aliasing of their 32-bit words
(:func:`wide_toggle_aliasing`).
"""

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from tilewright.cosim.runner import run
from tilewright.cosim.toolchain import verilator_root

__all__ = ["Activity", "parse_coverage", "demangle", "simulate", "coverage_args",
           "wide_toggle_aliasing"]

#: Verilator's default ``--coverage-max-width`` and ``--trace-max-width`` (bits).
VERILATOR_MAX_WIDTH = 256

_FIELD = re.compile("\x01([a-z]+)\x02([^\x01]*)")
_VECTOR = re.compile(r"\[\s*(\d+)\s*:\s*(\d+)\s*\]")
_BIT = re.compile(r"^(.*)\[(\d+)\]$")


def demangle(name):
    """A Verilator C++ name back to the Verilog one (``o___05Fpayload`` → ``o__payload``;
    an escaped identifier's brackets come in lower case: ``q__05b5__05d`` → ``q[5]``)."""
    return re.sub(r"__0([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), name)


def coverage_args(verilog, trace=False):
    """Verilator options for toggle coverage of every signal of ``verilog`` (text), and
    with ``trace`` for tracing it: the widest vector it declares, when wider than
    Verilator's :data:`VERILATOR_MAX_WIDTH`, raises that limit (beyond it Verilator
    neither covers nor traces a signal, e.g. a 641-bit port of a 16-multiplier MAC lane).
    Unpacked arrays (RTL memories) wider in all stay uncovered, as before."""
    width = max([VERILATOR_MAX_WIDTH, *(abs(int(a) - int(b)) + 1
                                        for a, b in _VECTOR.findall(verilog))])
    args = ["--coverage-toggle", "--coverage-max-width", str(width)]
    return [*args, "--trace-max-width", str(width)] if trace else args


@lru_cache(maxsize=1)
def wide_toggle_aliasing():
    """Whether the installed Verilator runtime aliases the toggles of signals wider than
    64 bits. Its ``VL_COV_TOGGLE_CHG_ST_W`` (``verilated_cov.h``, so in the 5.048 wheel
    this project requires) runs the bit loop of 32-bit word ``i`` over the signal's
    remaining width, ``j < width - i * 32``, instead of the word's 32 bits, and shifts the
    word by ``j >= 32``, which x86 takes modulo 32: bit ``32 i + j`` also counts the
    changes of bit ``32 i + j % 32``. The count of bit ``b >= 32`` is then the sum of the
    true counts of bits ``b``, ``b - 32``, ..., ``b % 32``, which :func:`parse_coverage`
    undoes."""
    text = (verilator_root() / "include" / "verilated_cov.h").read_text(errors="replace")
    body = re.search(r"VL_COV_TOGGLE_CHG_ST_W\(.*?\n}", text, re.S)
    return body is not None and re.search(r"j\s*<\s*width\s*-\s*i\s*\*", body.group()) \
        is not None


def _unalias(toggles):
    """True counts of the bits of signals wider than 64 bits from aliased ones
    (:func:`wide_toggle_aliasing`): bit ``lo + k``, ``k >= 32``, less bit ``lo + k - 32``.
    Keys are Verilator's names: a bit index is a literal ``[n]`` suffix (an escaped
    identifier's brackets are mangled)."""
    signals = {}
    for name in toggles:
        m = _BIT.match(name)
        if m:
            signals.setdefault(m.group(1), []).append(int(m.group(2)))
    out = dict(toggles)
    for base, indices in signals.items():
        if len(indices) <= 64:
            continue
        lo = min(indices)
        for k in range(32, len(indices)):
            out[f"{base}[{lo + k}]"] = (toggles[f"{base}[{lo + k}]"]
                                        - toggles[f"{base}[{lo + k - 32}]"])
    return out


def parse_coverage(path, top, aliased=None):
    """Toggles per signal bit (``"n12"``, ``"o__payload[3]"``) of module ``top``, from a
    Verilator ``coverage.dat``: the sum of its 0→1 and 1→0 counts; those of signals wider
    than 64 bits corrected when ``aliased`` (by default :func:`wide_toggle_aliasing`)."""
    toggles = {}
    with open(path, errors="replace") as f:
        for line in f:
            if not line.startswith("C '"):
                continue
            text, _, count = line.rstrip("\n").rpartition("' ")
            fields = dict(_FIELD.findall(text[3:]))
            if fields.get("page") != f"v_toggle/{top}" or fields.get("h") != top:
                continue
            signal, _, edge = fields["o"].rpartition(":")
            if edge not in ("0->1", "1->0"):
                continue
            toggles[signal] = toggles.get(signal, 0) + int(count)
    if wide_toggle_aliasing() if aliased is None else aliased:
        toggles = _unalias(toggles)
    return {demangle(name): t for name, t in toggles.items()}


@dataclass(frozen=True)
class Activity:
    """Toggles per signal bit, the testbench's report and the clock cycles simulated;
    ``ports``: the ports' values per timestep (a
    :class:`~tilewright.cosim.gate.vcd.PortTrace`) when the run traced them."""

    toggles: dict
    report: dict
    clock_cycles: int
    ports: object = None

    def port_toggles(self, ports):
        """Toggles summed per port: ``ports`` maps names to widths."""
        out = {}
        for name, width in ports.items():
            if width == 1 and name in self.toggles:
                out[name] = self.toggles[name]
            else:
                out[name] = sum(self.toggles.get(f"{name}[{i}]", 0) for i in range(width))
        return out


def _clock_cycles(results_xml):
    from tilewright.cosim.bench import PERIOD_NS     # imports cocotb: only when simulating
    total = 0.0
    for prop in ET.parse(results_xml).iter("property"):
        if prop.get("name") == "sim_time_duration":
            total += float(prop.get("value"))
    return round(total / PERIOD_NS)


def simulate(label, params, verilog, toplevel, testbench, testcase, *, seed,
             stimulus="random", repeats=1, replay=None, public=None, env=None, trace=None,
             build_args=()):
    """Run ``testbench``'s ``testcase`` on ``verilog`` with toggle coverage.

    ``label`` names the build (e.g. ``"mac-lane-gate"``); ``stimulus`` and ``repeats`` are
    passed as ``TILEWRIGHT_STIMULUS`` and ``TILEWRIGHT_STIMULUS_REPEATS``, ``env`` adds
    more variables (e.g. :mod:`~tilewright.cosim.tb_idle`'s). The build does not depend on
    ``testbench`` or ``testcase``, so runs of other test modules reuse it. Raises
    :class:`~tilewright.cosim.runner.SimulationFailed` when the testbench fails (e.g. the
    netlist disagrees with the golden model). ``public``: the only signals the testbench
    may access (the ports, for a gate-level netlist), so that Verilator may optimize the
    rest (:func:`~tilewright.cosim.runner.build`). ``trace``: ports (name → width) whose
    values per timestep the run records (Verilator ``--trace``) into ``Activity.ports``.
    ``build_args``: more Verilator options (:attr:`Block.verilator_args`).
    """
    env = {"TILEWRIGHT_STIMULUS": stimulus, "TILEWRIGHT_STIMULUS_REPEATS": str(repeats),
           **(env or {})}
    result = run(label, params, verilog, toplevel, testbench, seed=seed, testcase=testcase,
                 build_args=[*coverage_args(verilog, trace is not None), *build_args],
                 extra_env=env, replay=replay, keep=True, public=public,
                 waves=trace is not None)
    try:
        toggles = parse_coverage(result.directory / "coverage.dat", toplevel)
        cycles = _clock_cycles(result.directory / "results.xml")
        from tilewright.cosim.gate.vcd import read_ports   # numpy: only after a run
        ports = None if trace is None else read_ports(result.directory / "dump.vcd", trace)
    finally:
        shutil.rmtree(result.directory, ignore_errors=True)
    return Activity(toggles, result.report, cycles, ports)
