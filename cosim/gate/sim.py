"""Switching activity: run a block's stimulus test on Verilator with toggle coverage.

The same cocotb testbench runs on the RTL and on the mapped gate-level netlist (the
netlist keeps the RTL's ports, and :func:`tilewright.cosim.gate.synth.synthesize` writes the
cells' behavioural models from the Liberty file next to it), so the testbench's golden
scoreboard checks the netlist too. Verilator's ``--coverage-toggle`` counts, for every
bit of every signal, its 0→1 and 1→0 transitions; :func:`parse_coverage` turns
``coverage.dat`` into toggles per signal bit. The clock is not a toggle-coverage signal,
so the clock cycles simulated come from cocotb's simulated time.
"""

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from tilewright.cosim.gate.vcd import read_ports
from tilewright.cosim.runner import run

__all__ = ["Activity", "parse_coverage", "demangle", "simulate", "COVERAGE_ARGS"]

COVERAGE_ARGS = ("--coverage-toggle",)

_FIELD = re.compile("\x01([a-z]+)\x02([^\x01]*)")


def demangle(name):
    """A Verilator C++ name back to the Verilog one (``o___05Fpayload`` → ``o__payload``)."""
    return re.sub(r"__0([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), name)


def parse_coverage(path, top):
    """Toggles per signal bit (``"n12"``, ``"o__payload[3]"``) of module ``top``, from a
    Verilator ``coverage.dat``: the sum of its 0→1 and 1→0 counts."""
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
            name = demangle(signal)
            toggles[name] = toggles.get(name, 0) + int(count)
    return toggles


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
                 build_args=[*COVERAGE_ARGS, *build_args], extra_env=env, replay=replay, keep=True,
                 public=public, waves=trace is not None)
    try:
        toggles = parse_coverage(result.directory / "coverage.dat", toplevel)
        cycles = _clock_cycles(result.directory / "results.xml")
        ports = None if trace is None else read_ports(result.directory / "dump.vcd", trace)
    finally:
        shutil.rmtree(result.directory, ignore_errors=True)
    return Activity(toggles, result.report, cycles, ports)
